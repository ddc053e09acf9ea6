"""OCPP 2.0.1: the connectorStatus and the transaction's chargingState, from the station's state."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from ocpp_bridge.core.meter import EvModel
from ocpp_bridge.v201.rules import authorized_transaction, charging_state, connector_status
from tests.unit.cores.charger import charge_point

CAR = EvModel(battery_wh=60_000.0, soc=50.0, max_power_w=11_000.0)
FULL = EvModel(battery_wh=60_000.0, soc=100.0, max_power_w=11_000.0)


def plugged_in() -> ChargePoint:
    """TxStartPoint EVConnected: the transaction starts with the cable, before anyone is authorized."""
    cp = charge_point()
    cp.cable_plugged(1, None)
    cp.transaction_started(1, "tx", None, 0, "2026-01-01T00:00:00Z", None, None, None, None)
    return cp


def test_a_connector_is_available_occupied_unavailable_or_faulted() -> None:
    cp = charge_point()
    assert connector_status(cp, cp.connector(1)) == ("Available", "NoError")
    cp.cable_plugged(1, None)
    assert connector_status(cp, cp.connector(1)) == ("Occupied", "NoError")
    cp.availability_changed(1, False)
    assert connector_status(cp, cp.connector(1)) == ("Unavailable", "NoError")
    cp.fault_raised(0, "OverVoltage", None, None, None)
    assert connector_status(cp, cp.connector(1)) == ("Faulted", "OverVoltage")  # the station's fault


def test_no_energy_before_authorization_then_charging() -> None:
    cp = plugged_in()
    assert not authorized_transaction(cp.connector(1))
    assert charging_state(cp.connector(1), CAR, 0.0) == "EVConnected"
    cp.transaction_authorized(1, "tx", "TAG", "Accepted", "Authorized", None)
    assert authorized_transaction(cp.connector(1))
    assert charging_state(cp.connector(1), CAR, 11_000.0) == "Charging"


def test_a_rejected_token_does_not_authorize_the_transaction() -> None:
    cp = plugged_in()
    cp.transaction_authorized(1, "tx", "TAG", "Invalid", "Authorized", None)
    assert charging_state(cp.connector(1), CAR, 0.0) == "EVConnected"


def test_the_ev_or_the_station_may_suspend_and_a_stop_authorized_ends_the_flow() -> None:
    cp = plugged_in()
    cp.transaction_authorized(1, "tx", "TAG", "Accepted", "Authorized", None)
    assert charging_state(cp.connector(1), FULL, 0.0) == "SuspendedEV"
    assert charging_state(cp.connector(1), CAR, 0.0) == "SuspendedEVSE"
    cp.ev_demand_changed(1, False, None)
    assert charging_state(cp.connector(1), CAR, 0.0) == "SuspendedEV"
    cp.ev_demand_changed(1, True, None)
    cp.transaction_stop_authorized(1, "tx", None)
    assert charging_state(cp.connector(1), CAR, 0.0) == "EVConnected"


def test_without_the_cable_the_transaction_is_idle() -> None:
    cp = plugged_in()
    cp.cable_unplugged(1, None)
    assert charging_state(cp.connector(1), None, 0.0) == "Idle"
