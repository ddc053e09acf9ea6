"""OCPP 1.6: the status each connector and the charge point itself report, from the charger's state."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from ocpp_bridge.core.meter import EvModel
from ocpp_bridge.v16.rules import charger_status, resting_status, transaction_status
from tests.unit.cores.charger import charge_point

CAR = EvModel(battery_wh=60_000.0, soc=50.0, max_power_w=11_000.0)
FULL = EvModel(battery_wh=60_000.0, soc=100.0, max_power_w=11_000.0)


def started(connectors: int = 2) -> ChargePoint:
    cp = charge_point(connectors)
    cp.cable_plugged(1, None)
    cp.transaction_started(1, "1", "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None)
    return cp


def test_a_connector_at_rest_is_available_preparing_finishing_or_unavailable() -> None:
    cp = charge_point()
    assert resting_status(cp.connector(1), None, 0.0) == "Available"
    cp.cable_plugged(1, None)
    assert resting_status(cp.connector(1), CAR, 0.0) == "Preparing"
    cp.transaction_started(1, "1", "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None)
    cp.transaction_stopped(1, "1", 100, "Local", "2026-01-01T01:00:00Z", None)
    assert resting_status(cp.connector(1), CAR, 0.0) == "Finishing"
    cp.availability_changed(2, False)
    assert resting_status(cp.connector(2), None, 0.0) == "Unavailable"


def test_a_transaction_charges_unless_the_ev_or_the_evse_suspends_it_and_the_evse_wins() -> None:
    cp = started()
    assert transaction_status(cp.connector(1), CAR, 11_000.0) == "Charging"
    assert transaction_status(cp.connector(1), FULL, 0.0) == "SuspendedEV"
    cp.ev_demand_changed(1, False, None)
    assert transaction_status(cp.connector(1), CAR, 0.0) == "SuspendedEV"
    cp.power_offered(1, 0.0, None)
    assert transaction_status(cp.connector(1), CAR, 0.0) == "SuspendedEVSE"  # a 0 W offer wins over the EV


def test_a_zero_watt_profile_suspends_on_the_evse_side() -> None:
    cp = started()
    cp.charging_limit_changed(1, 0.0, "TxProfile")
    assert transaction_status(cp.connector(1), CAR, 0.0) == "SuspendedEVSE"


def test_an_unplugged_ev_suspends_its_transaction() -> None:
    cp = started()
    cp.cable_unplugged(1, None)
    assert transaction_status(cp.connector(1), None, 0.0) == "SuspendedEV"


def test_the_charge_point_is_faulted_unavailable_when_all_are_inoperative_and_idle_or_available() -> None:
    cp = started(connectors=2)
    assert charger_status(cp) == ("Available", "NoError")
    cp.availability_changed(0, False)
    assert charger_status(cp) == ("Available", "NoError")  # a transaction is left to finish
    cp.transaction_stopped(1, "1", 100, "Local", "2026-01-01T01:00:00Z", None)
    assert charger_status(cp) == ("Unavailable", "NoError")
    cp.fault_raised(0, "GroundFailure", None, None, None)
    assert charger_status(cp) == ("Faulted", "GroundFailure")


def test_a_car_at_its_charge_limit_suspends_on_the_ev_side() -> None:
    cp = started()
    cp.ev_target_soc_set(1, 80.0, 80.0, None)
    assert cp.connector(1).ev_target_soc == 80.0
    at_limit = EvModel(battery_wh=60_000.0, soc=80.0, max_power_w=11_000.0, target_soc=80.0)
    assert transaction_status(cp.connector(1), at_limit, 0.0) == "SuspendedEV"
    cp.cable_unplugged(1, None)
    assert cp.connector(1).ev_target_soc is None  # the limit leaves with the car
