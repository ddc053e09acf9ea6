"""Running the bridge beside the gateway (one process), or alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading

from gateway.context import Context
from ocpp_bridge.runtime.bridge import Bridge
from ocpp_bridge.runtime.station import StationSettings

log = logging.getLogger(__name__)


def make_bridge(ctx: Context) -> Bridge:
    s = ctx.settings
    return Bridge(
        ctx.ledger,
        clock=ctx.clock,
        station_settings=StationSettings(
            response_timeout=s.ocpp_response_timeout,
            backoff_initial=s.reconnect_initial_seconds,
            backoff_max=s.reconnect_max_seconds,
        ),
        lease_ttl=s.lease_ttl_seconds,
    )


class BridgeThread:
    """The bridge in its own thread and event loop, so the simulation and the HTTP server do not wait
    on each other's event loop."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.bridge = make_bridge(ctx)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="bridge", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def _main(self) -> None:
        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._started.set()
            await self.bridge.run()

        try:
            asyncio.run(run())
        except Exception:
            log.exception("the bridge stopped with an error")

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.bridge.stop)
        self._thread.join(timeout=30)


async def run_bridge(ctx: Context) -> None:
    """The bridge alone, in the foreground, until SIGINT/SIGTERM."""
    bridge = make_bridge(ctx)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, bridge.stop)
    await bridge.run()
