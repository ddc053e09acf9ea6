"""OCPP 2.0.1: the answer to every CSMS-initiated call, decided from the station's state."""

from __future__ import annotations

import pytest

from domain.chargepoint import ChargePoint
from ocpp_bridge.v201 import csms_answers as answers
from tests.unit.cores.charger import BREAKDOWNS, break_down, charge_point

SCHEDULE = [{"charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 7400}]}]


def plugged_in(connector_id: int = 1, authorized: bool = False) -> ChargePoint:
    """TxStartPoint EVConnected: a transaction starts with the cable, waiting for authorization."""
    cp = charge_point(connectors=2)
    cp.cable_plugged(connector_id, None)
    cp.transaction_started(connector_id, "tx", None, 0, "2026-01-01T00:00:00Z", None, None, None, None)
    if authorized:
        cp.transaction_authorized(connector_id, "tx", "TAG", "Accepted", "Authorized", None)
    return cp


def test_request_start_goes_first_to_an_ev_waiting_for_authorization_then_to_an_idle_evse() -> None:
    cp = plugged_in(2)
    assert answers.request_start_target(cp, None, None, online=True) == 2
    assert answers.request_start_target(cp, 1, None, online=True) == 1
    cp.transaction_authorized(2, "tx", "TAG", "Accepted", "Authorized", None)
    assert answers.request_start_target(cp, None, None, online=True) == 1
    assert answers.request_start_target(cp, 2, None, online=True) is None  # authorized already


def test_request_start_is_rejected_offline_or_with_a_profile_other_than_a_tx_profile() -> None:
    cp = charge_point()
    assert answers.request_start_target(cp, None, None, online=False) is None
    tx = {"id": 1, "charging_profile_purpose": "TxProfile", "charging_schedule": SCHEDULE}
    assert answers.request_start_target(cp, None, tx, online=True) == 1
    default = {**tx, "charging_profile_purpose": "TxDefaultProfile"}
    assert answers.request_start_target(cp, None, default, online=True) is None


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_request_start_is_rejected_where_energy_cannot_flow(breakdown: str) -> None:
    cp = charge_point(connectors=1)
    break_down(cp, 1, breakdown)
    assert answers.request_start_target(cp, None, None, online=True) is None


def test_request_start_is_rejected_where_a_stop_was_authorized() -> None:
    cp = plugged_in(1, authorized=True)
    cp.transaction_stop_authorized(1, "tx", None)
    assert answers.request_start_target(cp, 1, None, online=True) is None


def test_request_stop_finds_the_transaction() -> None:
    cp = plugged_in(2)
    assert answers.request_stop_target(cp, "tx") == 2
    assert answers.request_stop_target(cp, "other") is None


def test_reset_on_idle_waits_for_a_transaction_in_its_scope() -> None:
    cp = plugged_in(1)
    assert answers.reset_answer(cp, "OnIdle", None) == "Scheduled"
    assert answers.reset_answer(cp, "OnIdle", 1) == "Scheduled"
    assert answers.reset_answer(cp, "OnIdle", 2) == "Accepted"
    assert answers.reset_answer(cp, "Immediate", None) == "Accepted"
    assert answers.reset_answer(cp, "Immediate", 3) == "Rejected"


def test_unlock_connector_refuses_during_an_authorized_transaction() -> None:
    cp = plugged_in(1)
    assert answers.unlock_answer(cp, 1, 1) == "Unlocked"  # not authorized yet
    cp.transaction_authorized(1, "tx", "TAG", "Accepted", "Authorized", None)
    assert answers.unlock_answer(cp, 1, 1) == "OngoingAuthorizedTransaction"
    assert answers.unlock_answer(cp, 1, 2) == "UnknownConnector"
    assert answers.unlock_answer(cp, 3, 1) == "UnknownConnector"


def test_change_availability_schedules_where_a_transaction_runs() -> None:
    cp = plugged_in(1)
    assert answers.availability_plan(cp, None, operative=False) == ("Scheduled", [1])
    assert answers.availability_plan(cp, {"id": 2}, operative=False) == ("Accepted", [])
    assert answers.availability_plan(cp, {"id": 1}, operative=True) == ("Accepted", [])
    assert answers.availability_plan(cp, {"id": 3}, operative=False) == ("Rejected", [])
    assert answers.availability_plan(cp, {"id": 1, "connector_id": 2}, operative=False) == ("Rejected", [])
