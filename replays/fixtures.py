"""Make the recordings kept in replays/recordings/: real runs of the project's own bridge against its
test CSMS, exported with the project's own tooling.

    .venv/bin/python -m replays.fixtures [DIR]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import UUID

from domain import services
from domain.clock import ScaledClock
from domain.commands import (
    ClearFault,
    CommandPayload,
    InjectFault,
    StartSession,
    StopSession,
    UnplugConnector,
)
from domain.ledger import Ledger, UnitOfWork
from domain.protocol import FaultType, OcppVersion
from ocpp_bridge.lab.csms import Behaviour, Csms
from ocpp_bridge.runtime.bridge import Bridge
from ocpp_bridge.runtime.station import StationSettings
from projections.commands import get_command
from projections.readmodels import ReadModels
from replays.export import Slice, export

SPEED = 100.0
TENANT = "fixtures"
REJECTED_TAG = "BLOCKED-1"


class Scenario:
    def __init__(self, ledger: Ledger, read: ReadModels, csms: Csms, bridge: Bridge) -> None:
        self.ledger, self.read, self.csms, self.bridge = ledger, read, csms, bridge

    async def charger(
        self, identity: str, version: OcppVersion, model: tuple[str, str] = ("abb", "terra-184")
    ) -> UUID:
        registration = services.ChargerRegistration(
            identity=identity,
            brand_slug=model[0],
            model_slug=model[1],
            ws_url=self.csms.url,
            ocpp_version=version,
        )
        charger = await asyncio.to_thread(
            self.ledger.transact,
            lambda uow: services.register_charger(uow, TENANT, registration, None, "fixtures"),
        )
        for _ in range(600):  # the bridge picks the charger up, it boots and reports every connector
            station = self.bridge.stations.get(charger.id)
            if station is not None and station.reported.is_set():
                return charger.id
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{identity} did not boot")

    async def run(self, charger_id: UUID, payload: CommandPayload) -> str:
        def queue(uow: UnitOfWork) -> services.FanOut:
            return services.queue_commands(uow, TENANT, [charger_id], payload, "charger", "fixtures")

        command_id = str((await asyncio.to_thread(self.ledger.transact, queue)).queued[0].command_id)

        def done() -> str | None:
            with self.read.db.reader() as cur:
                row = get_command(cur, TENANT, command_id)
            return row["status"] if row and row["status"] in ("completed", "failed") else None

        status = await asyncio.to_thread(self.read.wait_until, "commands", done, 30)
        assert status is not None, f"no outcome for {payload}"
        return status

    async def settled(self) -> None:
        """Every command queued so far (by us or by the auto-stop policy) has its outcome."""

        def idle() -> bool | None:
            with self.read.db.reader() as cur:
                busy = cur.execute(
                    "SELECT COUNT(*) AS n FROM commands "
                    "WHERE tenant = %s AND status IN ('queued', 'dispatched')",
                    [TENANT],
                ).scalar()
            return True if busy == 0 else None

        assert await asyncio.to_thread(self.read.wait_until, "commands", idle, 30)

    async def meter_values(self, identity: str, count: int) -> None:
        def enough() -> bool:
            return (
                len(self.csms.messages(identity, "MeterValues"))
                + len(
                    [
                        m
                        for m in self.csms.messages(identity, "TransactionEvent")
                        if m.payload.get("trigger_reason") == "MeterValuePeriodic"
                    ]
                )
                >= count
            )

        await self.csms.wait_for(enough, 30)


async def session(s: Scenario, version: OcppVersion, identity: str) -> None:
    charger = await s.charger(identity, version)
    await s.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
    await s.meter_values(identity, 2)
    await s.run(charger, StopSession(connector_id=1))


async def rejected_tag(s: Scenario) -> None:
    charger = await s.charger("REJECT-16", OcppVersion.V16)
    await s.run(charger, StartSession(id_tag=REJECTED_TAG, connector_id=1))


async def fault_during_charging(s: Scenario) -> None:
    charger = await s.charger("FAULT-16", OcppVersion.V16)
    await s.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
    await s.meter_values("FAULT-16", 1)
    await s.run(charger, InjectFault(connector_id=1, fault_type=FaultType.GROUND_FAILURE))
    await s.run(charger, ClearFault(connector_id=1))
    await s.run(charger, UnplugConnector(connector_id=1))


async def auto_stop_energy(s: Scenario) -> None:
    charger = await s.charger("AUTOSTOP-16", OcppVersion.V16)
    await s.run(charger, StartSession(id_tag="TAG-1", connector_id=1, target_energy_kwh=0.3, power_w=22_000))
    await s.csms.wait_for(lambda: s.csms.messages("AUTOSTOP-16", "StopTransaction"), 30)
    await s.settled()


SCENARIOS: dict[str, Callable[[Scenario], Awaitable[None]]] = {
    "session-ocpp16": lambda s: session(s, OcppVersion.V16, "SESSION-16"),
    "session-ocpp201": lambda s: session(s, OcppVersion.V201, "SESSION-201"),
    "rejected-tag-ocpp16": rejected_tag,
    "fault-during-charging-ocpp16": fault_during_charging,
    "auto-stop-energy-ocpp16": auto_stop_energy,
}


async def record(name: str, directory: Path) -> Path:
    """Run one scenario on a fresh SQLite ledger and export it."""
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{tmp}/ledger.sqlite3"}
        )
        ledger.create_tables()
        clock = ScaledClock(SPEED)
        read = ReadModels(ledger, clock=clock, poll_seconds=0.2)
        read.create_tables()
        read.start()
        csms = Csms(Behaviour(rejected_tags={REJECTED_TAG}))
        await csms.start()
        bridge = Bridge(
            ledger, clock=clock, station_settings=StationSettings(response_timeout=5), poll_seconds=0.2
        )
        task = asyncio.create_task(bridge.run())
        try:
            await bridge.ready.wait()
            await SCENARIOS[name](Scenario(ledger, read, csms, bridge))
        finally:
            bridge.stop()
            await task
            await csms.stop()
            await asyncio.to_thread(read.stop)
        assert not csms.violations, csms.violations
        path = directory / f"{name}.jsonl"
        export(read.db, Slice(), path)
        ledger.close()
    return path


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "recordings"
    directory.mkdir(parents=True, exist_ok=True)
    names = sys.argv[2:] or list(SCENARIOS)
    for name in names:
        print(asyncio.run(record(name, directory)))


if __name__ == "__main__":
    main()
