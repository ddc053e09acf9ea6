"""OCPP 1.6: the answer to every CSMS-initiated call, decided from the charge point's state."""

from __future__ import annotations

import pytest

from domain.chargepoint import ChargePoint
from ocpp_bridge.v16 import csms_answers as answers
from tests.unit.cores.charger import BREAKDOWNS, break_down, charge_point


def with_transaction(connector_id: int = 1, transaction_id: str = "42") -> ChargePoint:
    cp = charge_point(connectors=2)
    cp.cable_plugged(connector_id, None)
    cp.transaction_started(
        connector_id, transaction_id, "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None
    )
    return cp


def test_remote_start_takes_the_connector_asked_for_or_the_first_free_one() -> None:
    cp = with_transaction(1)
    assert answers.remote_start_target(cp, None) == 2
    assert answers.remote_start_target(cp, 2) == 2
    assert answers.remote_start_target(cp, 1) is None  # busy: Rejected
    assert answers.remote_start_target(cp, 3) is None  # unknown


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_remote_start_is_rejected_where_energy_cannot_flow(breakdown: str) -> None:
    cp = charge_point(connectors=1)
    break_down(cp, 1, breakdown)
    assert answers.remote_start_target(cp, None) is None


def test_remote_stop_finds_the_connector_of_the_transaction() -> None:
    cp = with_transaction(2, "7")
    assert answers.remote_stop_target(cp, 7) == 2
    assert answers.remote_stop_target(cp, 8) is None


def test_trigger_message_accepts_what_it_can_send_and_knows_its_connectors() -> None:
    cp = charge_point(connectors=2)
    for requested in sorted(answers.TRIGGERABLE):
        assert answers.trigger_answer(cp, requested, None) == "Accepted"
    assert answers.trigger_answer(cp, "StatusNotification", 0) == "Accepted"
    assert answers.trigger_answer(cp, "StatusNotification", 3) == "Rejected"
    assert answers.trigger_answer(cp, "SignChargePointCertificate", None) == "NotImplemented"


def test_unlock_connector_unlocks_a_known_connector() -> None:
    cp = charge_point(connectors=1)
    assert answers.unlock_answer(cp, 1) == "Unlocked"
    assert answers.unlock_answer(cp, 2) == "NotSupported"


def test_change_availability_is_scheduled_while_a_transaction_runs_on_a_connector_concerned() -> None:
    cp = with_transaction(1)
    assert answers.availability_answer(cp, 1, operative=False) == "Scheduled"
    assert answers.availability_answer(cp, 0, operative=False) == "Scheduled"
    assert answers.availability_answer(cp, 2, operative=False) == "Accepted"
    assert answers.availability_answer(cp, 1, operative=True) == "Accepted"
    assert answers.availability_answer(cp, 3, operative=False) == "Rejected"


def test_send_local_list_needs_the_list_enabled_and_a_newer_differential_version() -> None:
    cp = charge_point()
    assert answers.local_list_answer(cp, False, 1, "Full") == "NotSupported"
    assert answers.local_list_answer(cp, True, 1, "Differential") == "Accepted"
    cp.local_list_changed(5, "Full", [], [], None)
    assert answers.local_list_answer(cp, True, 5, "Differential") == "VersionMismatch"
    assert answers.local_list_answer(cp, True, 3, "Full") == "Accepted"
