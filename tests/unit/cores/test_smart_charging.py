"""Charging profiles: what a charger accepts, what it replaces, what clearing and transactions remove.

OCPP 1.6 section 3.13 and 5.16 (SetChargingProfile), 5.5 (ClearChargingProfile), 5.11 (RemoteStart);
OCPP 2.0.1 K01 (SetChargingProfile), K05 (remote start with a profile), K10 (ClearChargingProfile).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from ocpp_bridge.core.smart_charging.model import (
    SMART_CHARGING_KEYS,
    Capabilities,
    InstalledProfile,
    LimitSource,
    ProfileKind,
    Purpose,
    RateUnit,
    Recurrency,
    capabilities_from,
    purpose_name,
    rate_units_v201,
)
from ocpp_bridge.core.smart_charging.payloads import (
    ProfileFormatError,
    parse_profile,
    profile_payload,
)
from ocpp_bridge.core.smart_charging.rules import set_profile
from ocpp_bridge.core.smart_charging.store import ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import MONDAY, V16, V201, reason, station, v16, v16_payload, v201, v201_payload

EMPTY = ProfileStore()


# --- payloads -------------------------------------------------------------------------------------


def test_a_16_profile_is_read_from_the_snake_case_payload_the_ocpp_library_delivers() -> None:
    payload = v16_payload(
        7,
        "TxDefaultProfile",
        (0, 16.0, 3),
        (3600, 10.0),
        stack_level=2,
        kind="Recurring",
        unit="A",
        duration=86_400,
        recurrency_kind="Daily",
        valid_from="2026-11-30T00:00:00Z",
        valid_to="2026-12-31T00:00:00.000Z",
    )
    profile = parse_profile(payload, V16)
    assert (profile.id, profile.stack_level, profile.purpose, profile.kind) == (
        7,
        2,
        Purpose.TX_DEFAULT,
        ProfileKind.RECURRING,
    )
    assert profile.recurrency is Recurrency.DAILY
    assert profile.valid_from == MONDAY
    assert profile.valid_to == MONDAY + timedelta(days=31)
    schedule = profile.schedule
    assert (schedule.rate_unit, schedule.start_schedule, schedule.duration) == (RateUnit.AMPS, MONDAY, 86_400)
    assert [(p.start_period, p.limit, p.number_phases) for p in schedule.periods] == [
        (0, 16.0, 3),
        (3600, 10.0, None),
    ]


def test_the_16_station_maximum_is_called_charge_point_max_profile() -> None:
    profile = v16(1, "ChargePointMaxProfile", (0, 11_000))
    assert profile.purpose is Purpose.STATION_MAX
    assert purpose_name(Purpose.STATION_MAX, V16) == "ChargePointMaxProfile"
    assert purpose_name(Purpose.STATION_MAX, V201) == "ChargingStationMaxProfile"
    with pytest.raises(ProfileFormatError, match="chargingProfilePurpose"):
        parse_profile(v16_payload(1, "ChargingStationMaxProfile", (0, 1)), V16)


def test_a_16_transaction_id_is_an_integer_kept_as_text() -> None:
    profile = v16(1, "TxProfile", (0, 7_400), transaction_id=42)
    assert profile.transaction_id == "42"
    assert profile_payload(profile, V16)["transaction_id"] == 42


def test_a_201_profile_carries_up_to_three_schedules_and_the_first_is_followed() -> None:
    payload = v201_payload(3, "TxProfile", (0, 11_000), transaction_id="tx-1")
    second = {
        **payload["charging_schedule"][0],
        "id": 31,
        "charging_schedule_period": [{"start_period": 0, "limit": 1}],
    }
    payload["charging_schedule"].append(second)
    profile = parse_profile(payload, V201)
    assert len(profile.schedules) == 2
    assert profile.schedule.id == 30
    assert profile.schedule.periods[0].limit == 11_000
    assert profile.transaction_id == "tx-1"


@pytest.mark.parametrize("version", [V16, V201])
def test_a_profile_survives_a_round_trip_through_its_payload(version) -> None:
    build = v16 if version is V16 else v201
    tx = {"transaction_id": 5} if version is V16 else {"transaction_id": "5"}
    profile = build(9, "TxProfile", (0, 32.0, 1), (900, 16.0), unit="A", duration=1800, stack_level=3, **tx)
    assert parse_profile(profile_payload(profile, version), version) == profile


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stack_level": "1"}, "stackLevel"),
        ({"charging_profile_kind": "Sometimes"}, "chargingProfileKind"),
        ({"valid_from": "yesterday"}, "validFrom"),
        (
            {"charging_schedule": {"charging_rate_unit": "W", "charging_schedule_period": []}},
            "chargingSchedulePeriod",
        ),
        ({"charging_schedule": None}, "chargingSchedule"),
    ],
)
def test_a_malformed_payload_names_the_field(change, field) -> None:
    payload = {**v16_payload(1, "TxDefaultProfile", (0, 1)), **change}
    with pytest.raises(ProfileFormatError) as raised:
        parse_profile(payload, V16, "csChargingProfiles")
    assert raised.value.field.startswith("csChargingProfiles.")
    assert field in raised.value.field


def test_a_period_limit_that_is_not_a_number_is_named_with_its_index() -> None:
    payload = v201_payload(1, "TxDefaultProfile", (0, 1), (60, 2))
    payload["charging_schedule"][0]["charging_schedule_period"][1]["limit"] = "lots"
    with pytest.raises(
        ProfileFormatError, match=r"chargingSchedule\[0\]\.chargingSchedulePeriod\[1\]\.limit"
    ):
        parse_profile(payload, V201)


# --- what a charger accepts (SetChargingProfile) -------------------------------------------------


def test_16_a_charge_point_max_profile_is_set_on_connector_0_only() -> None:
    assert reason(v16(1, "ChargePointMaxProfile", (0, 11_000)), 0) is None
    assert reason(v16(1, "ChargePointMaxProfile", (0, 11_000)), 1) == "InvalidValue"


def test_201_a_station_maximum_is_set_on_evse_0_and_is_never_relative() -> None:
    assert reason(v201(1, "ChargingStationMaxProfile", (0, 11_000)), 0) is None
    assert reason(v201(1, "ChargingStationMaxProfile", (0, 11_000)), 2) == "InvalidValue"
    relative = v201(1, "ChargingStationMaxProfile", (0, 11_000), kind="Relative", start=None)
    assert reason(relative, 0) == "InvalidValue"


def test_a_profile_for_a_connector_that_does_not_exist_is_rejected() -> None:
    assert reason(v16(1, "TxDefaultProfile", (0, 11_000)), 3) == "InvalidValue"
    assert reason(v201(1, "TxDefaultProfile", (0, 11_000)), 3) == "InvalidValue"


def test_16_a_tx_profile_without_a_transaction_on_the_connector_is_rejected() -> None:
    profile = v16(1, "TxProfile", (0, 7_400))
    assert reason(profile, 1) == "TxNotFound"
    assert reason(profile, 1, station(V16, transactions={2: ("9", MONDAY)})) == "TxNotFound"
    assert reason(profile, 1, station(V16, transactions={1: ("9", MONDAY)})) is None


def test_16_a_tx_profile_may_omit_the_transaction_and_is_bound_to_the_running_one() -> None:
    st = station(V16, transactions={1: ("9", MONDAY)})
    store, rejection = set_profile(EMPTY, v16(1, "TxProfile", (0, 7_400)), 1, st)
    assert rejection is None
    assert store.installed[0].transaction_id == "9"


def test_a_tx_profile_naming_another_transaction_is_rejected() -> None:
    st16 = station(V16, transactions={1: ("9", MONDAY)})
    assert reason(v16(1, "TxProfile", (0, 7_400), transaction_id=8), 1, st16) == "TxNotFound"
    st201 = station(V201, transactions={1: ("tx-a", MONDAY)})
    assert reason(v201(1, "TxProfile", (0, 7_400), transaction_id="tx-b"), 1, st201) == "TxNotFound"
    assert reason(v201(1, "TxProfile", (0, 7_400), transaction_id="tx-a"), 1, st201) is None


def test_201_a_tx_profile_must_name_its_transaction_unless_the_charger_is_lenient() -> None:
    st = station(V201, transactions={1: ("tx-a", MONDAY)})
    assert reason(v201(1, "TxProfile", (0, 7_400)), 1, st) == "MissingParam"
    lenient = replace(st, capabilities=Capabilities(tx_profile_without_transaction_id=True))
    store, rejection = set_profile(EMPTY, v201(1, "TxProfile", (0, 7_400)), 1, lenient)
    assert rejection is None
    assert store.installed[0].transaction_id == "tx-a"


def test_a_tx_profile_is_never_set_on_the_whole_charger() -> None:
    assert reason(v16(1, "TxProfile", (0, 7_400)), 0) == "InvalidValue"
    assert reason(v201(1, "TxProfile", (0, 7_400), transaction_id="t"), 0) == "InvalidValue"


def test_201_the_csms_cannot_set_external_constraints() -> None:
    assert reason(v201(1, "ChargingStationExternalConstraints", (0, 7_400)), 0) == "InvalidValue"


def test_201_an_id_held_by_an_external_constraint_cannot_be_reused() -> None:
    ems = InstalledProfile(v201(5, "ChargingStationExternalConstraints", (0, 7_400)), 0, LimitSource.EMS)
    store = EMPTY.install(ems, V201)
    assert reason(v201(5, "TxDefaultProfile", (0, 11_000)), 1, store=store) == "DuplicateProfile"


def test_the_stack_level_is_between_0_and_the_chargers_maximum() -> None:
    st = station(V16, capabilities=Capabilities(max_stack_level=3))
    assert reason(v16(1, "TxDefaultProfile", (0, 1), stack_level=3), 1, st) is None
    assert reason(v16(1, "TxDefaultProfile", (0, 1), stack_level=4), 1, st) == "InvalidStackLevel"
    assert reason(v16(1, "TxDefaultProfile", (0, 1), stack_level=-1), 1, st) == "InvalidStackLevel"


def test_a_rate_unit_the_charger_does_not_support_is_rejected() -> None:
    watts_only = station(V201, capabilities=Capabilities(rate_units=frozenset({RateUnit.WATTS})))
    assert reason(v201(1, "TxDefaultProfile", (0, 16), unit="A"), 1, watts_only) == "UnsupportedRateUnit"


def test_more_periods_than_the_charger_holds_are_rejected() -> None:
    st = station(V16, capabilities=Capabilities(max_periods=2))
    assert reason(v16(1, "TxDefaultProfile", (0, 1), (60, 2)), 1, st) is None
    assert reason(v16(1, "TxDefaultProfile", (0, 1), (60, 2), (120, 3)), 1, st) == "InvalidSchedule"


def test_periods_must_start_in_increasing_order() -> None:
    assert reason(v16(1, "TxDefaultProfile", (0, 1), (60, 2), (60, 3)), 1) == "InvalidSchedule"
    assert reason(v201(1, "TxDefaultProfile", (0, 1), (120, 2), (60, 3)), 1) == "InvalidSchedule"


def test_201_the_first_period_starts_at_0_while_16_leaves_the_start_uncovered() -> None:
    assert reason(v201(1, "TxDefaultProfile", (60, 1)), 1) == "InvalidSchedule"
    assert reason(v16(1, "TxDefaultProfile", (60, 1)), 1) is None


def test_negative_limits_and_durations_are_rejected() -> None:
    assert reason(v16(1, "TxDefaultProfile", (0, -1)), 1) == "InvalidSchedule"
    assert reason(v16(1, "TxDefaultProfile", (0, 1), duration=-5), 1) == "InvalidSchedule"


def test_201_absolute_and_recurring_need_a_start_and_relative_must_not_have_one() -> None:
    assert reason(v201(1, "TxDefaultProfile", (0, 1), start=None), 1) == "InvalidSchedule"
    recurring = v201(1, "TxDefaultProfile", (0, 1), kind="Recurring", start=None, recurrency_kind="Daily")
    assert reason(recurring, 1) == "InvalidSchedule"
    assert reason(v201(1, "TxDefaultProfile", (0, 1), kind="Relative"), 1) == "InvalidSchedule"
    assert reason(v201(1, "TxDefaultProfile", (0, 1), kind="Relative", start=None), 1) is None


def test_16_is_lenient_about_start_schedule() -> None:
    assert (
        reason(v16(1, "TxDefaultProfile", (0, 1), start=None), 1) is None
    )  # "relative to start of charging"
    assert reason(v16(1, "TxDefaultProfile", (0, 1), kind="Relative"), 1) is None


def test_a_recurring_profile_needs_its_recurrency_kind() -> None:
    assert reason(v16(1, "TxDefaultProfile", (0, 1), kind="Recurring"), 1) == "InvalidValue"
    assert reason(v16(1, "TxDefaultProfile", (0, 1), kind="Recurring", recurrency_kind="Weekly"), 1) is None


def test_valid_to_must_come_after_valid_from() -> None:
    bad = v16(
        1, "TxDefaultProfile", (0, 1), valid_from="2026-12-02T00:00:00Z", valid_to="2026-12-01T00:00:00Z"
    )
    assert reason(bad, 1) == "InvalidValue"


def test_201_phases_must_fit_the_evse() -> None:
    single_phase = station(V201, phases=1)
    assert reason(v201(1, "TxDefaultProfile", (0, 16, 3), unit="A"), 1, single_phase) == "InvalidSchedule"
    assert reason(v201(1, "TxDefaultProfile", (0, 16, 1), unit="A"), 1, single_phase) is None
    dc = station(V201, current_type="dc")
    assert reason(v201(1, "TxDefaultProfile", (0, 50_000, 3)), 1, dc) == "InvalidSchedule"
    assert reason(v201(1, "TxDefaultProfile", (0, 50_000)), 1, dc) is None


def test_201_phase_to_use_needs_one_phase_and_phase_switching() -> None:
    profile = v201(1, "TxDefaultProfile", (0, 16, 1), unit="A")
    on_l2 = replace(profile.schedule.periods[0], phase_to_use=2)
    one_phase_on_l2 = replace(profile, schedules=(replace(profile.schedule, periods=(on_l2,)),))
    three_phases_on_l2 = replace(
        profile, schedules=(replace(profile.schedule, periods=(replace(on_l2, number_phases=3),)),)
    )
    assert (
        reason(three_phases_on_l2, 1, station(V201, capabilities=Capabilities(phase_switching=True)))
        == "InvalidSchedule"
    )
    assert reason(one_phase_on_l2, 1) == "InvalidSchedule"
    switching = station(V201, capabilities=Capabilities(phase_switching=True))
    assert reason(one_phase_on_l2, 1, switching) is None


def test_the_number_of_installed_profiles_is_bounded_but_a_replacement_always_fits() -> None:
    st = station(V16, capabilities=Capabilities(max_profiles=1))
    store, _ = set_profile(EMPTY, v16(1, "TxDefaultProfile", (0, 1)), 1, st)
    assert reason(v16(2, "TxDefaultProfile", (0, 1), stack_level=1), 1, st, store) == "TooManyElements"
    assert reason(v16(1, "TxDefaultProfile", (0, 2), stack_level=1), 1, st, store) is None  # same id


@pytest.mark.parametrize("version", [V16, V201])
def test_a_written_profile_is_a_valid_set_charging_profile_payload(version) -> None:
    build = v16 if version is V16 else v201
    profile = build(
        9,
        "TxDefaultProfile",
        (0, 32.0, 1),
        (900, 16.5),
        unit="A",
        kind="Recurring",
        recurrency_kind="Weekly",
        duration=1800,
        valid_to="2027-01-01T00:00:00Z",
    )
    if version is V16:
        request = {"connector_id": 0, "cs_charging_profiles": profile_payload(profile, version)}
    else:
        request = {"evse_id": 0, "charging_profile": profile_payload(profile, version)}
    assert_conforms("SetChargingProfile", request, version)


# --- rebuilt from the recorded events -------------------------------------------------------------


def test_the_capabilities_come_from_the_chargers_configuration() -> None:
    defaults = {key: default for key, default, *_ in SMART_CHARGING_KEYS}
    assert capabilities_from(defaults) == Capabilities()
    assert capabilities_from({}) == Capabilities()
    narrow = capabilities_from(
        {"ChargeProfileMaxStackLevel": "3", "ChargingScheduleAllowedChargingRateUnit": "Power"}
    )
    assert (narrow.max_stack_level, narrow.rate_units) == (3, frozenset({RateUnit.WATTS}))
    assert capabilities_from({"ChargingScheduleAllowedChargingRateUnit": "A,W"}).rate_units == {
        RateUnit.AMPS,
        RateUnit.WATTS,
    }
    assert capabilities_from({"ChargingScheduleMaxPeriods": "many"}).max_periods == Capabilities().max_periods


def test_201_spells_the_allowed_rate_units_a_and_w() -> None:
    assert rate_units_v201("Current,Power") == "A,W"
    assert rate_units_v201("Power") == "W"
    assert rate_units_v201("A, Watts") == "A"  # what it does not know is left out
