"""Installed profiles: what replaces what, what clearing, transactions and reports see, and the records
the store is rebuilt from.

OCPP 1.6 section 5.16 (replacement), 5.5 (ClearChargingProfile), 5.11 (RemoteStart); OCPP 2.0.1 K01
(replacement and duplicates), K05 (remote start with a profile), K09 (GetChargingProfiles), K10
(ClearChargingProfile).
"""

from __future__ import annotations

import pytest

from ocpp_bridge.core.smart_charging.model import (
    InstalledProfile,
    LimitSource,
)
from ocpp_bridge.core.smart_charging.payloads import (
    installed_from_record,
    installed_record,
)
from ocpp_bridge.core.smart_charging.reports import ProfileQuery, ReportStatus, report_charging_profiles
from ocpp_bridge.core.smart_charging.rules import set_profile
from ocpp_bridge.core.smart_charging.store import ClearCriteria, ClearStatus, ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import MONDAY, V16, V201, reason, station, v16, v201

EMPTY = ProfileStore()


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


def test_tx_profiles_follow_the_transactions_the_charger_runs() -> None:
    st = station(V16, transactions={2: ("10", MONDAY)})
    store, _ = set_profile(EMPTY, v16(1, "TxProfile", (0, 7_400)), 1, st, remote_start=True)
    store, _ = set_profile(store, v16(2, "TxProfile", (0, 11_000)), 2, st)
    store, _ = set_profile(store, v16(3, "TxDefaultProfile", (0, 3_000)), 2, st)
    assert store.follow_transactions({2: "10"}) is store  # nothing started or ended
    started = store.follow_transactions({1: "11", 2: "10"})  # the remote start's transaction began
    assert [(e.profile.id, e.transaction_id) for e in started.installed] == [(1, "11"), (2, "10"), (3, None)]
    ended = started.follow_transactions({1: "11"})  # transaction 10 ended: its TxProfile goes
    assert [(e.profile.id, e.transaction_id) for e in ended.installed] == [(1, "11"), (3, None)]
    assert [e.profile.id for e in ended.follow_transactions({}).installed] == [3]


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


def test_a_purpose_the_version_does_not_have_matches_nothing() -> None:
    before = four_profiles()
    assert before.clear(ClearCriteria.from_v16(charging_profile_purpose="ChargingStationMaxProfile")) == (
        before,
        ClearStatus.UNKNOWN,
    )
    assert before.clear(ClearCriteria.from_v201(None, {"charging_profile_purpose": "ChargePointMaxProfile"}))[
        1
    ] is (ClearStatus.UNKNOWN)
    query = ProfileQuery.from_v201(charging_profile={"charging_profile_purpose": "ChargePointMaxProfile"})
    assert report_charging_profiles(reported_store(), 1, query) == (ReportStatus.NO_PROFILES, [])


def test_a_remote_start_profile_is_reported_with_the_transaction_it_was_bound_to() -> None:
    st = station(V201)
    store, _ = set_profile(EMPTY, v201(1, "TxProfile", (0, 7_400)), 1, st, remote_start=True)
    store = store.bind_transaction(1, "tx-new")
    _, (report,) = report_charging_profiles(store, 5, ProfileQuery())
    assert [p.get("transaction_id") for p in report["charging_profile"]] == ["tx-new"]
    assert_conforms("ReportChargingProfiles", report, V201)
