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
    ChargingProfile,
    InstalledProfile,
    LimitSource,
    ProfileKind,
    Purpose,
    RateUnit,
    Recurrency,
    capabilities_from,
    purpose_name,
)
from ocpp_bridge.core.smart_charging.payloads import (
    ProfileFormatError,
    installed_from_record,
    installed_record,
    parse_profile,
    profile_payload,
)
from ocpp_bridge.core.smart_charging.reports import ProfileQuery, ReportStatus, report_charging_profiles
from ocpp_bridge.core.smart_charging.rules import check_profile, set_profile
from ocpp_bridge.core.smart_charging.store import ClearCriteria, ClearStatus, ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import MONDAY, V16, V201, station, v16, v16_payload, v201, v201_payload

EMPTY = ProfileStore()


def installed(*entries: tuple[ChargingProfile, int], tx: str | None = None) -> ProfileStore:
    store = EMPTY
    for profile, evse_id in entries:
        store = store.install(InstalledProfile(profile, evse_id, transaction_id=tx), V16)
    return store


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


def reason(profile: ChargingProfile, evse_id: int, st=None, store: ProfileStore = EMPTY, **kw) -> str | None:
    rejection = check_profile(profile, evse_id, st or station(profile_version(profile)), store, **kw)
    return None if rejection is None else rejection.reason_code


def profile_version(profile: ChargingProfile):
    return V201 if profile.schedule.id is not None else V16


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


# --- replacement (1.6 5.16: same id, or same stackLevel and purpose; 2.0.1 K01) ------------------


def test_16_a_profile_with_the_same_id_replaces_the_old_one_wherever_it_was() -> None:
    st = station(V16)
    store, _ = set_profile(EMPTY, v16(1, "TxDefaultProfile", (0, 1)), 1, st)
    store, _ = set_profile(store, v16(1, "TxDefaultProfile", (0, 2), stack_level=4), 2, st)
    assert [(e.profile.id, e.evse_id, e.profile.stack_level) for e in store.installed] == [(1, 2, 4)]


def test_16_the_same_stack_level_and_purpose_on_the_same_connector_replaces_the_old_one() -> None:
    st = station(V16)
    store, _ = set_profile(EMPTY, v16(1, "TxDefaultProfile", (0, 1), stack_level=2), 1, st)
    store, _ = set_profile(store, v16(2, "TxDefaultProfile", (0, 2), stack_level=2), 2, st)  # other connector
    store, _ = set_profile(store, v16(3, "TxDefaultProfile", (0, 3), stack_level=2), 1, st)
    assert sorted((e.profile.id, e.evse_id) for e in store.installed) == [(2, 2), (3, 1)]


def test_16_a_connector_0_tx_default_is_not_replaced_by_a_connector_one() -> None:
    st = station(V16)
    store, _ = set_profile(EMPTY, v16(1, "TxDefaultProfile", (0, 1), stack_level=0), 0, st)
    store, _ = set_profile(store, v16(2, "TxDefaultProfile", (0, 2), stack_level=0), 1, st)
    assert sorted((e.profile.id, e.evse_id) for e in store.installed) == [(1, 0), (2, 1)]


def test_16_a_new_tx_profile_at_the_same_stack_level_replaces_the_transactions_old_one() -> None:
    st = station(V16, transactions={1: ("9", MONDAY)})
    store, _ = set_profile(EMPTY, v16(1, "TxProfile", (0, 7_400), stack_level=1), 1, st)
    store, rejection = set_profile(
        store, v16(2, "TxProfile", (0, 3_700), stack_level=1, transaction_id=9), 1, st
    )
    assert rejection is None
    assert [e.profile.id for e in store.installed] == [2]


def test_201_a_second_tx_profile_at_the_same_stack_level_is_rejected() -> None:
    st = station(V201, transactions={1: ("tx-a", MONDAY)})
    store, _ = set_profile(
        EMPTY, v201(1, "TxProfile", (0, 7_400), stack_level=1, transaction_id="tx-a"), 1, st
    )
    again = v201(2, "TxProfile", (0, 3_700), stack_level=1, transaction_id="tx-a")
    assert reason(again, 1, st, store) == "InvalidStackLevel"
    same_id = v201(1, "TxProfile", (0, 3_700), stack_level=1, transaction_id="tx-a")
    store, rejection = set_profile(store, same_id, 1, st)
    assert rejection is None
    assert [e.profile.schedule.periods[0].limit for e in store.installed] == [3_700]


def test_201_one_profile_per_purpose_stack_level_and_evse_at_a_time() -> None:
    st = station(V201)
    jan = {"valid_from": "2027-01-01T00:00:00Z", "valid_to": "2027-02-01T00:00:00Z"}
    feb = {"valid_from": "2027-02-01T00:00:00Z", "valid_to": "2027-03-01T00:00:00Z"}
    store, _ = set_profile(EMPTY, v201(1, "TxDefaultProfile", (0, 1), stack_level=1, **jan), 1, st)
    assert (
        reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1, **jan), 1, st, store) == "DuplicateProfile"
    )
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1), 1, st, store) == "DuplicateProfile"
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1, **feb), 1, st, store) is None
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=2, **jan), 1, st, store) is None
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1, **jan), 2, st, store) is None


def test_201_a_tx_default_on_evse_0_and_on_an_evse_cannot_share_a_stack_level() -> None:
    st = station(V201)
    store, _ = set_profile(EMPTY, v201(1, "TxDefaultProfile", (0, 1), stack_level=1), 0, st)
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1), 1, st, store) == "DuplicateProfile"
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=2), 1, st, store) is None
    store, _ = set_profile(EMPTY, v201(1, "TxDefaultProfile", (0, 1), stack_level=1), 2, st)
    assert reason(v201(2, "TxDefaultProfile", (0, 2), stack_level=1), 0, st, store) == "DuplicateProfile"


def test_201_a_rejected_profile_leaves_the_store_as_it_was() -> None:
    st = station(V201)
    store, _ = set_profile(EMPTY, v201(1, "TxDefaultProfile", (0, 1)), 1, st)
    after, rejection = set_profile(store, v201(2, "TxProfile", (0, 1), transaction_id="none"), 1, st)
    assert rejection is not None
    assert rejection.reason_code == "TxNotFound"
    assert "evse 1" in rejection.additional_info
    assert rejection.status_info()["reason_code"] == "TxNotFound"
    assert after is store


# --- remote start with a profile (1.6 5.11, 2.0.1 F01/K05) ----------------------------------------


def test_a_remote_start_profile_must_be_a_tx_profile_without_a_transaction_id() -> None:
    assert reason(v16(1, "TxDefaultProfile", (0, 1)), 1, remote_start=True) == "InvalidValue"
    assert reason(v16(1, "TxProfile", (0, 1), transaction_id=3), 1, remote_start=True) == "InvalidValue"
    assert reason(v16(1, "TxProfile", (0, 1)), 1, remote_start=True) is None
    assert reason(v201(1, "TxProfile", (0, 1)), 1, remote_start=True) is None


def test_a_remote_start_profile_belongs_to_the_transaction_that_starts_next() -> None:
    st = station(V201)
    store, _ = set_profile(EMPTY, v201(1, "TxProfile", (0, 7_400)), 1, st, remote_start=True)
    assert store.installed[0].transaction_id is None
    store = store.bind_transaction(1, "tx-new")
    assert store.installed[0].transaction_id == "tx-new"
    assert store.end_transaction("tx-new") == EMPTY


def test_a_remote_start_that_never_started_drops_its_profile() -> None:
    st = station(V16)
    store, _ = set_profile(EMPTY, v16(1, "TxProfile", (0, 7_400)), 1, st, remote_start=True)
    store, _ = set_profile(store, v16(2, "TxDefaultProfile", (0, 11_000)), 1, st)
    assert [e.profile.id for e in store.drop_unbound(1).installed] == [2]
    assert store.drop_unbound(2) is store


# --- end of a transaction --------------------------------------------------------------------------


def test_the_end_of_a_transaction_removes_its_tx_profiles_only() -> None:
    st = station(V16, transactions={1: ("9", MONDAY), 2: ("10", MONDAY)})
    store = EMPTY
    for profile, evse in [
        (v16(1, "TxProfile", (0, 1), stack_level=0), 1),
        (v16(2, "TxProfile", (0, 1), stack_level=1), 1),
        (v16(3, "TxProfile", (0, 1)), 2),
        (v16(4, "TxDefaultProfile", (0, 1)), 1),
    ]:
        store, rejection = set_profile(store, profile, evse, st)
        assert rejection is None
    assert sorted(e.profile.id for e in store.end_transaction("9").installed) == [3, 4]
    assert store.end_transaction("unknown") is store


# --- ClearChargingProfile (1.6 5.5, 2.0.1 K10) --------------------------------------------------


def four_profiles() -> ProfileStore:
    st = station(V16, transactions={1: ("9", MONDAY)})
    store = EMPTY
    for profile, evse in [
        (v16(1, "ChargePointMaxProfile", (0, 40_000)), 0),
        (v16(2, "TxDefaultProfile", (0, 11_000)), 0),
        (v16(3, "TxDefaultProfile", (0, 7_400), stack_level=1), 1),
        (v16(4, "TxProfile", (0, 3_700), stack_level=1), 1),
    ]:
        store, rejection = set_profile(store, profile, evse, st)
        assert rejection is None
    return store


@pytest.mark.parametrize(
    ("criteria", "left"),
    [
        (ClearCriteria.from_v16(id=3), [1, 2, 4]),
        (ClearCriteria.from_v16(id=3, connector_id=0), [1, 2, 4]),  # an id decides alone
        (ClearCriteria.from_v16(connector_id=1), [1, 2]),
        (ClearCriteria.from_v16(connector_id=0), [3, 4]),
        (ClearCriteria.from_v16(charging_profile_purpose="TxDefaultProfile"), [1, 4]),
        (ClearCriteria.from_v16(stack_level=1), [1, 2]),
        (
            ClearCriteria.from_v16(connector_id=1, stack_level=1, charging_profile_purpose="TxProfile"),
            [1, 2, 3],
        ),
        (ClearCriteria.from_v16(), []),  # no criteria: everything
        (ClearCriteria.from_v201(charging_profile_id=1), [2, 3, 4]),
        (
            ClearCriteria.from_v201(None, {"evse_id": 1, "charging_profile_purpose": "TxDefaultProfile"}),
            [1, 2, 4],
        ),
        (ClearCriteria.from_v201(None, {"charging_profile_purpose": "ChargingStationMaxProfile"}), [2, 3, 4]),
    ],
)
def test_clearing_removes_what_the_criteria_name(criteria, left) -> None:
    store, status = four_profiles().clear(criteria)
    assert status is ClearStatus.ACCEPTED
    assert sorted(e.profile.id for e in store.installed) == left


@pytest.mark.parametrize(
    "criteria",
    [
        ClearCriteria.from_v16(id=99),
        ClearCriteria.from_v16(connector_id=2),
        ClearCriteria.from_v16(connector_id=0, charging_profile_purpose="TxProfile"),
        ClearCriteria.from_v16(stack_level=7),
    ],
)
def test_clearing_what_does_not_exist_answers_unknown_and_changes_nothing(criteria) -> None:
    before = four_profiles()
    store, status = before.clear(criteria)
    assert status is ClearStatus.UNKNOWN
    assert store is before


def test_201_external_constraints_are_never_cleared_by_the_csms() -> None:
    ems = InstalledProfile(v201(5, "ChargingStationExternalConstraints", (0, 7_400)), 0, LimitSource.EMS)
    store = EMPTY.install(ems, V201)
    for criteria in [
        ClearCriteria.from_v201(5),
        ClearCriteria.from_v201(None, {"charging_profile_purpose": "ChargingStationExternalConstraints"}),
        ClearCriteria.from_v201(),
    ]:
        assert store.clear(criteria) == (store, ClearStatus.UNKNOWN)


def test_the_store_reads_profiles_by_id_and_by_evse() -> None:
    store = four_profiles()
    found = store.find(3)
    assert found is not None
    assert found.evse_id == 1
    assert store.find(99) is None
    assert [e.profile.id for e in store.on_evse(0)] == [1, 2]
    assert [e.profile.id for e in store.applying_to(1)] == [1, 2, 3, 4]
    assert [e.profile.id for e in store.applying_to(2)] == [1, 2]
    assert [e.profile.id for e in store.applying_to(0)] == [1, 2]


# --- GetChargingProfiles → ReportChargingProfiles (2.0.1 K09) ------------------------------------


def reported_store() -> ProfileStore:
    st = station(V201, evses=2, transactions={1: ("tx-1", MONDAY)})
    ems = InstalledProfile(v201(50, "ChargingStationExternalConstraints", (0, 30_000)), 0, LimitSource.EMS)
    store = EMPTY.install(ems, V201)
    for profile, evse in [
        (v201(1, "ChargingStationMaxProfile", (0, 40_000)), 0),
        (v201(2, "TxDefaultProfile", (0, 11_000)), 0),
        (v201(3, "TxDefaultProfile", (0, 7_400), stack_level=1), 1),
        (v201(4, "TxProfile", (0, 3_700), stack_level=1, transaction_id="tx-1"), 1),
        (v201(5, "TxDefaultProfile", (0, 7_400), stack_level=1), 2),
    ]:
        store, rejection = set_profile(store, profile, evse, st)
        assert rejection is None, rejection
    return store


def reported(query: ProfileQuery, per_message: int = 20) -> list[tuple[int, str, list[int], bool]]:
    status, reports = report_charging_profiles(reported_store(), 77, query, per_message)
    assert (status is ReportStatus.ACCEPTED) == bool(reports)
    for report in reports:
        assert report["request_id"] == 77
        assert_conforms("ReportChargingProfiles", report, V201)
    return [
        (r["evse_id"], r["charging_limit_source"], [p["id"] for p in r["charging_profile"]], r["tbc"])
        for r in reports
    ]


def test_all_profiles_are_reported_per_evse_and_source_with_tbc_on_all_but_the_last() -> None:
    assert reported(ProfileQuery.from_v201()) == [
        (0, "CSO", [1, 2], True),
        (0, "EMS", [50], True),
        (1, "CSO", [3, 4], True),
        (2, "CSO", [5], False),
    ]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"evse_id": 0}, [(0, "CSO", [1, 2], True), (0, "EMS", [50], False)]),
        ({"evse_id": 1}, [(1, "CSO", [3, 4], False)]),
        (
            {"charging_profile": {"charging_profile_purpose": "TxDefaultProfile"}},
            [(0, "CSO", [2], True), (1, "CSO", [3], True), (2, "CSO", [5], False)],
        ),
        ({"charging_profile": {"stack_level": 1}}, [(1, "CSO", [3, 4], True), (2, "CSO", [5], False)]),
        (
            {"charging_profile": {"charging_profile_id": [4, 5, 99]}},
            [(1, "CSO", [4], True), (2, "CSO", [5], False)],
        ),
        ({"charging_profile": {"charging_limit_source": ["EMS", "SO"]}}, [(0, "EMS", [50], False)]),
        (
            {"evse_id": 1, "charging_profile": {"charging_profile_purpose": "TxProfile", "stack_level": 1}},
            [(1, "CSO", [4], False)],
        ),
    ],
)
def test_the_criteria_select_what_is_reported(kwargs, expected) -> None:
    assert reported(ProfileQuery.from_v201(**kwargs)) == expected


def test_reports_are_chunked() -> None:
    assert reported(
        ProfileQuery.from_v201(evse_id=0, charging_profile={"charging_limit_source": ["CSO"]}), 1
    ) == [
        (0, "CSO", [1], True),
        (0, "CSO", [2], False),
    ]
    with pytest.raises(ValueError, match="per_message"):
        report_charging_profiles(reported_store(), 1, ProfileQuery(), 0)


def test_when_nothing_matches_the_answer_is_no_profiles_and_nothing_is_reported() -> None:
    assert report_charging_profiles(
        reported_store(), 1, ProfileQuery.from_v201(evse_id=2, charging_profile={"stack_level": 0})
    ) == (ReportStatus.NO_PROFILES, [])
    assert report_charging_profiles(EMPTY, 1, ProfileQuery()) == (ReportStatus.NO_PROFILES, [])


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


@pytest.mark.parametrize("version", [V16, V201])
def test_an_installed_profile_survives_its_record(version) -> None:
    build = v16 if version is V16 else v201
    for entry in [
        InstalledProfile(build(1, "TxProfile", (0, 16, 1), unit="A"), 2, LimitSource.CSO, "77"),
        InstalledProfile(build(2, "ChargingStationExternalConstraints", (0, 4_000)), 0, LimitSource.EMS),
    ]:
        record = installed_record(entry, version)
        assert isinstance(record, str)
        assert installed_from_record(record, version) == entry


def test_the_changes_between_two_stores_replay_into_the_second() -> None:
    st = station(V16, transactions={1: ("9", MONDAY)})
    before, _ = set_profile(EMPTY, v16(1, "TxDefaultProfile", (0, 1), stack_level=2), 1, st)
    before, _ = set_profile(before, v16(2, "TxProfile", (0, 5)), 1, st)
    after, _ = set_profile(before, v16(3, "TxDefaultProfile", (0, 2), stack_level=2), 1, st)  # replaces 1
    after, _ = set_profile(after, v16(2, "TxProfile", (0, 6)), 1, st)  # same id, new content
    installed, removed = before.changes_to(after)
    assert [e.profile.id for e in installed] == [3, 2]
    assert removed == [1]
    replayed = before
    for entry in installed:
        replayed = replayed.install(entry, V16)
    assert sorted(replayed.remove(removed).installed, key=lambda e: e.profile.id) == sorted(
        after.installed, key=lambda e: e.profile.id
    )
    assert EMPTY.changes_to(EMPTY) == ([], [])
    assert after.remove([99]) is after


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
