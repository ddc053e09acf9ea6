"""Booting, the same on both versions (1.6 4.2 / 2.0.1 B01-B03): BootNotification until the CSMS accepts it.
Pending: stay connected, answer the CSMS, boot again after the interval; Rejected: say nothing until the
interval has passed. An interval of 0 lets the charger choose its own wait."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from ocpp_bridge.core.effects import Failed, SendCall, Step, Wait
from ocpp_bridge.core.errors import CommandError


def boot(cp: ChargePoint, request: Any, *, own_wait_s: float) -> Step[int]:
    """Send `request` (this version's BootNotification) until Accepted; returns the accepted interval (the
    heartbeat interval from now on). A failed call ends the connection attempt (the shell reconnects)."""
    while True:
        result = yield SendCall(request, require_online=False)
        if isinstance(result, Failed):
            raise CommandError(result.code, result.message)
        assert result is not None
        status, interval = str(result.payload.status), int(result.payload.interval)
        cp.boot_answered(status, interval)
        if status == "Accepted":
            return interval
        yield Wait(interval if interval > 0 else own_wait_s)
