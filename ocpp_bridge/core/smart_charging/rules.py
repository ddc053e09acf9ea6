"""Whether a charger accepts a charging profile, and the reason a real one gives when it does not.

Each check is one rule of the specifications, in the order a charger meets them; the first that fails
is the answer (2.0.1 sends it as statusInfo; 1.6 has only the status, Rejected). Requirement ids are
OCPP 2.0.1 part 2 edition 2 (K01.FR.nn); 1.6 rules quote sections 3.13, 5.11 and 5.16 of 1.6 edition 2.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.protocol import OcppVersion

from .model import (
    ChargingProfile,
    ChargingSchedule,
    InstalledProfile,
    LimitSource,
    ProfileKind,
    Purpose,
    Rejection,
    Station,
)
from .store import ProfileStore

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _reject(code: str, info: str) -> Rejection:
    return Rejection(code, info)


def _check_schedule(
    schedule: ChargingSchedule, n: int, profile: ChargingProfile, evse_id: int, station: Station
) -> Rejection | None:
    v201 = station.version is OcppVersion.V201
    caps = station.capabilities
    where = f"chargingSchedule[{n}]" if v201 else "chargingSchedule"
    if schedule.rate_unit not in caps.rate_units:  # K01.FR.26; 1.6 ChargingScheduleAllowedChargingRateUnit
        return _reject("UnsupportedRateUnit", f"{where}: rate unit {schedule.rate_unit} is not supported")
    if len(schedule.periods) > caps.max_periods:  # 1.6 ChargingScheduleMaxPeriods; 2.0.1 PeriodsPerSchedule
        return _reject("InvalidSchedule", f"{where}: more than {caps.max_periods} periods")
    if schedule.duration is not None and schedule.duration < 0:
        return _reject("InvalidSchedule", f"{where}.duration is negative")
    if v201 and schedule.periods[0].start_period != 0:  # K01.FR.31
        return _reject("InvalidSchedule", f"{where}: the first period must start at 0")
    supply = station.supply(evse_id)
    for i, (period, following) in enumerate(
        zip(schedule.periods, (*schedule.periods[1:], None), strict=True)
    ):
        at = f"{where}.chargingSchedulePeriod[{i}]"
        if period.start_period < 0 or (
            following is not None and following.start_period <= period.start_period
        ):
            return _reject("InvalidSchedule", f"{at}: startPeriod values must increase from 0")  # K01.FR.35
        if period.limit < 0:
            return _reject("InvalidSchedule", f"{at}.limit is negative")
        if period.number_phases is not None and period.number_phases not in (1, 2, 3):
            return _reject("InvalidSchedule", f"{at}.numberPhases must be 1, 2 or 3")
        if not v201:
            continue  # 1.6 has no rules on phases: the charger uses what it has
        if supply.current_type == "dc" and (
            period.number_phases is not None or period.phase_to_use is not None
        ):
            return _reject("InvalidSchedule", f"{at}: numberPhases/phaseToUse on a DC EVSE")  # K01.FR.44
        if period.number_phases is not None and period.number_phases > supply.phases:  # K01.FR.45
            return _reject(
                "InvalidSchedule", f"{at}.numberPhases exceeds the {supply.phases} phases supplied"
            )
        if period.phase_to_use is not None:
            if period.number_phases != 1:  # K01.FR.19
                return _reject("InvalidSchedule", f"{at}.phaseToUse needs numberPhases 1")
            if not station.capabilities.phase_switching:  # K01.FR.20
                return _reject("InvalidSchedule", f"{at}.phaseToUse: AC phase switching is not supported")
    if v201 and profile.kind is not ProfileKind.RELATIVE and schedule.start_schedule is None:  # K01.FR.40
        return _reject("InvalidSchedule", f"{where}.startSchedule is required for a {profile.kind} profile")
    if v201 and profile.kind is ProfileKind.RELATIVE and schedule.start_schedule is not None:  # K01.FR.41
        return _reject("InvalidSchedule", f"{where}.startSchedule is not allowed for a Relative profile")
    return None


def _overlap(a: ChargingProfile, b: ChargingProfile) -> bool:
    """Validity periods overlap; absent bounds are open (half-open intervals: [validFrom, validTo))."""

    def bounds(p: ChargingProfile) -> tuple[datetime, datetime]:
        return (p.valid_from or _EARLIEST, p.valid_to or _LATEST)

    (a0, a1), (b0, b1) = bounds(a), bounds(b)
    return a0 < b1 and b0 < a1


def _check_purpose(
    profile: ChargingProfile, evse_id: int, station: Station, store: ProfileStore, remote_start: bool
) -> Rejection | None:
    v201 = station.version is OcppVersion.V201
    others = [e for e in store.installed if e.profile.id != profile.id]
    if profile.purpose is Purpose.STATION_MAX:
        if evse_id != 0:  # 1.6: "ChargePointMaxProfile can only be set at ConnectorId 0"; 2.0.1 likewise
            return _reject("InvalidValue", f"{profile.purpose} must be installed on evse 0")
        if v201 and profile.kind is ProfileKind.RELATIVE:  # K01.FR.38
            return _reject("InvalidValue", f"{profile.purpose} cannot be Relative")
    if profile.purpose is Purpose.TX:
        if evse_id <= 0:  # 1.6: "TxProfile SHALL only be set at ConnectorId >0"; K01.FR.16
            return _reject("InvalidValue", "a TxProfile needs an evse/connector id above 0")
        if remote_start:
            return None  # its transaction does not exist yet: it is bound when it starts
        running = station.transactions.get(evse_id)
        # K01.FR.03 (the CSMS SHALL name the transaction; chargers reject it otherwise, unless lenient)
        if (
            v201
            and profile.transaction_id is None
            and not station.capabilities.tx_profile_without_transaction_id
        ):
            return _reject("MissingParam", "a TxProfile needs a transactionId")
        if running is None:  # 1.6: "no transaction active ... SHALL discard it"; K01.FR.09
            return _reject("TxNotFound", f"no transaction is running on evse {evse_id}")
        if (
            profile.transaction_id is not None and profile.transaction_id != running.transaction_id
        ):  # K01.FR.33
            return _reject(
                "TxNotFound", f"transaction {profile.transaction_id} is not running on evse {evse_id}"
            )
        if v201 and any(  # 2.0.1 rejects (1.6 replaces) a second TxProfile at one stack level
            e.profile.purpose is Purpose.TX
            and e.transaction_id == running.transaction_id
            and e.profile.stack_level == profile.stack_level
            for e in others
        ):
            level = profile.stack_level
            return _reject(
                "InvalidStackLevel", f"another TxProfile of this transaction has stackLevel {level}"
            )
        return None
    if v201:
        if any(  # 2.0.1: one profile per purpose, stack level and EVSE at any moment
            e.evse_id == evse_id
            and e.profile.purpose is profile.purpose
            and e.profile.stack_level == profile.stack_level
            and _overlap(e.profile, profile)
            for e in others
        ):
            return _reject(
                "DuplicateProfile",
                f"a {profile.purpose} with stackLevel {profile.stack_level} and an overlapping validity "
                f"period is installed on evse {evse_id}",
            )
        if profile.purpose is Purpose.TX_DEFAULT and any(  # 2.0.1: not on evse 0 and an EVSE at one level
            e.profile.purpose is Purpose.TX_DEFAULT
            and e.profile.stack_level == profile.stack_level
            and (e.evse_id == 0) != (evse_id == 0)
            for e in others
        ):
            scope = "a specific EVSE" if evse_id == 0 else "evse 0"
            return _reject(
                "DuplicateProfile", f"a TxDefaultProfile with this stackLevel is installed on {scope}"
            )
    return None


def check_profile(
    profile: ChargingProfile,
    evse_id: int,
    station: Station,
    store: ProfileStore,
    *,
    remote_start: bool = False,
) -> Rejection | None:
    """None if the charger accepts `profile` for `evse_id` (1.6 connectorId), else why it rejects it.

    `remote_start`: the profile came in a 1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction,
    for the transaction that is about to start on `evse_id`.
    """
    caps = station.capabilities
    if evse_id != 0 and evse_id not in station.evses:
        return _reject("InvalidValue", f"evse {evse_id} does not exist")
    if profile.purpose is Purpose.EXTERNAL_CONSTRAINTS:  # K01.FR.22
        return _reject("InvalidValue", "ChargingStationExternalConstraints cannot be set by the CSMS")
    existing = store.find(profile.id)
    if existing is not None and existing.profile.purpose is Purpose.EXTERNAL_CONSTRAINTS:  # K01.FR.05
        return _reject("DuplicateProfile", f"profile {profile.id} is an external constraint")
    if remote_start:
        if profile.purpose is not Purpose.TX:  # 1.6 5.11 "MUST be TxProfile"; 2.0.1 the same
            return _reject("InvalidValue", "the profile of a remote start must be a TxProfile")
        if profile.transaction_id is not None:  # 1.6 5.11: "transactionId SHALL NOT be set"
            return _reject("InvalidValue", "the profile of a remote start cannot name a transaction")
    if not 0 <= profile.stack_level <= caps.max_stack_level:
        return _reject("InvalidStackLevel", f"stackLevel must be between 0 and {caps.max_stack_level}")
    if (
        profile.valid_from is not None
        and profile.valid_to is not None
        and profile.valid_to <= profile.valid_from
    ):
        return _reject("InvalidValue", "validTo is not after validFrom")
    if profile.kind is ProfileKind.RECURRING and profile.recurrency is None:
        return _reject("InvalidValue", "a Recurring profile needs a recurrencyKind")
    for n, schedule in enumerate(profile.schedules):
        rejection = _check_schedule(schedule, n, profile, evse_id, station)
        if rejection is not None:
            return rejection
    rejection = _check_purpose(profile, evse_id, station, store, remote_start)
    if rejection is not None:
        return rejection
    entry = InstalledProfile(profile, evse_id)
    if len(store) - len(store.replaced_by(entry, station.version)) >= caps.max_profiles:
        return _reject("TooManyElements", f"{caps.max_profiles} profiles are installed already")
    return None


def set_profile(
    store: ProfileStore,
    profile: ChargingProfile,
    evse_id: int,
    station: Station,
    *,
    remote_start: bool = False,
    source: LimitSource = LimitSource.CSO,
) -> tuple[ProfileStore, Rejection | None]:
    """SetChargingProfile (or the profile of a remote start): the new store, or the old one and why not.

    A TxProfile is bound to the transaction it names, else to the one running on the EVSE (1.6 may omit
    transactionId), else — from a remote start — to the next one that starts there (`bind_transaction`).
    """
    rejection = check_profile(profile, evse_id, station, store, remote_start=remote_start)
    if rejection is not None:
        return store, rejection
    transaction_id = profile.transaction_id
    if profile.purpose is Purpose.TX and transaction_id is None and not remote_start:
        transaction_id = station.transactions[evse_id].transaction_id
    entry = InstalledProfile(profile, evse_id, source, transaction_id)
    return store.install(entry, station.version), None
