"""`serve --demo`: a local CSMS and a seeded location, so a newcomer sees real traffic within a minute."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from domain import services
from domain.commands import StartSession
from domain.ledger import UnitOfWork
from domain.location import LocationDetails
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.lab.csms import Csms
from ocpp_ledger.devtoken import DEV_ORGANIZATION
from projections.chargers import get_charger

DEMO_CHARGERS = (
    ("DEMO-1", "wallbox", "wallbox-pulsar-plus", OcppVersion.V16),
    ("DEMO-2", "abb", "terra-184", OcppVersion.V16),
    ("DEMO-3", "alfen", "eve-double-pro-line", OcppVersion.V201),
)


class DemoCsms:
    """The test CSMS in a thread of its own."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.csms = Csms()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="demo-csms", daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def _main(self) -> None:
        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._done = asyncio.Event()
            self.port = await self.csms.start("127.0.0.1", self.port)
            self._ready.set()
            await self._done.wait()
            await self.csms.stop()

        asyncio.run(run())

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(timeout=10)

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """From another thread: block until `condition()` holds at the CSMS."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(self.csms.wait_for(condition, timeout), self._loop).result(
            timeout + 1
        )

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)


def seed(ctx: Context, csms_url: str) -> str:
    """Create the demo location and chargers once (in tenant 'dev'); start a session on DEMO-1."""
    tenant = DEV_ORGANIZATION
    ctx.read.catch_up()
    with ctx.read.db.reader() as cur:
        existing = get_charger(cur, tenant, "DEMO-1")
    if existing is not None:
        return existing["location_id"]

    def decide(uow: UnitOfWork) -> str:
        location = services.create_location(
            uow, tenant, LocationDetails(name="Demo depot", country="FR"), "demo"
        )
        chargers = []
        for identity, brand, model, version in DEMO_CHARGERS:
            registration = services.ChargerRegistration(
                identity=identity, brand_slug=brand, model_slug=model, ws_url=csms_url, ocpp_version=version
            )
            chargers.append(services.register_charger(uow, tenant, registration, location.id, "demo"))
        services.queue_commands(
            uow,
            tenant,
            [chargers[0].id],
            StartSession(id_tag="DEMO-TAG", duration_seconds=600),
            "charger",
            "demo",
        )
        return str(location.id)

    return ctx.ledger.transact(decide)
