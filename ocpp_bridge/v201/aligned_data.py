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

    def connected_loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [*super().connected_loops(), self._aligned_loop]

    async def _aligned_loop(self) -> None:
        while True:
            interval = int(self.config("ClockAlignedDataInterval"))
            now = self.clock.now().timestamp()
            if interval <= 0:  # off: look again in a minute (a SetVariables may turn it on)
                await asyncio.sleep(self.clock.real_seconds(60))
                continue
            due = next_aligned(now, interval)
            await asyncio.sleep(self.clock.real_seconds(due - now))
            if int(self.config("ClockAlignedDataInterval")) == interval:
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
