"""The checks every command passes first, shared by OCPP 1.6 and 2.0.1: each refuses with its own code."""

from __future__ import annotations

import pytest

from domain.failures import FailureCode
from ocpp_bridge.core import guards
from ocpp_bridge.core.errors import CommandError
from tests.unit.cores.charger import BREAKDOWNS, break_down, charge_point


def refused(code: FailureCode) -> pytest.RaisesExc[CommandError]:
    return pytest.raises(CommandError, check=lambda error: error.code is code)


def test_a_connector_must_exist_and_0_is_the_charger_itself() -> None:
    cp = charge_point(connectors=2)
    assert guards.connector_exists(cp, 0) == 0
    assert guards.connector_exists(cp, 2) == 2
    with refused(FailureCode.CONNECTOR_NOT_FOUND):
        guards.connector_exists(cp, 3)


def test_a_charger_that_is_offline_cannot_talk_to_its_csms() -> None:
    guards.online(True)
    with refused(FailureCode.CHARGER_NOT_CONNECTED):
        guards.online(False)


def test_a_transaction_cannot_start_where_one_runs_nor_stop_where_none_does() -> None:
    cp = charge_point()
    with refused(FailureCode.NO_TRANSACTION):
        guards.transaction_running(cp.connector(1))
    guards.no_transaction_running(cp.connector(1))
    cp.transaction_started(1, "42", "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None)
    assert guards.transaction_running(cp.connector(1)) == "42"
    with refused(FailureCode.TRANSACTION_RUNNING):
        guards.no_transaction_running(cp.connector(1))


def test_a_cable_cannot_be_plugged_twice_nor_unplugged_when_out() -> None:
    cp = charge_point()
    with refused(FailureCode.NOT_PLUGGED):
        guards.plugged(cp.connector(1))
    guards.unplugged(cp.connector(1))
    cp.cable_plugged(1, None)
    guards.plugged(cp.connector(1))
    with refused(FailureCode.ALREADY_PLUGGED):
        guards.unplugged(cp.connector(1))


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_a_faulted_or_inoperative_connector_is_unavailable(breakdown: str) -> None:
    cp = charge_point()
    guards.usable(cp, cp.connector(1))
    break_down(cp, 1, breakdown)
    with refused(FailureCode.CONNECTOR_UNAVAILABLE):
        guards.usable(cp, cp.connector(1))
    assert guards.faulted(cp, cp.connector(1)) is (breakdown != "inoperative")


def test_only_a_fault_that_is_there_can_be_cleared() -> None:
    cp = charge_point()
    with refused(FailureCode.NO_FAULT):
        guards.has_fault(cp, 1)
    with refused(FailureCode.NO_FAULT):
        guards.has_fault(cp, 0)
    cp.fault_raised(1, "HighTemperature", None, None, None)
    cp.fault_raised(0, "OverVoltage", None, None, None)
    assert guards.has_fault(cp, 1) == "HighTemperature"
    assert guards.has_fault(cp, 0) == "OverVoltage"


def test_a_meter_start_may_move_the_register_forward_never_back() -> None:
    guards.meter_start_not_below(1000.7, 1000)
    guards.meter_start_not_below(1000.0, 5000)
    with refused(FailureCode.METER_START_BELOW_REGISTER):
        guards.meter_start_not_below(1000.0, 999)


def test_an_id_tag_must_be_accepted() -> None:
    guards.tag_accepted("Accepted", "TAG-1")
    for status in ("Invalid", "Blocked", "Expired"):
        with refused(FailureCode.ID_TAG_REJECTED):
            guards.tag_accepted(status, "TAG-1")
