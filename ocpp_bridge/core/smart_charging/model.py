"""Charging profiles as typed values, one model for both OCPP versions.

OCPP 1.6 (Smart Charging profile) and 2.0.1 (functional block K) describe the same thing with a few
differences, kept here as data rather than as two models:
- the station-wide maximum is `ChargePointMaxProfile` in 1.6 and `ChargingStationMaxProfile` in 2.0.1
  (`Purpose.STATION_MAX`, spelled per version by `purpose_name`); 2.0.1 adds
  `ChargingStationExternalConstraints` (limits set by an EMS, never by SetChargingProfile);
- 1.6 installs a profile on a connector, 2.0.1 on an EVSE: both are `evse_id` here, 0 = the whole charger;
- 1.6 transaction ids are integers, 2.0.1 strings: both are `str` here;
- 2.0.1 profiles carry one to three schedules (alternatives offered to an ISO 15118 EV), 1.6 exactly one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from domain.protocol import OcppVersion

DAY_S = 86_400
WEEK_S = 7 * DAY_S
DEFAULT_PHASES = 3  # "numberPhases=3 will be assumed unless another number is given" (both versions)
AC_PHASE_VOLTAGE_V = 230.0  # as the meter model assumes (ocpp_bridge meter: AC_VOLTAGE_V per phase)
DC_VOLTAGE_V = 400.0  # the meter model's nominal DC voltage


class Purpose(StrEnum):
    STATION_MAX = "ChargingStationMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"
    EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"


_PURPOSE_NAMES_V16 = {
    Purpose.STATION_MAX: "ChargePointMaxProfile",
    Purpose.TX_DEFAULT: "TxDefaultProfile",
    Purpose.TX: "TxProfile",
    # Not on the 1.6 wire (its schema forbids it, the rules reject it): the name our own records use for
    # a limit set from outside the CSMS, which 1.6 chargers obey too.
    Purpose.EXTERNAL_CONSTRAINTS: "ChargingStationExternalConstraints",
}


def purpose_name(purpose: Purpose, version: OcppVersion) -> str:
    """The purpose as the version spells it on the wire."""
    if version is OcppVersion.V16:
        return _PURPOSE_NAMES_V16[purpose]
    return purpose.value


def purpose_from_name(name: str, version: OcppVersion) -> Purpose | None:
    """The purpose a version's wire name means, None for a name that version does not know."""
    if version is OcppVersion.V16:
        return next((p for p, n in _PURPOSE_NAMES_V16.items() if n == name), None)
    return next((p for p in Purpose if p.value == name), None)


class ProfileKind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"

    @property
    def seconds(self) -> int:
        return DAY_S if self is Recurrency.DAILY else WEEK_S


class RateUnit(StrEnum):
    AMPS = "A"
    WATTS = "W"


class LimitSource(StrEnum):
    """2.0.1 ChargingLimitSourceEnumType: who set a limit (a SetChargingProfile from the CSMS is CSO)."""

    EMS = "EMS"
    OTHER = "Other"
    SO = "SO"
    CSO = "CSO"


@dataclass(frozen=True)
class SchedulePeriod:
    start_period: int  # seconds from the start of the schedule; also ends the previous period
    limit: float  # in the schedule's rate unit; A are per phase
    number_phases: int | None = None  # None: 3 (both versions' default)
    phase_to_use: int | None = None  # 2.0.1 only, with number_phases 1 and phase switching


@dataclass(frozen=True)
class ChargingSchedule:
    rate_unit: RateUnit
    periods: tuple[SchedulePeriod, ...]
    start_schedule: datetime | None = None
    duration: int | None = None  # seconds; None: the last period lasts (for a TxProfile: until the tx ends)
    min_charging_rate: float | None = None
    id: int | None = None  # 2.0.1 only (required there)


@dataclass(frozen=True)
class ChargingProfile:
    id: int
    stack_level: int
    purpose: Purpose
    kind: ProfileKind
    schedules: tuple[ChargingSchedule, ...]  # 1.6: one; 2.0.1: one to three, the first is used
    recurrency: Recurrency | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None

    @property
    def schedule(self) -> ChargingSchedule:
        """The schedule the charger follows: the only one, or the first of 2.0.1's alternatives."""
        return self.schedules[0]


@dataclass(frozen=True)
class InstalledProfile:
    """A profile as the charger keeps it: where it was installed, who set it, for which transaction."""

    profile: ChargingProfile
    evse_id: int  # 1.6 connector id / 2.0.1 EVSE id; 0 = the whole charger
    source: LimitSource = LimitSource.CSO
    # The transaction a TxProfile belongs to: the payload's, or the one running when it was installed (1.6
    # may omit it; a profile from RemoteStart/RequestStartTransaction gets it when the transaction starts).
    transaction_id: str | None = None


@dataclass(frozen=True)
class Supply:
    """The electrical facts of one EVSE/connector that turn amps into watts and back."""

    current_type: Literal["ac", "dc"]
    max_power_w: float  # what the hardware can deliver: the limit where no profile says otherwise
    phases: int = DEFAULT_PHASES  # AC phases wired to it (1 or 3); ignored for DC
    voltage_v: float | None = None  # per phase for AC; None: 230 V AC, 400 V DC

    @property
    def volts(self) -> float:
        if self.voltage_v is not None:
            return self.voltage_v
        return AC_PHASE_VOLTAGE_V if self.current_type == "ac" else DC_VOLTAGE_V


@dataclass(frozen=True)
class RunningTransaction:
    transaction_id: str
    started_at: datetime


@dataclass(frozen=True)
class Capabilities:
    """What this charger model supports (1.6 configuration keys / 2.0.1 SmartChargingCtrlr variables)."""

    max_stack_level: int = 10  # ChargeProfileMaxStackLevel / SmartChargingCtrlr.ProfileStackLevel
    max_profiles: int = 24  # MaxChargingProfilesInstalled / SmartChargingCtrlr.Entries(ChargingProfiles)
    max_periods: int = 24  # ChargingScheduleMaxPeriods / SmartChargingCtrlr.PeriodsPerSchedule
    rate_units: frozenset[RateUnit] = frozenset({RateUnit.AMPS, RateUnit.WATTS})  # ...AllowedChargingRateUnit
    phase_switching: bool = False  # 2.0.1 SmartChargingCtrlr.ACPhaseSwitchingSupported
    # Accept a 2.0.1 TxProfile without transactionId for the running transaction (as 1.6 does): some
    # chargers do; the specification has the CSMS name it (K01.FR.03) and strict chargers reject it.
    tx_profile_without_transaction_id: bool = False


# The configuration a Smart Charging charger exposes: (1.6 key, default, kind, 2.0.1 component, variable),
# in the shape of core.configuration.Key, all read-only (1.6 section 9.4; 2.0.1 SmartChargingCtrlr).
SMART_CHARGING_KEYS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ChargeProfileMaxStackLevel", "10", "int", "SmartChargingCtrlr", "ProfileStackLevel"),
    ("ChargingScheduleAllowedChargingRateUnit", "Current,Power", "csl", "SmartChargingCtrlr", "RateUnit"),
    ("ChargingScheduleMaxPeriods", "24", "int", "SmartChargingCtrlr", "PeriodsPerSchedule"),
    ("MaxChargingProfilesInstalled", "24", "int", "SmartChargingCtrlr", "Entries"),
)
_UNIT_NAMES = {"current": RateUnit.AMPS, "a": RateUnit.AMPS, "power": RateUnit.WATTS, "w": RateUnit.WATTS}


def capabilities_from(values: Mapping[str, str], phase_switching: bool = False) -> Capabilities:
    """The capabilities the charger's configuration values say (1.6 key names; absent keys: defaults).
    The rate units are read in either spelling: 1.6 "Current,Power", 2.0.1 "A,W"."""
    default = Capabilities()

    def number(key: str, fallback: int) -> int:
        text = values.get(key)
        return int(text) if text is not None and text.strip().lstrip("-").isdigit() else fallback

    units_text = values.get("ChargingScheduleAllowedChargingRateUnit")
    units = default.rate_units
    if units_text is not None:
        units = frozenset(
            _UNIT_NAMES[u] for u in (p.strip().lower() for p in units_text.split(",")) if u in _UNIT_NAMES
        )
    return Capabilities(
        max_stack_level=number("ChargeProfileMaxStackLevel", default.max_stack_level),
        max_profiles=number("MaxChargingProfilesInstalled", default.max_profiles),
        max_periods=number("ChargingScheduleMaxPeriods", default.max_periods),
        rate_units=units,
        phase_switching=phase_switching,
    )


@dataclass(frozen=True)
class Station:
    """What the profile rules need to know of the charger at the moment of a decision."""

    version: OcppVersion
    evses: dict[int, Supply]  # 1..n; 0 is never a key (the whole charger)
    transactions: dict[int, RunningTransaction] = field(default_factory=dict)  # by evse id, running ones
    capabilities: Capabilities = Capabilities()

    @property
    def grid(self) -> Supply:
        """The whole charger as one supply: the sum of its EVSEs' maxima (for the evse 0 composite)."""
        supplies = list(self.evses.values())
        first = supplies[0] if supplies else Supply("ac", 0.0)
        return Supply(
            first.current_type,
            sum(s.max_power_w for s in supplies),
            max((s.phases for s in supplies), default=DEFAULT_PHASES),
            first.voltage_v,
        )

    def supply(self, evse_id: int) -> Supply:
        return self.grid if evse_id == 0 else self.evses[evse_id]


@dataclass(frozen=True)
class Rejection:
    """Why a real charger refuses: 2.0.1 statusInfo (reasonCode ≤ 20 characters, additionalInfo)."""

    reason_code: str  # e.g. "InvalidValue", "TxNotFound", "DuplicateProfile", "InvalidSchedule"
    additional_info: str  # the rule, in words a CSMS developer can act on

    def status_info(self) -> dict[str, str]:
        return {"reason_code": self.reason_code, "additional_info": self.additional_info[:512]}
