"""A ChargePoint aggregate for core unit tests: in memory, no store."""

from __future__ import annotations

from uuid import uuid4

from domain.chargepoint import ChargePoint


def charge_point(connectors: int = 2) -> ChargePoint:
    return ChargePoint(charger_id=uuid4(), tenant="t", identity="CP-1", connector_count=connectors)
