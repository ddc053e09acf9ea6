"""The reservations' expiry timer, on the simulated clock: a task of the station that sleeps until the
next reservation expires (or the reservations change) and then has the intent worker expire it, in line
with the commands and follow-ups. Reservations are ChargePoint events: after a restart the timer picks
up those still held, and one that expired while the bridge was down expires at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ocpp_bridge.core import reservations
from ocpp_bridge.station import FollowUp, Station


class ReservationExpiry(Station):
    """A mixin of the version's reservations: the timer; `expire_reservations` says what expiry does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reservations_changed = asyncio.Event()

    def start(self) -> None:
        super().start()
        self._tasks.append(asyncio.create_task(self._expiry_loop(), name=f"{self.identity}-reservations"))

    async def expire_reservations(self) -> None:
        raise NotImplementedError

    async def _expiry_loop(self) -> None:
        while True:
            self.reservations_changed.clear()
            due = reservations.next_expiry(self.cp)
            wait = None
            if due is not None:
                wait = (datetime.fromisoformat(due) - self.clock.now()).total_seconds()
            if wait is None or wait > 0:
                timeout = None if wait is None else self.clock.real_seconds(wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.reservations_changed.wait(), timeout)
                continue
            done = asyncio.Event()
            self.enqueue(FollowUp(None, self._expire_then(done), "reservation expiry"))
            await done.wait()

    def _expire_then(self, done: asyncio.Event) -> Callable[[], Awaitable[None]]:
        async def expire() -> None:
            try:
                await self.expire_reservations()
            finally:
                done.set()

        return expire
