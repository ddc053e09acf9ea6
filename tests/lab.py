"""A lab for bridge tests: the real ledger and read models, a CSMS on the `ocpp` library's server side
(schema validation on) and a bridge, all on loopback, in the test's event loop.

Simulated time runs `SPEED` times faster than the wall clock (meter samples every 10 simulated seconds
arrive every 10/SPEED real seconds); tests wait on what the CSMS received or on command outcomes,
never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain import services
from domain.clock import ScaledClock
from domain.commands import CommandPayload
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.lab.csms import Behaviour, Csms
from ocpp_bridge.runtime.bridge import Bridge
from ocpp_bridge.runtime.station import Station, StationSettings
from projections.commands import get_command

SPEED = 100.0  # must match clock_speed in tests.conftest.test_settings


@dataclass
class Lab:
    ctx: Context
    csms: Csms
    bridge: Bridge
    clock: ScaledClock
    tenant: str = "acme"

    async def register(
        self,
        identity: str,
        ocpp_version: OcppVersion | str = OcppVersion.V16,
        brand: str = "abb",
        model: str = "terra-184",
        ws_url: str | None = None,
        tls_verify: bool = True,
        basic_auth_password: str | None = None,
    ) -> UUID:
        registration = services.ChargerRegistration(
            identity=identity,
            brand_slug=brand,
            model_slug=model,
            ws_url=ws_url or self.csms.url,
            ocpp_version=OcppVersion(ocpp_version),
            tls_verify=tls_verify,
            basic_auth_password=basic_auth_password,
        )
        charger = await asyncio.to_thread(
            self.ctx.ledger.transact,
            lambda uow: services.register_charger(uow, self.tenant, registration, None, "test"),
        )
        return charger.id

    async def booted(self, identity: str, timeout: float = 10.0) -> None:
        """Wait until the charger has booted and reported connector 0 (1.6) and every connector."""
        await self.csms.wait_for(lambda: self.csms.messages(identity, "BootNotification"), timeout)
        station = next(s for s in self.bridge.stations.values() if s.identity == identity)
        reports = len(station.cp.connectors) + (1 if station.version is OcppVersion.V16 else 0)
        await self.csms.wait_for(
            lambda: len(self.csms.messages(identity, "StatusNotification")) >= reports, timeout
        )

    def after_boot(self, identity: str) -> list[Any]:
        """What the charger sent after its boot-time status reports (heartbeats left out)."""
        messages = [m for m in self.csms.messages(identity) if m.action != "Heartbeat"]
        station = next(s for s in self.bridge.stations.values() if s.identity == identity)
        reports = len(station.cp.connectors) + (1 if station.version is OcppVersion.V16 else 0)
        statuses = [i for i, m in enumerate(messages) if m.action == "StatusNotification"]
        return messages[statuses[reports - 1] + 1 :]

    async def queue(self, charger_id: UUID, payload: CommandPayload, origin: str = "api") -> UUID:
        fan_out = await asyncio.to_thread(
            self.ctx.ledger.transact,
            lambda uow: services.queue_commands(
                uow, self.tenant, [charger_id], payload, "charger", "test", origin
            ),
        )
        assert not fan_out.failed, fan_out.failed
        return fan_out.queued[0].command_id

    async def outcome(self, command_id: UUID, timeout: float = 15.0) -> dict[str, Any]:
        """The commands read model's row once the command completed or failed."""

        def finished() -> dict[str, Any] | None:
            with self.ctx.read.db.reader() as cur:
                row = get_command(cur, self.tenant, str(command_id))
            return row if row is not None and row["status"] in ("completed", "failed") else None

        row = await asyncio.to_thread(self.ctx.read.wait_until, "commands", finished, timeout)
        assert row is not None, f"command {command_id} has no outcome after {timeout}s"
        return row

    async def run(self, charger_id: UUID, payload: CommandPayload, timeout: float = 15.0) -> dict[str, Any]:
        return await self.outcome(await self.queue(charger_id, payload), timeout)

    def station(self, charger_id: UUID) -> Station:
        return self.bridge.stations[charger_id]

    def events(self, *types: type) -> list[Any]:
        """Every stored event of these types, in ledger order."""
        mapper, recorder = self.ctx.ledger.mapper, self.ctx.ledger.recorder
        topics = [get_topic(t) for t in types]
        return [
            mapper.to_domain_event(n) for n in recorder.select_notifications(1, 10_000_000, topics=topics)
        ]


@contextlib.asynccontextmanager
async def running_lab(
    ctx: Context, behaviour: Behaviour | None = None, **csms_options: Any
) -> AsyncIterator[Lab]:
    """`csms_options`: more keyword arguments of `Csms` (e.g. ssl_context, basic_auth)."""
    csms = Csms(behaviour, **csms_options)
    await csms.start()
    clock = ctx.clock
    assert isinstance(clock, ScaledClock), "bridge tests run on simulated time (clock_speed in test_settings)"
    bridge = Bridge(
        ctx.ledger,
        clock=clock,
        station_settings=StationSettings(
            response_timeout=5.0, connect_timeout=5.0, backoff_initial=1.0, backoff_max=5.0
        ),
        poll_seconds=0.2,
    )
    ctx.read.start()
    task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.ready.wait(), 10)
    lab = Lab(ctx=ctx, csms=csms, bridge=bridge, clock=clock)
    try:
        yield lab
    finally:
        bridge.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        await csms.stop()
        await asyncio.to_thread(ctx.read.stop)
        assert not csms.violations, f"the CSMS saw schema violations: {csms.violations}"
