"""Each CSMS-initiated smart-charging call of both versions, from the handler's keyword arguments (as the
`ocpp` library passes them) to the new profile store and the answer's fields: what a handler returns.

After an answer that changed the store, the caller re-reads `limit_at` for the EVSEs concerned (and sets
its timer to `next_change`); nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.protocol import OcppVersion

from .composite import get_composite_schedule
from .model import Rejection, Station
from .payloads import ProfileFormatError, parse_profile
from .reports import ProfileQuery, ReportStatus, report_charging_profiles
from .rules import set_profile
from .store import ClearCriteria, ProfileStore

V16, V201 = OcppVersion.V16, OcppVersion.V201


def _status(rejection: Rejection | None, version: OcppVersion) -> dict[str, Any]:
    if rejection is None:
        return {"status": "Accepted"}
    if version is V16:
        return {"status": "Rejected"}  # 1.6 answers carry no reason
    return {"status": "Rejected", "status_info": rejection.status_info()}


def _set(
    store: ProfileStore,
    station: Station,
    evse_id: int,
    payload: Mapping[str, Any],
    path: str,
    remote_start: bool,
) -> tuple[ProfileStore, Rejection | None]:
    try:
        profile = parse_profile(payload, station.version, path)
    except ProfileFormatError as error:
        return store, Rejection("InvalidValue", str(error))
    return set_profile(store, profile, evse_id, station, remote_start=remote_start)


def set_charging_profile_v16(
    store: ProfileStore, station: Station, connector_id: int, cs_charging_profiles: Mapping[str, Any]
) -> tuple[ProfileStore, dict[str, Any]]:
    """SetChargingProfile.conf fields: Accepted or Rejected (1.6 carries no reason)."""
    updated, rejection = _set(store, station, connector_id, cs_charging_profiles, "csChargingProfiles", False)
    return updated, _status(rejection, V16)


def set_charging_profile_v201(
    store: ProfileStore, station: Station, evse_id: int, charging_profile: Mapping[str, Any]
) -> tuple[ProfileStore, dict[str, Any]]:
    """SetChargingProfileResponse fields: Accepted, or Rejected with statusInfo (reasonCode, why)."""
    updated, rejection = _set(store, station, evse_id, charging_profile, "chargingProfile", False)
    return updated, _status(rejection, V201)


def remote_start_profile(
    store: ProfileStore, station: Station, evse_id: int, charging_profile: Mapping[str, Any]
) -> tuple[ProfileStore, Rejection | None]:
    """The profile of a 1.6 RemoteStartTransaction / 2.0.1 RequestStartTransaction for `evse_id` (the
    connector the start was resolved to): a rejection means the whole remote start is Rejected. The
    profile binds to the transaction that starts there (`ProfileStore.bind_transaction`)."""
    return _set(store, station, evse_id, charging_profile, "chargingProfile", True)


def clear_charging_profile_v16(
    store: ProfileStore,
    id: int | None = None,  # the 1.6 field's name
    connector_id: int | None = None,
    charging_profile_purpose: str | None = None,
    stack_level: int | None = None,
) -> tuple[ProfileStore, dict[str, Any]]:
    """ClearChargingProfile.conf fields: Accepted, or Unknown when nothing matched."""
    criteria = ClearCriteria.from_v16(id, connector_id, charging_profile_purpose, stack_level)
    updated, status = store.clear(criteria)
    return updated, {"status": status.value}


def clear_charging_profile_v201(
    store: ProfileStore,
    charging_profile_id: int | None = None,
    charging_profile_criteria: Mapping[str, Any] | None = None,
) -> tuple[ProfileStore, dict[str, Any]]:
    """ClearChargingProfileResponse fields: Accepted, or Unknown (with statusInfo for external limits)."""
    criteria = ClearCriteria.from_v201(charging_profile_id, charging_profile_criteria)
    named = (charging_profile_criteria or {}).get("charging_profile_purpose")
    if named == "ChargingStationExternalConstraints":  # K10.FR.06
        info = Rejection("InvalidValue", "ChargingStationExternalConstraints cannot be cleared by the CSMS")
        return store, {"status": "Unknown", "status_info": info.status_info()}
    updated, status = store.clear(criteria)
    return updated, {"status": status.value}


def get_composite_schedule_v16(
    store: ProfileStore,
    station: Station,
    now: datetime,
    connector_id: int,
    duration: int,
    charging_rate_unit: str | None = None,
) -> dict[str, Any]:
    """GetCompositeSchedule.conf fields."""
    answer = get_composite_schedule(store, station, connector_id, duration, charging_rate_unit, now)
    return {"status": "Rejected"} if isinstance(answer, Rejection) else answer.v16_payload()


def get_composite_schedule_v201(
    store: ProfileStore,
    station: Station,
    now: datetime,
    evse_id: int,
    duration: int,
    charging_rate_unit: str | None = None,
) -> dict[str, Any]:
    """GetCompositeScheduleResponse fields."""
    answer = get_composite_schedule(store, station, evse_id, duration, charging_rate_unit, now)
    if isinstance(answer, Rejection):
        return {"status": "Rejected", "status_info": answer.status_info()}
    return answer.v201_payload()


def get_charging_profiles_v201(
    store: ProfileStore,
    request_id: int,
    charging_profile: Mapping[str, Any],
    evse_id: int | None = None,
    per_message: int = 20,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """GetChargingProfilesResponse fields, and the ReportChargingProfiles requests to send after it."""
    status, reports = report_charging_profiles(
        store, request_id, ProfileQuery.from_v201(evse_id, charging_profile), per_message
    )
    return {"status": status.value}, reports if status is ReportStatus.ACCEPTED else []
