"""Every projection of a process kept up to date by one thread, in one transaction per batch.

A runner per projection (projections.runner) costs the same few statements per wake-up however little it
has to do: ten of them woken by each save of a busy bridge were most of a gateway's CPU and a good part
of PostgreSQL's, mostly for nothing. The group reads the notification log once for all of them, decodes
each event once (JSON and pydantic) and hands it to every projection that handles it, and moves every
tracking row in the same transaction as the rows, so each projection still sees each event exactly once.

The runners stay what readers talk to (positions, read barriers, rebuilds); the group only drives them.
On PostgreSQL the group locks the tracking rows it will move (SKIP LOCKED: a projection another process
is applying or rebuilding right now is left for the next batch, instead of stalling all the others). If
a batch fails, the projections are applied one by one for that round, so one failing projection cannot
hold back the rest.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from domain.ledger import Ledger
from infra.sql import Cursor, Database
from projections.metrics import batch_applied
from projections.runner import ProjectionRunner

log = logging.getLogger(__name__)

RETRY_SKIPPED_SECONDS = 0.05  # a tracking row locked elsewhere: look again soon
# Woken by a save, wait this long for more before a batch (unless a reader waits: then at once). Each
# batch costs the same handful of round trips however many events it holds.
GROUP_GATHER_SECONDS = 0.1


class ProjectionGroup:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        runners: Sequence[ProjectionRunner],
        batch_size: int = 2000,
        poll_seconds: float = 1.0,
        gather_seconds: float = GROUP_GATHER_SECONDS,
    ) -> None:
        self.ledger, self.db = ledger, db
        self.runners = {runner.name: runner for runner in runners}
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.gather_seconds = gather_seconds
        # A projection with no topics takes every event.
        self._topics = {
            name: frozenset(runner.projection.topics) or None for name, runner in self.runners.items()
        }
        self._wake = threading.Event()
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._skipped = False
        self._more = False  # the last batch stopped short of the head it read
        self._batch = threading.Lock()  # the thread's batches and a caller's catch_up take turns
        for runner in runners:
            runner.group = self

    def wake(self, wanted: bool = False) -> None:
        if wanted:
            self._wanted.set()
        self._wake.set()

    # --- one batch for every projection --------------------------------------------------------------

    def catch_up(self) -> int:
        """Apply batches until every projection has seen the head (or is busy elsewhere)."""
        total = 0
        while True:
            covered = self.process_batch()
            total += covered
            # A batch that reached the head it read is the last: a save after that read woke us anyway.
            if covered == 0 or not self._more:
                return total

    def process_batch(self) -> int:
        """Apply the next batch to every projection that is behind; return how many positions the
        furthest-behind one moved (0: all caught up)."""
        with self._batch, contextlib.ExitStack() as held:
            # A runner busy in this process (a rebuild, a catch-up of its own) sits this batch out, and
            # so does one whose last batch failed: it is retried on its own (`_one_by_one`).
            free = [r for r in self.runners.values() if r.error is None and r._busy.acquire(blocking=False)]
            for runner in free:
                held.callback(runner._busy.release)
            self._skipped = len(free) < len(self.runners)
            self._more = False
            return self._apply(free) if free else 0

    def _committed(self, runners: list[ProjectionRunner]) -> tuple[dict[str, int], int]:
        """Each projection's tracked position as committed, and the log's head: one statement, outside
        any transaction."""
        table, column = self.db.events_table
        marks = ", ".join(["%s"] * len(runners))
        with self.db.statement() as cur:
            rows = cur.tuples(
                f"SELECT name, position, (SELECT MAX({column}) FROM {table}) FROM projection_tracking "
                f"WHERE name IN ({marks})",
                [r.name for r in runners],
            )
        head = max([int(row[2] or 0) for row in rows], default=0)
        return {str(name): int(position) for name, position, _ in rows}, head

    def _apply(self, runners: list[ProjectionRunner]) -> int:
        committed, head = self._committed(runners)
        behind = [r for r in runners if committed.get(r.name, 0) < head]
        for runner in runners:
            if runner not in behind:
                runner._advance(max(runner.position, committed.get(runner.name, 0)))
        if not behind:
            return 0
        started = time.perf_counter()
        with self.db.transaction() as cur:
            positions, stop = self._lock(cur, behind)
            for runner in behind:  # locked by another process: it is moving them; take what it committed
                if runner.name not in positions:
                    self._skipped = True
                    runner._advance(max(runner.position, committed.get(runner.name, 0)))
            if not positions:
                return 0
            after = min(positions.values())
            wanted = [self._topics[name] for name in positions]
            topics = [] if None in wanted else sorted(set().union(*(t for t in wanted if t is not None)))
            notifications, looked_at = self.db.select_notifications(
                cur, after=after, stop=stop, topics=topics, limit=self.batch_size
            )
            applied = self._apply_notifications(cur, positions, notifications)
            self._more = looked_at < stop
            moved = {name: looked_at for name, position in positions.items() if position < looked_at}
            self._track(cur, moved)
        elapsed = time.perf_counter() - started
        for name, count in applied.items():
            batch_applied(name, count, elapsed)
        for name in positions:
            runner = self.runners[name]
            runner.error = None
            runner._advance(max(looked_at, positions[name]))
        return max(0, looked_at - after)

    def _lock(self, cur: Cursor, runners: list[ProjectionRunner]) -> tuple[dict[str, int], int]:
        """Lock the tracking rows of these projections (in name order: groups of several processes
        never deadlock); their positions, the truth to apply from, and the log's head, in one statement.
        Every id up to that head was committed when it was read (writers hold the events table's lock
        until they commit), so a later read sees all of them."""
        table, column = self.db.events_table
        marks = ", ".join(["%s"] * len(runners))
        skip = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgres" else ""
        rows = cur.tuples(
            f"SELECT name, position, (SELECT MAX({column}) FROM {table}) FROM projection_tracking "
            f"WHERE name IN ({marks}) ORDER BY name{skip}",
            sorted(r.name for r in runners),
        )
        head = max([int(row[2] or 0) for row in rows], default=0)
        return {str(name): int(position) for name, position, _ in rows}, head

    def _apply_notifications(
        self, cur: Cursor, positions: dict[str, int], notifications: Sequence[Any]
    ) -> dict[str, int]:
        mapper = self.ledger.mapper
        targets = [
            (self.runners[name].projection, position, self._topics[name])
            for name, position in positions.items()
        ]
        applied = dict.fromkeys(positions, 0)
        names = list(positions)
        for notification in notifications:
            event = None
            for index, (projection, position, topics) in enumerate(targets):
                if notification.id <= position or (topics is not None and notification.topic not in topics):
                    continue
                if event is None:
                    event = mapper.to_domain_event(notification)  # once, for every projection
                projection.apply(event, cur, notification.id)
                applied[names[index]] += 1
        return applied

    def _track(self, cur: Cursor, moved: dict[str, int]) -> None:
        if not moved:
            return
        if len(set(moved.values())) == 1:  # the usual case: one statement for every row
            marks = ", ".join(["%s"] * len(moved))
            cur.execute(
                f"UPDATE projection_tracking SET position = %s WHERE name IN ({marks})",
                [next(iter(moved.values())), *moved],
            )
            return
        cur.executemany(
            "UPDATE projection_tracking SET position = %s WHERE name = %s",
            [(position, name) for name, position in moved.items()],
        )

    def _one_by_one(self, runners: Sequence[ProjectionRunner]) -> bool:
        """Each of these projections on its own (after a failed batch, or while one keeps failing), so
        that one that fails holds back no other; True if they all succeeded."""
        ok = True
        for runner in runners:
            try:
                runner.catch_up()
                runner.error = None
            except Exception as error:
                ok = False
                runner.error = error
                log.warning("projection %s failed: %s", runner.name, error)
        return ok

    # --- the thread ----------------------------------------------------------------------------------

    def start(self) -> None:
        thread = self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)
        for runner in self.runners.values():
            runner.stop()  # readers waiting on it return

    def _run(self) -> None:
        backoff = 0.05
        retry_failing_at, failing_backoff = 0.0, 0.05
        while not self._stopping.is_set():
            try:
                self.catch_up()
                backoff = 0.05
            except Exception as error:  # the database may be down, or one projection fails
                log.warning("projections failed, retrying one by one in %.2fs: %s", backoff, error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                self._one_by_one(list(self.runners.values()))
                continue
            # Projections whose batches failed are retried on their own, backing off, while the others
            # go on at their usual pace.
            failing = [r for r in self.runners.values() if r.error is not None]
            if failing and time.monotonic() >= retry_failing_at:
                failing_backoff = 0.05 if self._one_by_one(failing) else min(failing_backoff * 2, 5.0)
                retry_failing_at = time.monotonic() + failing_backoff
            timeout = RETRY_SKIPPED_SECONDS if self._skipped else self.poll_seconds
            if failing:
                timeout = min(timeout, max(0.0, retry_failing_at - time.monotonic()))
            self._wake.wait(timeout)
            # Woken by a save: let the saves that follow it gather for a moment, unless a reader waits.
            # Every batch costs the same few round trips however many events it holds.
            self._wanted.wait(self.gather_seconds)
            self._wanted.clear()
            self._wake.clear()
