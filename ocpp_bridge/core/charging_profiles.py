"""A charging profile, as both versions keep it: one limit in W per connector, from the first period of its
schedule (a profile in A is converted at the meter's voltage: 230 V per phase AC, 400 V DC)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpp_bridge.core.meter import AC_VOLTAGE_V, DC_VOLTAGE_V


def schedule_limit_w(schedule: Mapping[str, Any], current_type: str) -> float | None:
    """The limit of the schedule's first period in W, or None if it has no period."""
    periods = schedule.get("charging_schedule_period") or []
    if not periods:
        return None
    limit = float(periods[0]["limit"])
    if schedule.get("charging_rate_unit") == "A":
        phases = int(periods[0].get("number_phases") or 3)
        return limit * (AC_VOLTAGE_V * phases if current_type == "ac" else DC_VOLTAGE_V)
    return limit
