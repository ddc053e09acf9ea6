"""OCPP 2.0.1 clock-aligned meter values (J01, AlignedDataCtrlr): every AlignedDataCtrlr.Interval seconds
on the clock (0: none), each EVSE reports AlignedDataCtrlr.Measurands with context Sample.Clock: in a
TransactionEvent (MeterValueClock) while a transaction runs, else in MeterValues."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from ocpp.v201 import call

from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.v201.monitoring import next_aligned
from ocpp_bridge.v201.monitors import V201Monitoring


class V201AlignedData(V201Monitoring):
    """Clock-aligned meter values beside the heartbeat, while connected."""

    _aligned_changed: asyncio.Event

    def connected_loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [*super().connected_loops(), self._aligned_loop]

    def aligned_changed(self) -> asyncio.Event:
        if not hasattr(self, "_aligned_changed"):
            self._aligned_changed = asyncio.Event()
        return self._aligned_changed

    def apply_configuration(self, key: str, value: str) -> None:
        super().apply_configuration(key, value)
        if key == "ClockAlignedDataInterval":
            self.aligned_changed().set()

    async def _aligned_loop(self) -> None:
        changed = self.aligned_changed()
        while True:
            changed.clear()
            interval = int(self.config("ClockAlignedDataInterval"))
            if interval <= 0:  # off: nothing to do until a SetVariables turns it on
                await changed.wait()
                continue
            now = self.clock.now().timestamp()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    changed.wait(), self.clock.real_seconds(next_aligned(now, interval) - now)
                )
                continue  # a new interval: align to it
            with contextlib.suppress(CommandError):
                await self.send_aligned()

    async def send_aligned(self) -> None:
        measurands = self.measurands("MeterValuesAlignedData")
        for n in list(self.cp.connectors):
            async with self.tx_lock:
                reading = self.settle(n)
                meter = self.meter_value(reading, "Sample.Clock", measurands)
                if self.state(n).transaction_id is not None:
                    await self._send(n, "Updated", "MeterValueClock", meter=meter)
                    continue
            await self.call(call.MeterValues(evse_id=n, meter_value=[meter]))
