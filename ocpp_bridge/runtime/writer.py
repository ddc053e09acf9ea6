"""One writer for every charge point of a bridge: events are gathered and saved together.

On PostgreSQL each save takes a table lock, so one event per save manages ~900 events/s while a save of
many events manages ~13,000/s. Charge points submit their new events and may await the commit; the writer
saves everything submitted while the previous save was in flight (group commit), in submission order,
so each charger's stream stays in order. A failed save is retried (the database may be restarting);
nothing submitted is dropped.

Only some submissions are waited for: an outgoing frame must be on record before it leaves, while the
frames that arrive and most observations are only queued. A commit costs about the same however few
events it holds (~1 ms of the database's and the bridge's CPU each; at a thousand chargers nearly every
frame had a commit of its own), so events that nobody waits for are held back up to `gather_seconds`
for the next save that someone does wait for, and saved on their own only if none comes. Whoever awaits
a submission's future (or adds a callback to it) makes the writer save at once, with everything
submitted before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, Self
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.ledger import Ledger
from infra.postgres import AsyncAppender, FastPostgresApplicationRecorder
from ocpp_bridge.runtime import metrics

log = logging.getLogger(__name__)


GATHER_SECONDS = 0.02
ASYNC_MAX_EVENTS = 64  # bigger batches are saved in a thread (see EventWriter._save)


class Commit(asyncio.Future[None]):
    """The commit of a submission. Waiting for it tells the writer that someone does."""

    def __init__(self, writer: EventWriter) -> None:
        super().__init__()
        self._writer = writer

    def __await__(self) -> Generator[Any, None, None]:
        self._writer.hurry()
        return super().__await__()

    __iter__ = __await__

    def add_done_callback(self, fn: Callable[[Self], object], *, context: Any = None) -> None:
        self._writer.hurry()
        super().add_done_callback(fn, context=context)


class EventWriter:
    def __init__(
        self,
        ledger: Ledger,
        max_batch: int = 5000,
        on_conflict: Callable[[set[UUID]], None] | None = None,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.ledger = ledger
        self.on_conflict = on_conflict
        self.max_batch = max_batch
        self.gather_seconds = gather_seconds
        self._pending: list[Any] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._hurried = asyncio.Event()  # someone waits for a commit: save now
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.saved_events = 0
        self.saves = 0
        recorder = getattr(ledger, "recorder", None)
        self._appender = (
            AsyncAppender(recorder) if isinstance(recorder, FastPostgresApplicationRecorder) else None
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-writer")

    def submit(self, events: Sequence[Any]) -> asyncio.Future[None]:
        """Queue events for the next save; the future resolves once they are committed. Awaiting it
        makes the save start at once; otherwise it waits up to `gather_seconds` for company."""
        future = Commit(self)
        if events:
            self._pending.extend(events)
            self._waiters.append(future)
            self._wake.set()
        else:
            # Nothing new: resolves after whatever is queued now (submission order is commit order).
            if self._pending or self._in_flight:
                self._waiters.append(future)
                self._wake.set()
            else:
                future.set_result(None)
        return future

    def hurry(self) -> None:
        self._hurried.set()

    async def _gather(self) -> None:
        """Let events that nobody waits for wait a little for a save that someone does."""
        if self._hurried.is_set() or self._closing or self.gather_seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurried.wait(), self.gather_seconds)

    _in_flight = False

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self._waiters:
                await self._gather()
                if len(self._pending) <= self.max_batch:
                    self._hurried.clear()  # every waiter so far is in this batch
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                # Waiters whose events are all in this batch: every waiter queued so far if it all fits.
                waiters = self._waiters if not self._pending else []
                if not self._pending:
                    self._waiters = []
                self._in_flight = True
                try:
                    if batch:
                        started = time.perf_counter()
                        await self._save(batch)
                        metrics.writer_saved(len(batch), time.perf_counter() - started)
                        self.saved_events += len(batch)
                        self.saves += 1
                    backoff = 0.05
                except IntegrityError:
                    # Another writer appended to one of these streams: this bridge no longer owns it (its
                    # lease moved while it was not looking). Save the other streams' events one stream at
                    # a time, drop the lost streams' events, and let the bridge stop those charge points.
                    metrics.writer_failed("conflict")
                    lost = await asyncio.to_thread(self._save_separately, batch)
                    log.error(
                        "%d stream(s) taken over by another bridge; their new events are dropped", len(lost)
                    )
                    if self.on_conflict is not None and lost:
                        self.on_conflict(lost)
                except Exception as error:
                    # Put everything back in front, in order, and try again.
                    metrics.writer_failed("error")
                    log.warning("saving %d events failed (retrying in %.2fs): %s", len(batch), backoff, error)
                    self._pending = batch + self._pending
                    self._waiters = waiters + self._waiters
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                finally:
                    self._in_flight = False
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
            if self._closing:
                return

    async def _save(self, batch: list[Any]) -> None:
        """A small batch on PostgreSQL from the event loop itself (infra.postgres.AsyncAppender);
        otherwise through the ledger's save() in a thread. Each step of an await in the loop waits for
        the loop's turn, and encoding a batch there holds the loop up: once the writer has fallen behind
        (big batches mean it has), a thread commits independently of how late the loop is, and the
        backlog drains instead of feeding on itself (seen at 5,000 chargers on a saturated machine)."""
        appender = self._appender
        if appender is not None and appender.usable and len(batch) <= ASYNC_MAX_EVENTS:
            mapper = self.ledger.mapper
            stored = [mapper.to_stored_event(event) for event in batch]
            ids = await appender.append(stored)
            if ids is not None:
                self.ledger.saved(max(ids), {s.topic for s in stored})
                return
        await asyncio.to_thread(self.ledger.save, *batch)

    def _save_separately(self, batch: list[Any]) -> set[UUID]:
        streams: dict[UUID, list[Any]] = {}
        for event in batch:
            streams.setdefault(event.originator_id, []).append(event)
        lost = set()
        for stream_id, events in streams.items():
            try:
                self.ledger.save(*events)
            except IntegrityError:
                lost.add(stream_id)
        return lost

    async def close(self) -> None:
        """Save what is pending, then stop."""
        self._closing = True
        self._wake.set()
        self._hurried.set()
        if self._task is not None:
            await self._task
        if self._appender is not None:
            await self._appender.close()
