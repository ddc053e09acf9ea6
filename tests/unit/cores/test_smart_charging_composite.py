"""The composite schedule and the limit in force: what GetCompositeSchedule answers, what the meter follows.

OCPP 1.6 section 3.13 (stacking, combining purposes, recurring and relative profiles) and 5.7
(GetCompositeSchedule); OCPP 2.0.1 K08 (GetCompositeSchedule) and the K01 rules on phases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.protocol import OcppVersion
from ocpp_bridge.core.smart_charging.composite import (
    composite_schedule,
    default_unit,
    get_composite_schedule,
    limit_at,
    next_change,
    shared_power,
)
from ocpp_bridge.core.smart_charging.model import (
    Capabilities,
    ChargingProfile,
    InstalledProfile,
    LimitSource,
    RateUnit,
    Rejection,
    Station,
)
from ocpp_bridge.core.smart_charging.rules import set_profile
from ocpp_bridge.core.smart_charging.store import ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import MONDAY, V16, V201, at, station, v16, v201

W, A = RateUnit.WATTS, RateUnit.AMPS
HOUR = 3600


def load(st: Station, *profiles: tuple[ChargingProfile, int]) -> ProfileStore:
    store = ProfileStore()
    for profile, evse_id in profiles:
        store, rejection = set_profile(store, profile, evse_id, st)
        assert rejection is None, rejection
    return store


def periods(
    store: ProfileStore, st: Station, evse_id: int, start, duration: int, unit: RateUnit = W
) -> list[tuple]:
    schedule = composite_schedule(store, st, evse_id, start, duration, unit)
    return [
        (p.start_period, p.limit) if p.number_phases is None else (p.start_period, p.limit, p.number_phases)
        for p in schedule.periods
    ]


# The example of OCPP 1.6 section 3.13: a default that limits charging during the day, every day.
DAYTIME_LIMIT = v16(
    1,
    "TxDefaultProfile",
    (0, 11_000),
    (8 * HOUR, 6_000),
    (20 * HOUR, 11_000),
    kind="Recurring",
    recurrency_kind="Daily",
    duration=24 * HOUR,
)


def test_without_profiles_the_hardware_maximum_is_the_whole_schedule() -> None:
    st = station(V16)
    assert periods(ProfileStore(), st, 1, at(9), HOUR) == [(0, 22_000.0)]
    assert periods(ProfileStore(), st, 1, at(9), HOUR, A) == [(0, 31.8)]  # 22 kW / (230 V * 3), rounded down
    limit = limit_at(ProfileStore(), st, 1, at(9))
    assert (limit.power_w, limit.by_profile) == (22_000.0, False)


def test_a_daily_recurring_default_limits_every_day_at_the_same_hours() -> None:
    st = station(V16)
    store = load(st, (DAYTIME_LIMIT, 0))
    assert periods(store, st, 1, at(7), 2 * HOUR) == [(0, 11_000.0), (HOUR, 6_000.0)]
    assert periods(store, st, 2, at(19, 30, day=3), HOUR) == [(0, 6_000.0), (1800, 11_000.0)]
    assert limit_at(store, st, 1, at(12, day=6)).power_w == 6_000.0
    assert limit_at(store, st, 1, at(21, day=6)).power_w == 11_000.0


def test_a_recurring_profile_recurs_before_its_start_schedule_too() -> None:
    st = station(V16)
    store = load(st, (DAYTIME_LIMIT, 0))
    assert limit_at(store, st, 1, MONDAY - timedelta(days=3, hours=12)).power_w == 6_000.0


def test_a_weekly_recurring_profile_repeats_after_seven_days() -> None:
    st = station(V16)
    weekend_only = v16(
        2,
        "TxDefaultProfile",
        (0, 3_000),
        (5 * 24 * HOUR, 22_000),
        kind="Recurring",
        recurrency_kind="Weekly",
    )
    store = load(st, (weekend_only, 0))
    assert limit_at(store, st, 1, at(12, day=2)).power_w == 3_000.0  # Wednesday
    assert limit_at(store, st, 1, at(12, day=5)).power_w == 22_000.0  # Saturday
    assert limit_at(store, st, 1, at(12, day=9)).power_w == 3_000.0  # the Wednesday after
    assert periods(store, st, 1, at(23, day=4), 2 * HOUR) == [(0, 3_000.0), (HOUR, 22_000.0)]


def test_16_a_recurring_profile_without_start_recurs_from_midnight_utc() -> None:
    st = station(V16)
    nights = v16(
        3,
        "TxDefaultProfile",
        (0, 11_000),
        (6 * HOUR, 4_000),
        kind="Recurring",
        recurrency_kind="Daily",
        start=None,
    )
    store = load(st, (nights, 0))
    assert limit_at(store, st, 1, at(5, 59, day=4)).power_w == 11_000.0
    assert limit_at(store, st, 1, at(6, day=4)).power_w == 4_000.0


def test_a_higher_stack_level_prevails_while_it_is_valid() -> None:
    """1.6 3.13.2: a holiday profile at stack level 1 over the everyday default at level 0."""
    st = station(V16)
    holiday = v16(
        2,
        "TxDefaultProfile",
        (0, 3_000),
        stack_level=1,
        valid_from=at(0, day=1).isoformat(),
        valid_to=at(0, day=2).isoformat(),
    )
    store = load(st, (DAYTIME_LIMIT, 0), (holiday, 0))
    assert periods(store, st, 1, at(23), 2 * HOUR) == [(0, 11_000.0), (HOUR, 3_000.0)]
    assert periods(store, st, 1, at(23, day=1), 2 * HOUR) == [(0, 3_000.0), (HOUR, 11_000.0)]


def test_when_a_schedule_ends_the_next_lower_stack_level_prevails_again() -> None:
    st = station(V16)
    boost = v16(2, "TxDefaultProfile", (0, 22_000), stack_level=3, start=at(9), duration=HOUR)
    store = load(st, (DAYTIME_LIMIT, 0), (boost, 0))
    assert periods(store, st, 1, at(8, 30), 2 * HOUR) == [(0, 6_000.0), (1800, 22_000.0), (5400, 6_000.0)]


def test_a_tx_profile_overrules_the_default_for_its_transaction_only() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    tx = v16(2, "TxProfile", (0, 7_400), kind="Relative", start=None, duration=HOUR)
    store = load(st, (DAYTIME_LIMIT, 0), (tx, 1))
    assert periods(store, st, 1, at(10), 2 * HOUR) == [(0, 7_400.0), (HOUR, 6_000.0)]
    assert periods(store, st, 2, at(10), 2 * HOUR) == [(0, 6_000.0)]
    assert periods(store.end_transaction("9"), st, 1, at(10), HOUR) == [(0, 6_000.0)]


def test_a_tx_profile_even_above_the_default_overrules_it() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(st, (DAYTIME_LIMIT, 0), (v16(2, "TxProfile", (0, 9_000), start=None), 1))
    assert limit_at(store, st, 1, at(11)).power_w == 9_000.0


def test_the_station_maximum_caps_whatever_the_transaction_may_take() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(
        st,
        (v16(1, "ChargePointMaxProfile", (0, 16_000), (HOUR, 5_000), start=at(10)), 0),
        (v16(2, "TxProfile", (0, 11_000), start=None), 1),
    )
    assert periods(store, st, 1, at(10), 2 * HOUR) == [(0, 11_000.0), (HOUR, 5_000.0)]


def test_201_external_constraints_cap_too() -> None:
    st = station(V201)
    ems = InstalledProfile(
        v201(9, "ChargingStationExternalConstraints", (0, 4_000), start=at(0)), 0, LimitSource.EMS
    )
    store = ProfileStore().install(ems, V201)
    store, _ = set_profile(store, v201(1, "TxDefaultProfile", (0, 11_000)), 1, st)
    assert periods(store, st, 1, at(12), HOUR) == [(0, 4_000.0)]


def test_relative_profiles_start_with_the_transaction() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    relative = v16(1, "TxDefaultProfile", (0, 11_000), (HOUR, 3_000), kind="Relative", start=None)
    store = load(st, (relative, 1))
    assert periods(store, st, 1, at(10, 30), HOUR) == [(0, 11_000.0), (1800, 3_000.0)]


def test_without_a_transaction_a_relative_profile_starts_with_the_window() -> None:
    st = station(V16)
    relative = v16(1, "TxDefaultProfile", (0, 11_000), (HOUR, 3_000), kind="Relative", start=None)
    store = load(st, (relative, 1))
    assert periods(store, st, 1, at(15, 17), 2 * HOUR) == [(0, 11_000.0), (HOUR, 3_000.0)]


def test_16_an_absolute_profile_without_start_is_relative_to_the_start_of_charging() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(st, (v16(1, "TxProfile", (0, 11_000), (HOUR, 3_000), start=None), 1))
    assert limit_at(store, st, 1, at(10, 59)).power_w == 11_000.0
    assert limit_at(store, st, 1, at(11, 0)).power_w == 3_000.0


def test_16_a_first_period_after_the_start_leaves_the_beginning_unlimited() -> None:
    st = station(V16)
    store = load(st, (v16(1, "TxDefaultProfile", (HOUR, 3_000), start=at(10)), 1))
    assert periods(store, st, 1, at(10), 2 * HOUR) == [(0, 22_000.0), (HOUR, 3_000.0)]


def test_validity_bounds_cut_a_profile() -> None:
    st = station(V16)
    afternoon = v16(
        1, "TxDefaultProfile", (0, 5_000), valid_from=at(12).isoformat(), valid_to=at(14).isoformat()
    )
    store = load(st, (afternoon, 1))
    assert periods(store, st, 1, at(11), 4 * HOUR) == [(0, 22_000.0), (HOUR, 5_000.0), (3 * HOUR, 22_000.0)]


def test_16_a_connectors_own_default_replaces_the_connector_0_default_for_it_only() -> None:
    """Even at a lower level: "the TxDefaultProfile SHALL be replaced only for that specific connector"."""
    st = station(V16)
    everywhere = v16(1, "TxDefaultProfile", (0, 11_000), stack_level=5)
    store = load(st, (everywhere, 0), (v16(2, "TxDefaultProfile", (0, 2_000), stack_level=0), 1))
    assert limit_at(store, st, 1, at(22)).power_w == 2_000.0
    assert limit_at(store, st, 2, at(22)).power_w == 11_000.0


def test_201_defaults_of_evse_0_and_of_the_evse_stack_by_level() -> None:
    st = station(V201)
    store = load(
        st,
        (v201(1, "TxDefaultProfile", (0, 9_000), stack_level=2), 0),
        (v201(2, "TxDefaultProfile", (0, 2_000), stack_level=1), 1),
    )
    assert limit_at(store, st, 1, at(12)).power_w == 9_000.0
    store = load(
        st,
        (v201(1, "TxDefaultProfile", (0, 9_000), stack_level=1), 0),
        (v201(2, "TxDefaultProfile", (0, 2_000), stack_level=2), 1),
    )
    assert limit_at(store, st, 1, at(12)).power_w == 2_000.0
    assert limit_at(store, st, 2, at(12)).power_w == 9_000.0


def test_the_whole_charger_draws_what_its_evses_may_within_its_own_maximum() -> None:
    """GetCompositeSchedule for evse 0: "the expected consumption of the grid connection"."""
    st = station(V201, transactions={1: ("tx-1", at(10))})  # two EVSEs of 22 kW
    assert periods(ProfileStore(), st, 0, at(12), HOUR) == [(0, 44_000.0)]
    defaults = load(st, (v201(1, "TxDefaultProfile", (0, 3_000)), 0))
    assert periods(defaults, st, 0, at(12), HOUR) == [(0, 6_000.0)]
    capped = load(
        st,
        (v201(2, "ChargingStationMaxProfile", (0, 30_000), (HOUR, 10_000), start=at(12)), 0),
        (v201(3, "TxProfile", (0, 5_000), kind="Relative", start=None, transaction_id="tx-1"), 1),
    )
    assert periods(capped, st, 0, at(12), 2 * HOUR) == [(0, 27_000.0), (HOUR, 10_000.0)]  # 5 + 22 kW, then 10
    assert periods(capped, st, 0, at(12), HOUR, A) == [(0, 39.1)]  # 27 kW / 690 V
    assert limit_at(capped, st, 0, at(12)).by_profile
    assert next_change(capped, st, 0, at(12)) == at(13)


# --- amps and watts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "unit", "phases", "watts", "amps"),
    [
        (16, "A", None, 11_040.0, 16.0),  # 16 A * 230 V * 3 phases
        (16, "A", 1, 3_680.0, 16.0),
        (11_000, "W", None, 11_000.0, 15.9),  # 11 kW / 690 V = 15.94 A, one decimal, rounded down
        (7_360, "W", 1, 7_360.0, 32.0),
    ],
)
def test_amps_and_watts_convert_at_230_v_per_phase(limit, unit, phases, watts, amps) -> None:
    st = station(V16, max_power_w=50_000)
    pair = (0, limit) if phases is None else (0, limit, phases)
    store = load(st, (v16(1, "TxDefaultProfile", pair, unit=unit), 1))
    assert periods(store, st, 1, at(12), HOUR, W)[0][1] == watts
    assert periods(store, st, 1, at(12), HOUR, A)[0][1] == amps


def test_the_fewest_phases_and_the_least_current_of_all_constraints_apply() -> None:
    """10 A on 3 phases and 16 A on 1 phase: only 10 A on 1 phase satisfies both (2.3 kW)."""
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(
        st,
        (v16(1, "ChargePointMaxProfile", (0, 10, 3), unit="A", start=at(0)), 0),
        (v16(2, "TxProfile", (0, 16, 1), unit="A", start=None), 1),
    )
    assert periods(store, st, 1, at(12), HOUR, A) == [(0, 10.0, 1)]
    assert periods(store, st, 1, at(12), HOUR, W) == [(0, 2_300.0, 1)]
    limit = limit_at(store, st, 1, at(12))
    assert (limit.power_w, limit.current_a, limit.phases) == (2_300.0, 10.0, 1)


def test_a_single_phase_connector_never_counts_three_phases() -> None:
    st = station(V16, phases=1, max_power_w=7_360)
    store = load(st, (v16(1, "TxDefaultProfile", (0, 16), unit="A"), 1))
    assert periods(store, st, 1, at(12), HOUR, W) == [(0, 3_680.0, 1)]


def test_dc_converts_at_400_v_and_has_no_phases() -> None:
    st = station(V201, current_type="dc", max_power_w=150_000)
    store = load(st, (v201(1, "TxDefaultProfile", (0, 100), unit="A"), 1))
    assert periods(store, st, 1, at(12), HOUR, W) == [(0, 40_000.0)]
    assert periods(store, st, 1, at(12), HOUR, A) == [(0, 100.0)]
    assert limit_at(store, st, 1, at(12)).phases is None


def test_equal_neighbouring_periods_are_merged() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(
        st,
        (v16(1, "TxDefaultProfile", (0, 7_000)), 1),
        (v16(2, "TxProfile", (0, 7_000), (1800, 5_000), (2400, 7_000), start=None, duration=HOUR), 1),
    )
    assert periods(store, st, 1, at(10), 2 * HOUR) == [(0, 7_000.0), (1800, 5_000.0), (2400, 7_000.0)]


def test_the_schedule_starts_on_a_whole_second() -> None:
    st = station(V16)
    schedule = composite_schedule(ProfileStore(), st, 1, at(12) + timedelta(microseconds=700_000), 60, W)
    assert schedule.start == at(12)


# --- what the meter follows ------------------------------------------------------------------------


def test_the_meter_follows_the_least_of_the_ev_and_the_limit() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store = load(st, (DAYTIME_LIMIT, 0))
    limit = limit_at(store, st, 1, at(12))
    assert limit.by_profile
    assert limit.follow(11_000.0) == 6_000.0
    assert limit.follow(3_500.0) == 3_500.0
    paused = load(st, (v16(2, "TxProfile", (0, 0), start=None), 1))
    assert limit_at(paused, st, 1, at(12)).follow(11_000.0) == 0.0  # a 0 W profile suspends (SuspendedEVSE)


def test_the_next_change_says_when_to_look_at_the_limit_again() -> None:
    st = station(V16)
    store = load(st, (DAYTIME_LIMIT, 0))
    assert next_change(store, st, 1, at(7)) == at(8)
    assert next_change(store, st, 1, at(8)) == at(20)
    assert next_change(store, st, 1, at(21)) == at(8, day=1)
    assert next_change(ProfileStore(), st, 1, at(7)) is None
    flat = load(st, (v16(1, "TxDefaultProfile", (0, 5_000)), 1))
    assert next_change(flat, st, 1, at(7)) is None


def test_a_boundary_that_changes_nothing_is_not_a_change() -> None:
    st = station(V16)
    store = load(
        st, (v16(1, "TxDefaultProfile", (0, 5_000), (HOUR, 5_000), (2 * HOUR, 1_000), start=at(0)), 1)
    )
    assert next_change(store, st, 1, at(0, 30)) == at(2)


# --- GetCompositeSchedule --------------------------------------------------------------------------


def test_16_get_composite_schedule_answers_in_the_unit_asked_for_and_conforms_to_the_schema() -> None:
    st = station(V16)
    store = load(st, (DAYTIME_LIMIT, 0))
    answer = get_composite_schedule(store, st, 1, 2 * HOUR, "W", at(7))
    assert not isinstance(answer, Rejection)
    payload = answer.v16_payload()
    assert payload["connector_id"] == 1
    assert payload["schedule_start"] == "2026-11-30T07:00:00.000Z"
    assert payload["charging_schedule"]["charging_rate_unit"] == "W"
    assert payload["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 11_000.0},
        {"start_period": 3600, "limit": 6_000.0},
    ]
    assert_conforms("GetCompositeSchedule", payload, V16, response=True)


def test_201_get_composite_schedule_conforms_to_the_schema() -> None:
    st = station(V201)
    store = load(st, (v201(1, "TxDefaultProfile", (0, 16, 1), unit="A"), 1))
    answer = get_composite_schedule(store, st, 1, HOUR, "A", at(7))
    assert not isinstance(answer, Rejection)
    payload = answer.v201_payload()
    assert payload["schedule"]["evse_id"] == 1
    assert payload["schedule"]["charging_rate_unit"] == "A"  # the profile's unit does not decide: A asked
    assert payload["schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 16.0, "number_phases": 1}
    ]
    assert_conforms("GetCompositeSchedule", payload, V201, response=True)


@pytest.mark.parametrize("version", [V16, V201])
def test_get_composite_schedule_rejects_an_unknown_evse_and_an_unsupported_unit(version: OcppVersion) -> None:
    st = station(version, capabilities=Capabilities(rate_units=frozenset({W})))
    unknown = get_composite_schedule(ProfileStore(), st, 5, HOUR, "W", at(7))
    assert isinstance(unknown, Rejection)
    assert unknown.reason_code == "InvalidValue"
    amps = get_composite_schedule(ProfileStore(), st, 1, HOUR, "A", at(7))
    assert isinstance(amps, Rejection)
    assert amps.reason_code == "UnsupportedRateUnit"
    negative = get_composite_schedule(ProfileStore(), st, 1, -1, "W", at(7))
    assert isinstance(negative, Rejection)


def test_the_default_unit_is_watts_when_supported() -> None:
    assert default_unit(station(V16)) is W
    assert default_unit(station(V16, current_type="dc")) is W
    assert default_unit(station(V16, capabilities=Capabilities(rate_units=frozenset({A})))) is A


def test_a_tx_profile_left_from_another_transaction_limits_nothing() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    stale = ProfileStore().install(
        InstalledProfile(v16(2, "TxProfile", (0, 1_000), start=None), 1, transaction_id="8"), V16
    )
    assert limit_at(stale, st, 1, at(11)).power_w == 22_000.0
    assert limit_at(stale, station(V16), 1, at(11)).power_w == 22_000.0
    pending = ProfileStore().install(InstalledProfile(v16(2, "TxProfile", (0, 1_000), start=None), 1), V16)
    assert limit_at(pending, station(V16), 1, at(11)).power_w == 1_000.0  # a remote start's, before it starts


def test_get_composite_schedule_without_a_unit_answers_in_watts() -> None:
    st = station(V16)
    store = load(st, (v16(1, "TxDefaultProfile", (0, 16), unit="A"), 1))
    answer = get_composite_schedule(store, st, 1, HOUR, None, at(7))
    assert not isinstance(answer, Rejection)
    assert (answer.rate_unit, answer.periods[0].limit) == (W, 11_040.0)


def test_evses_charging_at_once_share_the_chargers_maximum() -> None:
    """1.6 3.13: a ChargePointMaxProfile limits the power "shared by all connectors of the Charge Point"."""
    st = station(V16, transactions={1: ("9", at(10)), 2: ("10", at(10))})
    store = load(st, (v16(1, "ChargePointMaxProfile", (0, 11_000), start=at(0)), 0))
    assert shared_power(store, st, at(12), {1: 11_000.0, 2: 11_000.0}) == {1: 5_500.0, 2: 5_500.0}
    assert shared_power(store, st, at(12), {1: 2_000.0, 2: 11_000.0}) == {1: 2_000.0, 2: 9_000.0}
    assert shared_power(store, st, at(12), {1: 0.0, 2: 22_000.0}) == {1: 0.0, 2: 11_000.0}
    assert shared_power(ProfileStore(), st, at(12), {1: 30_000.0, 2: 7_000.0}) == {1: 22_000.0, 2: 7_000.0}
    own = load(
        st,
        (v16(1, "ChargePointMaxProfile", (0, 11_000), start=at(0)), 0),
        (v16(2, "TxProfile", (0, 1_000), start=None), 1),
    )
    assert shared_power(own, st, at(12), {1: 11_000.0, 2: 11_000.0}) == {1: 1_000.0, 2: 10_000.0}


def test_a_month_of_a_daily_default_has_two_changes_a_day() -> None:
    st = station(V16)
    store = load(st, (DAYTIME_LIMIT, 0))
    month = periods(store, st, 1, at(0), 30 * 24 * HOUR)
    assert len(month) == 1 + 2 * 30  # 11 kW until 08:00, then 6 kW and 11 kW each day (midnight: merged)
    assert month[:3] == [(0, 11_000.0), (8 * HOUR, 6_000.0), (20 * HOUR, 11_000.0)]
    assert month[-1] == ((29 * 24 + 20) * HOUR, 11_000.0)


def test_201_of_alternative_schedules_the_first_is_followed() -> None:
    """A non-ISO 15118 EV cannot choose among a profile's schedules: the charger follows the first."""
    st = station(V201, transactions={1: ("tx-1", at(10))})
    profile = v201(1, "TxProfile", (0, 7_400), kind="Relative", start=None, transaction_id="tx-1")
    second = replace(profile.schedule, id=11, periods=(replace(profile.schedule.periods[0], limit=1_000.0),))
    store = load(st, (replace(profile, schedules=(profile.schedule, second)), 1))
    assert limit_at(store, st, 1, at(11)).power_w == 7_400.0
