"""A ChargePoint aggregate for core unit tests: in memory, no store."""

from __future__ import annotations

from uuid import uuid4

from domain.chargepoint import ChargePoint


def charge_point(connectors: int = 2) -> ChargePoint:
    return ChargePoint(charger_id=uuid4(), tenant="t", identity="CP-1", connector_count=connectors)


BREAKDOWNS = ("connector fault", "charger fault", "inoperative")


def break_down(cp: ChargePoint, connector_id: int, breakdown: str) -> None:
    """Keep energy from flowing on the connector: its own fault, the charger's, or ChangeAvailability."""
    if breakdown == "connector fault":
        cp.fault_raised(connector_id, "GroundFailure", None, None, None)
    elif breakdown == "charger fault":
        cp.fault_raised(0, "GroundFailure", None, None, None)
    else:
        cp.availability_changed(connector_id, False)
