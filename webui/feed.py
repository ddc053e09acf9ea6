"""The lab's live feed: one follower of the ledger per process, fanning messages out to every stream.

One thread reads the notification log after the last position it saw (woken by saves in this process,
PostgreSQL NOTIFY from others, and a short poll for SQLite writers elsewhere), turns each event into at
most one message (webui.messages) and keeps the latest `capacity` of them in memory. A stream asks for
the messages of its tenant after a position: from that buffer when it holds the position, else straight
from the ledger (a reconnect after a long gap, or a stream opened from an old Last-Event-ID). Positions
are the store's notification ids, so a stream resumes exactly where it stopped: nothing skipped,
nothing twice. The follower reads only while a stream is open: an unwatched lab costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from bisect import bisect_right
from collections.abc import Callable

from domain.ledger import Ledger
from infra.listen import Listener
from infra.sql import Database
from webui.messages import TOPICS, Message, Origins, message_of

log = logging.getLogger(__name__)

Accept = Callable[[Message], bool]


class Feed:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        capacity: int = 20_000,
        poll_seconds: float = 0.5,
        batch: int = 2_000,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.capacity = capacity
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.origins = Origins(ledger)
        self._positions: list[int] = []
        self._messages: list[Message] = []
        self._floor = 0  # every message after the floor, up to the head, is in the buffer
        self._head = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._streams = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._listener = Listener(db, self.wake)
        self._thread: threading.Thread | None = None
        ledger.on_saved(lambda _position: self.wake())

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lab-feed", daemon=True)
        self._thread.start()
        self._listener.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        if self._streams:
            self._wake.set()

    @property
    def head(self) -> int:
        """The position up to which the feed has read the ledger."""
        return self._head

    def ledger_head(self) -> int:
        with self.db.reader() as cur:
            return self.db.max_notification_id(cur)

    def open_stream(self) -> None:
        """Count an open stream; the first one starts the follower at the ledger's head (blocking)."""
        with self._lock:
            first = self._streams == 0
            self._streams += 1
        if first:
            head = self.ledger_head()
            with self._lock:
                self._positions, self._messages = [], []
                self._floor = self._head = head
            self._wake.set()

    def close_stream(self) -> None:
        with self._lock:
            self._streams -= 1

    # --- the follower --------------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            try:
                while self._streams and self._follow():
                    pass
                backoff = 0.05
            except Exception as error:  # the database may be down: keep trying, never die
                log.warning("lab feed failed, retrying in %.2fs: %s", backoff, error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _follow(self) -> bool:
        """Read the next batch; False once at the ledger's head."""
        after = self._head
        stop = self.ledger_head()
        if stop <= after:
            return False
        messages, looked_at = self.read(after, stop, self.batch)
        with self._lock:
            if self._head != after:  # the last stream left and a new one restarted the feed meanwhile
                return True
            self._positions += [m.position for m in messages]
            self._messages += messages
            self._head = looked_at
            excess = len(self._messages) - self.capacity
            if excess > 0:
                self._floor = self._positions[excess - 1]
                del self._positions[:excess], self._messages[:excess]
        self._notify()
        return True

    def read(
        self, after: int, stop: int, limit: int, accept: Accept | None = None
    ) -> tuple[list[Message], int]:
        """Messages of events after `after` up to `stop` (at most `limit` events looked at), and the
        position read up to, straight from the ledger (blocking)."""
        with self.db.reader() as cur:
            notifications, looked_at = self.db.select_notifications(cur, after, stop, TOPICS, limit)
        mapper, messages = self.ledger.mapper, []
        for notification in notifications:
            message = message_of(mapper.to_domain_event(notification), notification.id, self.origins)
            if message is not None and (accept is None or accept(message)):
                messages.append(message)
        return messages, looked_at

    # --- what streams ask ----------------------------------------------------------------------------

    def take(self, after: int, accept: Accept, limit: int = 500) -> tuple[list[Message], int] | None:
        """From the buffer: accepted messages after `after` and the position they cover; None when the
        buffer no longer reaches back to `after` (then `catch_up`)."""
        with self._lock:
            if after < self._floor:
                return None
            taken: list[Message] = []
            for message in self._messages[bisect_right(self._positions, after) :]:
                if accept(message):
                    taken.append(message)
                    if len(taken) == limit:
                        return taken, message.position
            return taken, max(after, self._head)

    def catch_up(self, after: int, accept: Accept, limit: int = 2_000) -> tuple[list[Message], int]:
        """From the ledger, for a stream behind the buffer (blocking)."""
        return self.read(after, self._floor, limit, accept)

    async def moved(self, seen: int, timeout: float) -> bool:
        """Wait until the feed has read past `seen`; False on timeout."""
        event, loop = asyncio.Event(), asyncio.get_running_loop()
        waiter = (loop, event)
        with self._lock:
            self._waiters.add(waiter)
        try:
            if self._head > seen:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
            return self._head > seen
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def _notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                loop.call_soon_threadsafe(event.set)
