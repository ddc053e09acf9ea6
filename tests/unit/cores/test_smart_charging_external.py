"""Limits from an EMS or the grid (2.0.1 K12/K13) and the ISO 15118 EV's needs and schedule (K15-K17)."""

from __future__ import annotations

import pytest

from ocpp_bridge.core.smart_charging.composite import limit_at
from ocpp_bridge.core.smart_charging.external import (
    ChargingNeeds,
    charging_needs_payload,
    clear_external_limit,
    ev_charging_schedule,
    set_external_limit,
)
from ocpp_bridge.core.smart_charging.model import LimitSource, Purpose
from ocpp_bridge.core.smart_charging.rules import set_profile
from ocpp_bridge.core.smart_charging.store import ClearCriteria, ClearStatus, ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import V16, V201, at, station, v16, v201

HOUR = 3600


def test_201_an_external_limit_caps_the_evse_and_is_notified() -> None:
    st = station(V201)
    grid = v201(70, "TxDefaultProfile", (0, 4_000), (HOUR, 22_000), start=at(12))
    store, notify = set_external_limit(
        ProfileStore(), grid, 1, V201, source=LimitSource.SO, grid_critical=True
    )
    [entry] = store.installed
    assert (entry.profile.purpose, entry.source, entry.evse_id) == (
        Purpose.EXTERNAL_CONSTRAINTS,
        LimitSource.SO,
        1,
    )
    assert limit_at(store, st, 1, at(12, 30)).power_w == 4_000.0
    assert limit_at(store, st, 2, at(12, 30)).power_w == 22_000.0
    assert notify is not None
    assert notify["charging_limit"] == {"charging_limit_source": "SO", "is_grid_critical": True}
    assert notify["evse_id"] == 1
    assert_conforms("NotifyChargingLimit", notify, V201)


def test_16_an_external_limit_caps_too_but_has_no_message() -> None:
    st = station(V16)
    store, notify = set_external_limit(ProfileStore(), v16(70, "TxDefaultProfile", (0, 3_000)), 0, V16)
    assert notify is None
    assert limit_at(store, st, 2, at(12)).power_w == 3_000.0


def test_a_limit_from_1_6_gets_schedule_ids_for_the_2_0_1_message() -> None:
    _, notify = set_external_limit(ProfileStore(), v16(7, "TxDefaultProfile", (0, 3_000)), 0, V201)
    assert notify is not None
    assert [s["id"] for s in notify["charging_schedule"]] == [70]
    assert_conforms("NotifyChargingLimit", notify, V201)


def test_the_csms_is_not_an_external_source() -> None:
    with pytest.raises(ValueError, match="not the CSO"):
        set_external_limit(
            ProfileStore(), v201(1, "TxDefaultProfile", (0, 1)), 0, V201, source=LimitSource.CSO
        )


def test_the_csms_cannot_clear_an_external_limit_but_its_source_can() -> None:
    st = station(V201)
    store, _ = set_profile(ProfileStore(), v201(1, "TxDefaultProfile", (0, 11_000)), 0, st)
    store, _ = set_external_limit(store, v201(70, "TxDefaultProfile", (0, 4_000)), 0, V201)
    assert store.clear(ClearCriteria.from_v201())[1] is ClearStatus.ACCEPTED
    assert [e.profile.id for e in store.clear(ClearCriteria.from_v201())[0].installed] == [70]
    assert clear_external_limit(store, LimitSource.SO, V201) == (store, None)
    cleared, payload = clear_external_limit(store, LimitSource.EMS, V201)
    assert [e.profile.id for e in cleared.installed] == [1]
    assert payload == {"charging_limit_source": "EMS"}
    assert_conforms("ClearedChargingLimit", payload, V201)
    _, on_evse = clear_external_limit(store, LimitSource.EMS, V201, evse_id=0)
    assert on_evse == {"charging_limit_source": "EMS", "evse_id": 0}
    assert clear_external_limit(store, LimitSource.EMS, V16)[1] is None


@pytest.mark.parametrize(
    ("current_type", "phases", "mode"),
    [("ac", 3, "AC_three_phase"), ("ac", 1, "AC_single_phase"), ("dc", 3, "DC")],
)
def test_the_evs_needs_are_told_for_the_supply_of_the_evse(current_type: str, phases: int, mode: str) -> None:
    st = station(V201, current_type=current_type, phases=phases)
    needs = ChargingNeeds(
        30_000, 32, 400, ev_min_current_a=6, ev_max_power_w=50_000, state_of_charge=40, departure_time=at(18)
    )
    payload = charging_needs_payload(1, needs, st, max_schedule_tuples=3)
    assert payload["charging_needs"]["requested_energy_transfer"] == mode
    assert payload["charging_needs"]["departure_time"] == "2026-11-30T18:00:00.000Z"
    assert ("dc_charging_parameters" in payload["charging_needs"]) is (current_type == "dc")
    assert_conforms("NotifyEVChargingNeeds", payload, V201)


def test_the_evs_schedule_stays_within_the_limits_and_its_own_maximum() -> None:
    st = station(V201, transactions={1: ("tx-1", at(10))})
    tx = v201(
        1,
        "TxProfile",
        (0, 11_000),
        (HOUR, 3_000),
        (2 * HOUR, 22_000),
        kind="Relative",
        start=None,
        transaction_id="tx-1",
    )
    store, rejection = set_profile(ProfileStore(), tx, 1, st)
    assert rejection is None
    payload = ev_charging_schedule(store, st, 1, at(10), 3 * HOUR, ev_max_power_w=7_400.0, schedule_id=4)
    schedule = payload["charging_schedule"]
    assert schedule["id"] == 4
    assert schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": 7_400.0},
        {"start_period": HOUR, "limit": 3_000.0},
        {"start_period": 2 * HOUR, "limit": 7_400.0},
    ]
    assert payload["time_base"] == "2026-11-30T10:00:00.000Z"
    assert_conforms("NotifyEVChargingSchedule", payload, V201)
