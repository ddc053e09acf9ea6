"""Smart-charging calls of a CSMS, answered from the handler's arguments: valid answers, both versions."""

from __future__ import annotations

from ocpp_bridge.core.smart_charging.answers import (
    clear_charging_profile_v16,
    clear_charging_profile_v201,
    get_charging_profiles_v201,
    get_composite_schedule_v16,
    get_composite_schedule_v201,
    remote_start_profile,
    set_charging_profile_v16,
    set_charging_profile_v201,
)
from ocpp_bridge.core.smart_charging.store import ProfileStore

from .schemas import assert_conforms
from .smart_charging_cases import V16, V201, at, station, v16_payload, v201_payload

EMPTY = ProfileStore()


def test_16_a_csms_sets_reads_and_clears_a_profile() -> None:
    st = station(V16, transactions={1: ("9", at(10))})
    store, answer = set_charging_profile_v16(
        EMPTY, st, 1, v16_payload(1, "TxProfile", (0, 7_400), start=None)
    )
    assert answer == {"status": "Accepted"}
    assert_conforms("SetChargingProfile", answer, V16, response=True)
    composite = get_composite_schedule_v16(store, st, at(10, 5), connector_id=1, duration=600)
    assert composite["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 7_400.0}
    ]
    assert_conforms("GetCompositeSchedule", composite, V16, response=True)
    store, cleared = clear_charging_profile_v16(store, connector_id=1)
    assert cleared == {"status": "Accepted"}
    assert clear_charging_profile_v16(store, id=1)[1] == {"status": "Unknown"}
    assert_conforms("ClearChargingProfile", cleared, V16, response=True)


def test_16_rejections_carry_no_reason() -> None:
    st = station(V16)
    store, answer = set_charging_profile_v16(EMPTY, st, 1, v16_payload(1, "TxProfile", (0, 7_400)))
    assert (store, answer) == (EMPTY, {"status": "Rejected"})
    malformed = {**v16_payload(1, "TxDefaultProfile", (0, 1)), "stack_level": "high"}
    assert set_charging_profile_v16(EMPTY, st, 1, malformed)[1] == {"status": "Rejected"}
    assert get_composite_schedule_v16(EMPTY, st, at(1), connector_id=9, duration=60) == {"status": "Rejected"}


def test_201_a_csms_sets_reads_reports_and_clears_profiles() -> None:
    st = station(V201, transactions={1: ("tx-1", at(10))})
    store, answer = set_charging_profile_v201(
        EMPTY, st, 0, v201_payload(1, "ChargingStationMaxProfile", (0, 30_000))
    )
    assert answer == {"status": "Accepted"}
    store, answer = set_charging_profile_v201(
        store,
        st,
        1,
        v201_payload(2, "TxProfile", (0, 16), unit="A", kind="Relative", start=None, transaction_id="tx-1"),
    )
    assert answer == {"status": "Accepted"}
    composite = get_composite_schedule_v201(
        store, st, at(10), evse_id=1, duration=3600, charging_rate_unit="W"
    )
    assert composite["schedule"]["charging_schedule_period"] == [{"start_period": 0, "limit": 11_040.0}]
    assert_conforms("GetCompositeSchedule", composite, V201, response=True)
    response, reports = get_charging_profiles_v201(store, 5, {"charging_limit_source": ["CSO"]})
    assert response == {"status": "Accepted"}
    assert [(r["evse_id"], r["tbc"]) for r in reports] == [(0, True), (1, False)]
    assert_conforms("GetChargingProfiles", response, V201, response=True)
    store, cleared = clear_charging_profile_v201(store, charging_profile_criteria={"evse_id": 1})
    assert cleared == {"status": "Accepted"}
    assert_conforms("ClearChargingProfile", cleared, V201, response=True)
    assert get_charging_profiles_v201(store, 6, {"stack_level": 3}) == ({"status": "NoProfiles"}, [])


def test_201_rejections_say_why() -> None:
    st = station(V201)
    _, answer = set_charging_profile_v201(
        EMPTY, st, 1, v201_payload(1, "TxProfile", (0, 7_400), transaction_id="t")
    )
    assert answer["status"] == "Rejected"
    assert answer["status_info"]["reason_code"] == "TxNotFound"
    assert_conforms("SetChargingProfile", answer, V201, response=True)
    malformed = v201_payload(1, "TxDefaultProfile", (0, 1))
    del malformed["charging_schedule"][0]["id"]
    _, answer = set_charging_profile_v201(EMPTY, st, 1, malformed)
    assert answer["status_info"]["reason_code"] == "InvalidValue"
    assert "chargingProfile.chargingSchedule[0].id" in answer["status_info"]["additional_info"]
    rejected = get_composite_schedule_v201(EMPTY, st, at(1), evse_id=7, duration=60)
    assert rejected["status"] == "Rejected"
    assert_conforms("GetCompositeSchedule", rejected, V201, response=True)
    external = clear_charging_profile_v201(
        EMPTY, charging_profile_criteria={"charging_profile_purpose": "ChargingStationExternalConstraints"}
    )[1]
    assert external["status"] == "Unknown"
    assert_conforms("ClearChargingProfile", external, V201, response=True)


def test_a_remote_start_profile_is_taken_or_the_start_is_rejected() -> None:
    st = station(V201)
    store, rejection = remote_start_profile(
        EMPTY, st, 1, v201_payload(3, "TxProfile", (0, 5_000), kind="Relative", start=None)
    )
    assert rejection is None
    assert store.installed[0].transaction_id is None
    _, rejection = remote_start_profile(EMPTY, st, 1, v201_payload(3, "TxDefaultProfile", (0, 5_000)))
    assert rejection is not None
    assert rejection.reason_code == "InvalidValue"
