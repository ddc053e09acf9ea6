"""Energy limits: how much a session started with `target_energy_kwh` really delivers.

For each OCPP version and target, one charger runs a session at a fixed EV power (on SQLite, or on
PostgreSQL with `--database-url`) against the test CSMS, in one process with the projections and the
auto-stop policy, on simulated time (`--speed`). Reported: the target, what the CSMS was told the session
delivered (meterStop - meterStart, or the Ended event's register minus the Started one), the overshoot in Wh
and in seconds of power, and the tolerance (1 Wh plus one second of power).

Run: `.venv/bin/python bench/energy_limits.py --speed 20 --targets 0.03,0.5,2` (the lab runs on a scaled
clock: for real time say `--speed 1.001`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.commands import StartSession
from domain.protocol import OcppVersion
from domain.settings import Settings
from gateway.context import build_context, upgrade_database
from ocpp_bridge.lab.csms import Received
from tests.conftest import postgres_schema, test_settings
from tests.lab import Lab, running_lab


def delivered(lab: Lab, identity: str, version: OcppVersion) -> int:
    if version is OcppVersion.V16:
        start = lab.csms.messages(identity, "StartTransaction")[0].payload["meter_start"]
        return lab.csms.messages(identity, "StopTransaction")[0].payload["meter_stop"] - start
    events = lab.csms.messages(identity, "TransactionEvent")

    def register(message: Received) -> float:
        for value in message.payload["meter_value"][0]["sampled_value"]:
            if value.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register":
                return float(value["value"])
        raise AssertionError("no energy register")

    return int(register(events[-1]) - register(events[0]))


async def measure(
    version: OcppVersion, target_kwh: float, power_w: float, speed: float, url: str | None
) -> int:
    with tempfile.TemporaryDirectory() as folder:
        schema = postgres_schema(url) if url else contextlib.nullcontext(None)
        with schema as name:
            overrides: dict[str, Any] = {"var_dir": Path(folder), "clock_speed": speed}
            if url:
                overrides.update(database_url=url, database_schema=name)
            return await _measure(version, target_kwh, power_w, test_settings(**overrides))


async def _measure(version: OcppVersion, target_kwh: float, power_w: float, settings: Settings) -> int:
    ctx = build_context(settings)
    upgrade_database(ctx)
    try:
        async with running_lab(ctx) as lab:
            identity = "EL-1"
            charger = await lab.register(identity, version)
            await lab.booted(identity)
            session = StartSession(id_tag="T", target_energy_kwh=target_kwh, power_w=power_w)
            await lab.run(charger, session)

            def ended() -> bool:
                if version is OcppVersion.V16:
                    return bool(lab.csms.messages(identity, "StopTransaction"))
                events = lab.csms.messages(identity, "TransactionEvent")
                return any(m.payload["event_type"] == "Ended" for m in events)

            await lab.csms.wait_for(
                ended, timeout=60 + target_kwh * 3_600_000 / power_w / settings.clock_speed
            )
            return delivered(lab, identity, version)
    finally:
        ctx.read.stop()
        ctx.ledger.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--targets", default="0.03,0.5,2")
    parser.add_argument("--power-w", type=float, default=22_000.0)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (a schema per run); default SQLite")
    args = parser.parse_args()
    print(f"clock speed {args.speed:g}, EV power {args.power_w:g} W, tolerance 1 Wh + 1 s of power")
    print(f"{'version':10} {'target Wh':>10} {'delivered Wh':>13} {'overshoot Wh':>13} {'in s of power':>14}")
    for version in (OcppVersion.V16, OcppVersion.V201):
        for target in (float(t) for t in args.targets.split(",")):
            got = await measure(version, target, args.power_w, args.speed, args.database_url)
            over = got - target * 1000
            seconds = over * 3600 / args.power_w
            print(f"{version.value:10} {target * 1000:>10.0f} {got:>13d} {over:>13.0f} {seconds:>14.2f}")


if __name__ == "__main__":
    asyncio.run(main())
