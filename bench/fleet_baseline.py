"""The baseline of bench/fleet.py: N charge points written with the bare `ocpp` library, recording nothing.

The same traffic as the bridge's chargers in the benchmark (OCPP 1.6, one connector): BootNotification,
the status of connector 0 and 1, then a charging session (Preparing, Authorize, StartTransaction,
Charging), MeterValues with 5 samples every 10 s and a Heartbeat at the interval the CSMS gave, each charger
on a fixed phase of its own; plus Authorize calls tagged LAT<n> at the driver's command rate, to random
chargers, as the benchmark's API commands make the bridge send. Nothing is stored; the library is used at
its cheapest (validation inline instead of in a thread, no WebSocket compression, the same interpreter
tuning as our processes), so the baseline is the floor a simulator on this library can reach.

Run by bench/fleet.py: `fleet_baseline.py URL N RATE STATUS_FILE`. It writes how many chargers are
charging to STATUS_FILE every second.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ocpp.messages
import websockets
from ocpp.v16 import ChargePoint, call
from websockets.typing import Subprotocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocpp_ledger.process import tune_interpreter

METER_SECONDS = 10.0
ENERGY = "Energy.Active.Import.Register"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Charger(ChargePoint):
    energy_wh = 0.0

    async def session(self, phase: float) -> None:
        boot = await self.call(
            call.BootNotification(charge_point_model="Pulsar Plus", charge_point_vendor="Wallbox")
        )
        for connector_id in (0, 1):
            await self.status(connector_id, "Available")
        await self.status(1, "Preparing")
        await self.call(call.Authorize(id_tag="FLEET"))
        started = await self.call(
            call.StartTransaction(connector_id=1, id_tag="FLEET", meter_start=0, timestamp=now())
        )
        self.transaction_id = int(started.transaction_id)
        await self.status(1, "Charging")
        self.charging = True
        await asyncio.gather(self.heartbeats(float(boot.interval), phase), self.meter(phase))

    async def status(self, connector_id: int, status: str) -> None:
        await self.call(
            call.StatusNotification(
                connector_id=connector_id, error_code="NoError", status=status, timestamp=now()
            )
        )

    async def heartbeats(self, interval: float, phase: float) -> None:
        await asyncio.sleep(phase * interval)
        while True:
            started = time.monotonic()
            await self.call(call.Heartbeat())
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    async def meter(self, phase: float) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + phase * METER_SECONDS
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += METER_SECONDS
            self.energy_wh += 7400 * METER_SECONDS / 3600
            sampled = [
                {
                    "value": f"{self.energy_wh:.0f}",
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                },
                {"value": "7400.0", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": "32.17", "measurand": "Current.Import", "unit": "A"},
                {"value": "230.0", "measurand": "Voltage", "unit": "V"},
                {"value": "42.0", "measurand": "SoC", "unit": "Percent", "location": "EV"},
            ]
            for item in sampled:
                item["context"] = "Sample.Periodic"
            await self.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=self.transaction_id,
                    meter_value=[{"timestamp": now(), "sampled_value": sampled}],
                )
            )


async def run_charger(url: str, identity: str, phase: float, chargers: dict[str, Charger]) -> None:
    async with websockets.connect(
        f"{url}/{identity}", subprotocols=[Subprotocol("ocpp1.6")], compression=None, ping_interval=None
    ) as ws:
        cp = Charger(identity, ws, response_timeout=30)
        cp.charging = False
        chargers[identity] = cp
        await asyncio.gather(cp.start(), cp.session(phase))


async def main(url: str, n: int, rate: float, status_file: Path) -> None:
    tune_interpreter()  # as our processes do
    ocpp.messages.ASYNC_VALIDATION = False
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    chargers: dict[str, Any] = {}
    rng = random.Random(n)
    tasks = [asyncio.create_task(run_charger(url, f"B{n}-{i:06d}", rng.random(), chargers)) for i in range(n)]
    seq = 0
    calls: set[asyncio.Task[Any]] = set()
    next_send: float | None = None
    while True:
        charging = sum(1 for cp in chargers.values() if cp.charging)
        status_file.write_text(f"{charging}\n")
        failed = [t for t in tasks if t.done()]
        if failed:
            failed[0].result()  # a charger that stopped: say why
        if charging < n:
            await asyncio.sleep(0.5)
            continue
        # All charging: the driver's commands, as Authorize calls to random chargers.
        next_send = (time.monotonic() if next_send is None else next_send) + 1.0 / rate
        await asyncio.sleep(max(0.0, next_send - time.monotonic()))
        seq += 1
        cp = chargers[rng.choice(list(chargers))]
        task = asyncio.create_task(cp.call(call.Authorize(id_tag=f"LAT{seq}")))
        calls.add(task)
        task.add_done_callback(calls.discard)
        if seq % int(max(1, rate)) == 0:
            status_file.write_text(f"{charging}\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])))
