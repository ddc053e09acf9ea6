"""Limits from outside the CSMS (2.0.1 K12/K13) and the ISO 15118 exchange about the EV's needs (K15-K17).

- An EMS or grid operator sets a limit on the charger: it is kept as a ChargingStationExternalConstraints
  profile (so the composite schedule and the meter obey it on both versions) and 2.0.1 reports it with
  NotifyChargingLimit; lifting it sends ClearedChargingLimit. 1.6 has neither message.
- An EV that speaks ISO 15118 tells its needs (NotifyEVChargingNeeds, K15) and, once the CSMS has set a
  TxProfile, the schedule it chose within the limits (NotifyEVChargingSchedule, K15; again after a
  renegotiation, K16/K17). The simulated EV takes as much as the limits allow, up to its own maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.clock import iso
from domain.protocol import OcppVersion

from .composite import composite_schedule
from .model import ChargingProfile, InstalledProfile, LimitSource, Purpose, RateUnit, Station
from .payloads import profile_payload
from .store import ProfileStore


def set_external_limit(
    store: ProfileStore,
    profile: ChargingProfile,
    evse_id: int,
    version: OcppVersion,
    *,
    source: LimitSource = LimitSource.EMS,
    grid_critical: bool | None = None,
) -> tuple[ProfileStore, dict[str, Any] | None]:
    """Install an external limit; the NotifyChargingLimit request fields (2.0.1) or None (1.6)."""
    if source is LimitSource.CSO:
        raise ValueError("an external limit comes from an EMS, a grid operator (SO) or Other, not the CSO")
    external = replace(profile, purpose=Purpose.EXTERNAL_CONSTRAINTS, transaction_id=None)
    updated = store.install(InstalledProfile(external, evse_id, source), version)
    if version is OcppVersion.V16:
        return updated, None
    limit: dict[str, Any] = {"charging_limit_source": source.value}
    if grid_critical is not None:
        limit["is_grid_critical"] = grid_critical
    return updated, {
        "charging_limit": limit,
        "charging_schedule": profile_payload(external, OcppVersion.V201)["charging_schedule"],
        "evse_id": evse_id,
    }


def clear_external_limit(
    store: ProfileStore, source: LimitSource, version: OcppVersion, evse_id: int | None = None
) -> tuple[ProfileStore, dict[str, Any] | None]:
    """Lift the external limits of `source` (on `evse_id`, or everywhere); ClearedChargingLimit (2.0.1)
    fields when one was lifted, else None (nothing to report, or 1.6)."""

    def lifted(e: InstalledProfile) -> bool:
        return (
            e.profile.purpose is Purpose.EXTERNAL_CONSTRAINTS
            and e.source is source
            and (evse_id is None or e.evse_id == evse_id)
        )

    kept = tuple(e for e in store.installed if not lifted(e))
    if len(kept) == len(store.installed):
        return store, None
    payload: dict[str, Any] = {"charging_limit_source": source.value}
    if evse_id is not None:
        payload["evse_id"] = evse_id
    return ProfileStore(kept), None if version is OcppVersion.V16 else payload


@dataclass(frozen=True)
class ChargingNeeds:
    """What an ISO 15118 EV asks for (NotifyEVChargingNeeds.chargingNeeds)."""

    energy_amount_wh: int
    ev_max_current_a: int  # per phase on AC
    ev_max_voltage_v: int
    ev_min_current_a: int = 0
    ev_max_power_w: int | None = None  # DC
    state_of_charge: int | None = None  # DC, percent
    departure_time: datetime | None = None


def charging_needs_payload(
    evse_id: int, needs: ChargingNeeds, station: Station, max_schedule_tuples: int | None = None
) -> dict[str, Any]:
    """NotifyEVChargingNeeds request fields (K15): AC or DC parameters as the EVSE supplies them."""
    supply = station.supply(evse_id)
    charging: dict[str, Any]
    if supply.current_type == "dc":
        dc: dict[str, Any] = {
            "ev_max_current": needs.ev_max_current_a,
            "ev_max_voltage": needs.ev_max_voltage_v,
            "energy_amount": needs.energy_amount_wh,
        }
        if needs.ev_max_power_w is not None:
            dc["ev_max_power"] = needs.ev_max_power_w
        if needs.state_of_charge is not None:
            dc["state_of_charge"] = needs.state_of_charge
        charging = {"requested_energy_transfer": "DC", "dc_charging_parameters": dc}
    else:
        mode = {1: "AC_single_phase", 2: "AC_two_phase"}.get(supply.phases, "AC_three_phase")
        charging = {
            "requested_energy_transfer": mode,
            "ac_charging_parameters": {
                "energy_amount": needs.energy_amount_wh,
                "ev_min_current": needs.ev_min_current_a,
                "ev_max_current": needs.ev_max_current_a,
                "ev_max_voltage": needs.ev_max_voltage_v,
            },
        }
    if needs.departure_time is not None:
        charging["departure_time"] = iso(needs.departure_time)
    payload: dict[str, Any] = {"evse_id": evse_id, "charging_needs": charging}
    if max_schedule_tuples is not None:
        payload["max_schedule_tuples"] = max_schedule_tuples
    return payload


def ev_charging_schedule(
    store: ProfileStore,
    station: Station,
    evse_id: int,
    now: datetime,
    duration: int,
    ev_max_power_w: float,
    schedule_id: int = 1,
) -> dict[str, Any]:
    """NotifyEVChargingSchedule request fields (K15-K17): the EV's plan, within the composite limits."""
    composite = composite_schedule(store, station, evse_id, now, duration, RateUnit.WATTS)
    periods: list[dict[str, Any]] = []
    for period in composite.periods:
        limit = min(period.limit, ev_max_power_w)
        if not periods or periods[-1]["limit"] != limit:
            periods.append({"start_period": period.start_period, "limit": limit})
    return {
        "time_base": iso(composite.start),
        "evse_id": evse_id,
        "charging_schedule": {
            "id": schedule_id,
            "start_schedule": iso(composite.start),
            "duration": duration,
            "charging_rate_unit": RateUnit.WATTS.value,
            "charging_schedule_period": periods,
        },
    }
