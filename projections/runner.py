"""Projections and their runner: read models built from the ledger, each event processed exactly once.

A projection declares one handler per event type (`@handles(Charger.Registered)`). The runner reads
the notification log after the projection's tracked position in batches, applies the handlers and moves
the tracking row in the same transaction, so a crash never applies an event twice or skips one. On
PostgreSQL the tracking row is locked for the batch, so runners in several processes cooperate.

The library's stock runner commits once per event; committing a batch of events with one tracking
update is what lets a rebuild run at tens of thousands of events per second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from domain.ledger import Ledger
from infra.sql import Cursor, Database
from projections.metrics import batch_applied

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any, Cursor, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of these event classes."""

    def mark(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]  # a mark, read by Projection.__init_subclass__
        return method

    return mark


class Projection:
    """A read model: its tables, its handlers, and nothing else."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]] = ()
    # Bump when the tables change shape: read models are disposable, so a new version drops the old
    # tables and rebuilds them from the first event.
    version: ClassVar[int] = 1
    handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {}
        for base in reversed(cls.__mro__):
            for attr in vars(base).values():
                for event_class in getattr(attr, "_handles", ()):
                    cls.handlers[event_class] = attr

    @property
    def topics(self) -> list[str]:
        return [get_topic(event_class) for event_class in self.handlers]

    def create_tables(self, cur: Cursor) -> None:
        """CREATE TABLE IF NOT EXISTS … for each table (idempotent)."""

    def clear(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DELETE FROM {table}")

    def drop(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, event: Any, cur: Cursor, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(self, event, cur, position)


REBUILD_PAGE = 5000
GATHER_SECONDS = 0.05


def _writer() -> ThreadPoolExecutor:
    """The thread a rebuild writes its rows in while it prepares the next ones."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-writer")


def look_ahead(db: Database, name: str, floor: int, topics: Sequence[str]) -> tuple[int, int, bool]:
    """(start, looked_at, relevant) for a projection: where it stands (its tracking row, or `floor` if
    that is further), the end of the next span after `start` (at most the log's head, at most
    `Database.SCAN_SPAN` on), and whether that span holds any of `topics`. One statement outside any
    transaction: nine runners ask this on every wake-up."""
    table, column = db.events_table
    greatest, least = ("GREATEST", "LEAST") if db.dialect == "postgres" else ("MAX", "MIN")
    topic_filter = f" AND e.topic IN ({', '.join(['%s'] * len(topics))})" if topics else ""
    sql = (
        f"WITH t AS (SELECT {greatest}(COALESCE((SELECT position FROM projection_tracking "
        f"WHERE name = %s), 0), %s) AS start, (SELECT MAX({column}) FROM {table}) AS head) "
        f"SELECT t.start, COALESCE(t.head, 0), EXISTS (SELECT 1 FROM {table} e "
        f"WHERE e.{column} > t.start AND e.{column} <= {least}(t.head, t.start + %s){topic_filter}) "
        "FROM t"
    )
    with db.statement() as cur:
        start, head, relevant = cur.tuples(sql, [name, floor, db.SCAN_SPAN, *topics])[0]
    return int(start), min(int(head), int(start) + db.SCAN_SPAN), bool(relevant)


TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)


class ProjectionRunner:
    """Keeps one projection up to date, in a thread, and lets readers wait for a position."""

    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        projection: Projection,
        batch_size: int = 2000,
        poll_seconds: float = 1.0,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.projection = projection
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.gather_seconds = gather_seconds
        self._topics = projection.topics
        self._position = 0
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._wanted = threading.Event()  # a reader waits for this runner: no gathering
        self._stopping = threading.Event()
        self._busy = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.group: Any = None  # a ProjectionGroup that drives this runner instead of its own thread

    @property
    def name(self) -> str:
        return self.projection.name

    @property
    def position(self) -> int:
        return self._position

    def process_batch(self, batch_size: int | None = None) -> int:
        """Apply the next batch of events; return how many notifications it covered (0 = caught up)."""
        with self._busy:
            return self._process_batch(batch_size or self.batch_size)

    def _process_batch(self, batch_size: int) -> int:
        # Look first, without a write transaction: most new events concern other read models, and
        # skipping an irrelevant range needs no write (a restart would find nothing in it either).
        start, looked_at, relevant = look_ahead(self.db, self.name, self._position, self._topics)
        if looked_at <= start:
            self._advance(start)
            return 0
        if not relevant:
            self._advance(looked_at)
            return looked_at - start
        return self._apply_batch(batch_size)

    def _apply_batch(self, batch_size: int) -> int:
        started = time.perf_counter()
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE name = %s" + self.db.for_update,
                [self.name],
            )
            # The locked row is the truth, not the in-memory position: that one may be ahead of the row
            # (it counts ranges skipped as irrelevant, which hold nothing to apply) but also stale, when
            # another process rewound the row to rebuild; applying from it would skip the rebuild's rest.
            position = int(cur.scalar() or 0)
            stop = self.db.max_notification_id(cur)
            if stop <= position:
                self._advance(position)
                return 0
            # Every id up to `stop` was committed before we read it (writers serialise their inserts),
            # so the projection has seen everything it handles up to the position the read looked at.
            notifications, new_position = self.db.select_notifications(
                cur, after=position, stop=stop, topics=self._topics, limit=batch_size
            )
            mapper = self.ledger.mapper
            for notification in notifications:
                self.projection.apply(mapper.to_domain_event(notification), cur, notification.id)
            cur.execute(
                "UPDATE projection_tracking SET position = %s WHERE name = %s",
                [new_position, self.name],
            )
        batch_applied(self.name, len(notifications), time.perf_counter() - started)
        self._advance(new_position)
        return new_position - position

    def catch_up(self, progress: Callable[[int], None] | None = None, batch_size: int | None = None) -> int:
        """Apply batches until the projection has seen the head. A rebuild passes bigger batches: fewer
        commits, and each commit writes index pages that many rows share."""
        total = 0
        while True:
            covered = self.process_batch(batch_size)
            if covered == 0:
                return total
            total += covered
            if progress is not None:
                progress(self._position)

    def _advance(self, position: int) -> None:
        if position == self._position:
            return  # nothing moved: no reader to wake (a group advances every runner on every batch)
        with self._changed:
            self._position = position
            self._changed.notify_all()

    def wake(self, wanted: bool = False) -> None:
        """New events were saved; `wanted`: someone is waiting to read them, so go at once."""
        if self.group is not None:
            self.group.wake(wanted)
            return
        if wanted:
            self._wanted.set()
        self._wake.set()

    def rebuild_in_one_transaction(self, progress: Callable[[int], None] | None = None) -> int:
        """Empty and refill the read model in a single transaction (PostgreSQL): readers keep seeing the
        old rows until the new ones commit, and runners of other processes wait on the tracking row."""
        with self._busy, self.db.transaction() as cur, _writer() as writer:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE name = %s" + self.db.for_update, [self.name]
            )
            self.projection.clear(cur)
            stop = self.db.max_notification_id(cur)
            pages = self.db.notification_pages(0, stop, self._topics, REBUILD_PAGE)
            self._apply_pages(cur, pages, writer, progress)
            cur.execute("UPDATE projection_tracking SET position = %s WHERE name = %s", [stop, self.name])
        self._advance(stop)
        if progress is not None:
            progress(stop)
        return stop

    def rebuild_in_batches(self, batch_size: int, progress: Callable[[int], None] | None = None) -> int:
        """Empty the read model, then refill it committing every `batch_size` events (SQLite: its single
        writer is never held for long; readers of this model see it refill)."""
        self.reset()
        with self.db.reader() as cur:
            stop = self.db.max_notification_id(cur)
        position, pages = 0, None
        with _writer() as writer:
            while position < stop:
                with self._busy, self.db.transaction() as cur:
                    self.db.bulk_cache(cur)
                    cur.execute(
                        "SELECT position FROM projection_tracking WHERE name = %s" + self.db.for_update,
                        [self.name],
                    )
                    tracked = int(cur.scalar() or 0)
                    if tracked >= stop:  # another runner got there first: nothing left to apply
                        position = tracked
                        self._advance(tracked)
                        continue
                    if pages is None or tracked != position:  # another runner moved it meanwhile
                        position = tracked
                        pages = self.db.notification_pages(position, stop, self._topics, REBUILD_PAGE)
                    position = self._apply_pages(cur, pages, writer, progress, batch_size) or stop
                    cur.execute(
                        "UPDATE projection_tracking SET position = %s WHERE name = %s", [position, self.name]
                    )
                self._advance(position)
        if progress is not None:
            progress(stop)
        return stop

    def _apply_pages(
        self,
        cur: Cursor,
        pages: Iterator[list[Any]],
        writer: Executor,
        progress: Callable[[int], None] | None,
        limit: int | None = None,
    ) -> int | None:
        """Apply pages until `limit` events have been (then return the last position applied) or the pages
        run out (then None). Three things overlap: the next page is read on another connection, this one
        is decoded and applied, and the previous page's rows are written and indexed by the database."""
        mapper, applied = self.ledger.mapper, 0
        for page in pages:
            for notification in page:
                self.projection.apply(mapper.to_domain_event(notification), cur, notification.id)
            cur.flush_in_background(writer)
            applied += len(page)
            if progress is not None:
                progress(page[-1].id)
            if limit is not None and applied >= limit:
                cur.flush()
                return int(page[-1].id)
        cur.flush()
        return None

    def reset(self) -> None:
        """Empty the read model and rewind to the first event (no batch runs meanwhile)."""
        with self._busy:
            reset(self.db, self.projection)
            with self._changed:
                self._position = 0

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until this projection has processed `position`; False on timeout."""
        if self._position >= position:
            return True
        self.wake(wanted=True)
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._position < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return self._position >= position
                self._changed.wait(remaining)
        return True

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until the position moves past `seen` (or timeout); return the current position."""
        with self._changed:
            if self._position <= seen and not self._stopping.is_set():
                self._changed.wait(timeout)
            return self._position

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"projection-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._changed:
            self._changed.notify_all()

    def _run(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            try:
                self.catch_up()
                backoff = 0.05
                self.error = None
            except Exception as error:  # the database may be down: keep trying, never die
                self.error = error
                log.warning("projection %s failed, retrying in %.2fs: %s", self.name, backoff, error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._wake.wait(self.poll_seconds)
            # Woken by a save: let the saves that follow it gather for a moment, unless a reader is
            # waiting. Every batch costs the same few round trips however many events it holds, and a
            # busy bridge saves dozens of times a second (each a NOTIFY): nine runners taking every
            # one of them were half of a gateway's CPU.
            self._wanted.wait(self.gather_seconds)
            self._wanted.clear()
            self._wake.clear()


def create_tables(db: Database, projections: Iterable[Projection]) -> None:
    with db.transaction() as cur:
        db.advisory_lock(cur, 0x6F63_7070)  # 'ocpp': one schema change at a time across processes
        cur.execute(TRACKING_DDL)
        if "version" not in db.columns(cur, "projection_tracking"):  # a ledger from before versions
            cur.execute("ALTER TABLE projection_tracking ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
        for projection in projections:
            row = cur.execute(
                "SELECT version FROM projection_tracking WHERE name = %s", [projection.name]
            ).fetchone()
            if row is not None and int(row["version"]) != projection.version:
                projection.drop(cur)  # a new shape: rebuilt from the first event by its runner
                cur.execute(
                    "UPDATE projection_tracking SET position = 0, version = %s WHERE name = %s",
                    [projection.version, projection.name],
                )
            projection.create_tables(cur)
            cur.execute(
                "INSERT INTO projection_tracking (name, position, version) VALUES (%s, 0, %s) "
                "ON CONFLICT (name) DO NOTHING",
                [projection.name, projection.version],
            )


def reset(db: Database, projection: Projection) -> None:
    """Empty a read model and rewind its tracking to zero, in one transaction."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT position FROM projection_tracking WHERE name = %s" + db.for_update, [projection.name]
        )
        projection.clear(cur)
        cur.execute("UPDATE projection_tracking SET position = 0 WHERE name = %s", [projection.name])
