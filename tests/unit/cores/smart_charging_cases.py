"""Builders for the smart-charging tests: payloads as the `ocpp` library hands them to a handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.protocol import OcppVersion
from ocpp_bridge.core.smart_charging.model import (
    Capabilities,
    ChargingProfile,
    RunningTransaction,
    Station,
    Supply,
)
from ocpp_bridge.core.smart_charging.payloads import parse_profile
from ocpp_bridge.core.smart_charging.rules import check_profile
from ocpp_bridge.core.smart_charging.store import ProfileStore

V16 = OcppVersion.V16
V201 = OcppVersion.V201
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday, 00:00 UTC


def at(hour: int, minute: int = 0, second: int = 0, *, day: int = 0) -> datetime:
    """A moment in the week of MONDAY (day 0 = Monday)."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def periods(*pairs: tuple[int, float] | tuple[int, float, int]) -> list[dict[str, Any]]:
    out = []
    for pair in pairs:
        item: dict[str, Any] = {"start_period": pair[0], "limit": pair[1]}
        if len(pair) == 3:
            item["number_phases"] = pair[2]
        out.append(item)
    return out


def v16_payload(
    profile_id: int,
    purpose: str,
    *pairs: tuple[int, float] | tuple[int, float, int],
    stack_level: int = 0,
    kind: str = "Absolute",
    unit: str = "W",
    start: datetime | None = MONDAY,
    duration: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {"charging_rate_unit": unit, "charging_schedule_period": periods(*pairs)}
    if start is not None:
        schedule["start_schedule"] = start.isoformat().replace("+00:00", "Z")
    if duration is not None:
        schedule["duration"] = duration
    return {
        "charging_profile_id": profile_id,
        "stack_level": stack_level,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": kind,
        "charging_schedule": schedule,
        **extra,
    }


def v201_payload(
    profile_id: int, purpose: str, *pairs: tuple[int, float] | tuple[int, float, int], **kw: Any
) -> dict[str, Any]:
    """The same profile in 2.0.1's shape: `id`, a list of schedules (each with its own id)."""
    old = v16_payload(profile_id, purpose, *pairs, **kw)
    schedule = {"id": profile_id * 10, **old.pop("charging_schedule")}
    old.pop("charging_profile_id")
    return {"id": profile_id, **old, "charging_schedule": [schedule]}


def v16(
    profile_id: int, purpose: str, *pairs: tuple[int, float] | tuple[int, float, int], **kw: Any
) -> ChargingProfile:
    return parse_profile(v16_payload(profile_id, purpose, *pairs, **kw), V16)


def v201(
    profile_id: int, purpose: str, *pairs: tuple[int, float] | tuple[int, float, int], **kw: Any
) -> ChargingProfile:
    return parse_profile(v201_payload(profile_id, purpose, *pairs, **kw), V201)


def station(
    version: OcppVersion = V16,
    *,
    evses: int = 2,
    current_type: str = "ac",
    phases: int = 3,
    max_power_w: float = 22_000.0,
    transactions: dict[int, tuple[str, datetime]] | None = None,
    capabilities: Capabilities | None = None,
) -> Station:
    supply = Supply("ac" if current_type == "ac" else "dc", max_power_w, phases)
    return Station(
        version,
        {n: supply for n in range(1, evses + 1)},
        {n: RunningTransaction(tx, started) for n, (tx, started) in (transactions or {}).items()},
        capabilities or Capabilities(),
    )


def reason(
    profile: ChargingProfile,
    evse_id: int,
    st: Station | None = None,
    store: ProfileStore | None = None,
    *,
    remote_start: bool = False,
) -> str | None:
    """The reason code a charger (by default an idle one of the profile's version) rejects it with."""
    version = V201 if profile.schedule.id is not None else V16
    rejection = check_profile(
        profile, evse_id, st or station(version), store or ProfileStore(), remote_start=remote_start
    )
    return None if rejection is None else rejection.reason_code
