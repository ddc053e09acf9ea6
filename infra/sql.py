"""Read-model SQL over the ledger's own connection pool, for SQLite and PostgreSQL alike.

SQL is written once with `%s` placeholders and portable types (TEXT, BIGINT, INTEGER, BOOLEAN, DOUBLE
PRECISION, upserts with ON CONFLICT); SQLite gets `?` placeholders. Timestamps are stored as ISO-8601
UTC text, which sorts correctly on both backends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteDatastore, SQLiteFactory
from psycopg.rows import tuple_row

from infra.transcoding import uuid_from_hex

Dialect = Literal["sqlite", "postgres"]
T = TypeVar("T")
BULK_CACHE_KIB = 128 * 1024
Row = dict[str, Any]


@dataclass(frozen=True)
class LedgerNotification(Notification):
    """A notification of the ledger's log, whose aggregate ids are UUIDs (the library's notifications
    allow `UUID | str`)."""

    originator_id: UUID


@lru_cache(maxsize=1024)
def _to_qmark(sql: str) -> str:
    return sql.replace("%s", "?")


_INSERT = re.compile(r"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:%s, )*%s\)$")


@lru_cache(maxsize=64)
def _copy_of(sql: str) -> str | None:
    """The COPY statement that does what a deferred `INSERT INTO t (a, b) VALUES (%s, %s)` does."""
    match = _INSERT.match(sql)
    if match is None:
        return None
    return f"COPY {match.group(1)} ({match.group(2)}) FROM STDIN"


def _same(value: Any) -> Any:
    return value


class Cursor:
    """A DB-API cursor with one placeholder style and rows as dicts."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self._raw = raw
        self.dialect = dialect
        self._deferred: dict[str, list[tuple[Any, ...]]] = {}
        self._latest: dict[tuple[str, Any], tuple[Any, ...]] = {}
        self._writing: Future[None] | None = None

    def _sql(self, sql: str) -> str:
        return _to_qmark(sql) if self.dialect == "sqlite" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self.flush()  # deferred inserts first: this statement may read or update their rows
        self._raw.execute(self._sql(sql), tuple(params))
        return self

    def defer(self, sql: str, params: Sequence[Any]) -> None:
        """Queue a plain `INSERT … VALUES (%s, …)` (no ON CONFLICT: rows of one batch could collide) to
        run with others like it in one statement: a projection inserting one row per event would
        otherwise pay one round trip per event."""
        self._deferred.setdefault(sql, []).append(tuple(params))

    def defer_latest(self, sql: str, key: Any, params: Sequence[Any]) -> None:
        """Queue an UPDATE that sets absolute values on the row `key` names, keeping only the latest
        for that row until the next flush: a meter sample or a sign of life per frame would otherwise
        cost a statement each, when only the last one of a batch is left standing anyway."""
        self._latest[(sql, key)] = tuple(params)

    def flush(self) -> None:
        """Run the deferred statements now (after the ones being written in the background, if any)."""
        self._settle()
        if self._deferred or self._latest:
            self._write(*self._take())

    def flush_in_background(self, writer: Executor) -> None:
        """Start writing the deferred statements in `writer`'s thread and return: the caller prepares
        the next rows while the database indexes these. The connection stays this cursor's: every other
        use of it waits for that write first (and raises its error, if it failed)."""
        self._settle()
        if self._deferred or self._latest:
            self._writing = writer.submit(self._write, *self._take())

    def _take(self) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
        updates: dict[str, list[tuple[Any, ...]]] = {}
        for (sql, _), params in self._latest.items():
            updates.setdefault(sql, []).append(params)
        taken = self._deferred, updates
        self._deferred, self._latest = {}, {}
        return taken

    def _settle(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def _write(
        self, deferred: dict[str, list[tuple[Any, ...]]], updates: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        # Inserts first: an update may concern a row inserted in the same batch.
        for sql, rows in updates.items():
            deferred.setdefault(sql, rows)
        for sql, rows in deferred.items():
            copy_sql = _copy_of(sql) if self.dialect == "postgres" else None
            if copy_sql is None:
                self._raw.executemany(self._sql(sql), rows)  # SQLite, or UPDATEs: one statement, many rows
                continue
            # PostgreSQL: COPY. Even pipelined, executemany sends and checks one statement per
            # row, which cost more than the projection's own work; COPY streams them all at once.
            with self._raw.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.flush()
        if rows:
            self._raw.executemany(self._sql(sql), [tuple(r) for r in rows])

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return plain tuples, for readers of millions of rows (no dict per row)."""
        self.flush()
        if self.dialect == "sqlite":
            plain = self._raw.sqlite_cursor.connection.cursor()  # the connection's rows are sqlite3.Row
            plain.row_factory = None
            try:
                rows: list[tuple[Any, ...]] = plain.execute(_to_qmark(sql), tuple(params)).fetchall()
            finally:
                plain.close()
            return rows
        with self._raw.connection.cursor(row_factory=tuple_row) as plain:
            rows = plain.execute(sql, tuple(params)).fetchall()
        return rows

    def fetchone(self) -> Row | None:
        row = self._raw.fetchone()
        return None if row is None else dict(row)

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self._raw.fetchall()]

    def scalar(self) -> Any:
        row = self._raw.fetchone()
        if row is None:
            return None
        return next(iter(dict(row).values()))

    @property
    def rowcount(self) -> int:
        raw = getattr(self._raw, "sqlite_cursor", self._raw)  # the library wraps sqlite3's cursor
        return int(raw.rowcount)


class Database:
    """Transactions on the ledger's datastore (same database, same pool as the events)."""

    def __init__(self, ledger: Application[UUID]) -> None:
        self.ledger = ledger
        factory = ledger.factory
        if not isinstance(factory, SQLiteFactory | PostgresFactory):
            raise TypeError(f"the read models need SQLite or PostgreSQL, not {type(factory).__name__}")
        self.datastore: SQLiteDatastore | PostgresDatastore = factory.datastore
        self.dialect: Dialect = "postgres" if isinstance(self.datastore, PostgresDatastore) else "sqlite"
        recorder = ledger.recorder
        if not isinstance(recorder, SQLiteAggregateRecorder | PostgresAggregateRecorder):
            raise TypeError(f"unknown recorder {type(recorder).__name__}")
        self._events_table_name = recorder.events_table_name

    @property
    def postgres(self) -> PostgresDatastore:
        """The datastore, where the dialect is PostgreSQL (its schema, its connections outside any
        transaction)."""
        if not isinstance(self.datastore, PostgresDatastore):
            raise TypeError("the ledger is not on PostgreSQL")
        return self.datastore

    @property
    def for_update(self) -> str:
        """Row lock suffix: PostgreSQL serialises projection runners of several processes on their
        tracking row; SQLite has one writer at a time anyway."""
        return " FOR UPDATE" if self.dialect == "postgres" else ""

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A write transaction; deferred inserts are flushed before it commits."""
        with self.datastore.transaction(commit=True) as raw:
            if self.dialect == "sqlite":
                # Take the write lock before reading anything. A deferred transaction that reads and
                # then writes fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, no busy
                # wait) if another process committed in between, e.g. `ocpp-ledger token create`
                # while `serve` is projecting. The library's transaction has only run "BEGIN".
                raw.execute("ROLLBACK")
                raw.execute("BEGIN IMMEDIATE")
            cursor = Cursor(raw, self.dialect)
            yield cursor
            cursor.flush()

    @contextmanager
    def reader(self) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=False) as raw:
            yield Cursor(raw, self.dialect)

    # The notification log, read with the caller's own cursor: a runner that holds the (single) SQLite
    # writer connection must not ask the pool for a second one, and on PostgreSQL it saves a connection.

    @property
    def events_table(self) -> tuple[str, str]:
        """The events table's name (qualified on PostgreSQL) and its position column."""
        if self.dialect == "postgres":
            return f'"{self.postgres.schema}"."{self._events_table_name}"', "notification_id"
        return self._events_table_name, "rowid"

    def max_notification_id(self, cur: Cursor) -> int:
        table, column = self.events_table
        return int(cur.execute(f"SELECT MAX({column}) AS n FROM {table}").scalar() or 0)

    # How many positions one read of the notification log may span. Filtering by topic, PostgreSQL
    # picks a plan from its statistics: on a freshly filled table (no ANALYZE yet) or for rare topics it
    # scans the whole range after `after` and sorts it for every page, which made a 1M-event rebuild
    # quadratic (80 ms a page, 14k events/s). A bounded span bounds every plan.
    SCAN_SPAN = 50_000

    @contextmanager
    def statement(self) -> Iterator[Cursor]:
        """A cursor for one read-only statement: on PostgreSQL outside any transaction (the pool's
        connections are in autocommit mode), which spares a BEGIN and a ROLLBACK round trip."""
        if self.dialect == "sqlite":
            with self.reader() as cur:
                yield cur
            return
        with self.postgres.get_connection() as conn, conn.cursor() as raw:
            yield Cursor(raw, self.dialect)

    def select_notifications(
        self, cur: Cursor, after: int, stop: int, topics: Sequence[str], limit: int
    ) -> tuple[list[LedgerNotification], int]:
        """Notifications of these topics after `after`, up to `limit` of them, and the position up to
        which the log has been looked at (the last one returned when the page is full; otherwise the end
        of the span looked at, at most `stop`): the caller continues from there."""
        table, column = self.events_table
        end = min(stop, after + max(self.SCAN_SPAN, limit))
        sql = (
            f"SELECT {column} AS id, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {column} > %s AND {column} <= %s"
        )
        params: list[Any] = [after, end]
        if topics:
            sql += f" AND topic IN ({', '.join(['%s'] * len(topics))})"
            params += list(topics)
        sql += f" ORDER BY {column} LIMIT %s"
        params.append(limit)
        # SQLite stores ids as hex text; psycopg already gives UUIDs.
        to_id = uuid_from_hex if self.dialect == "sqlite" else _same
        page = [
            LedgerNotification(
                id=position,
                originator_id=to_id(originator_id),
                originator_version=version,
                topic=topic,
                state=state,
            )
            for position, originator_id, version, topic, state in cur.tuples(sql, params)
        ]
        return page, (page[-1].id if len(page) == limit else end)

    def notification_pages(
        self, after: int, stop: int, topics: Sequence[str], page: int
    ) -> Iterator[list[LedgerNotification]]:
        """`select_notifications` page after page up to `stop`, each read on a connection of its own in
        a thread while the caller works through the previous page (only what was committed up to `stop`
        is read, so any connection sees the same rows)."""

        def fetch(after: int) -> tuple[list[LedgerNotification], int | None]:
            with self.reader() as cur:
                notifications, looked_at = self.select_notifications(cur, after, stop, topics, page)
            return notifications, (looked_at if looked_at < stop else None)

        return _read_ahead(fetch, after)

    def stream_rows(
        self,
        after: int = 0,
        stop: int | None = None,
        originator_ids: Sequence[UUID] = (),
        page: int = 10_000,
        ids_as_text: bool = True,
    ) -> Iterator[tuple[Any, ...]]:
        """(position, aggregate id, version, topic, state) of every notification after `after` (up to
        `stop`), optionally of some aggregates only, in ledger order, page by page (constant
        memory; each page is its own short read). Plain tuples from a plain cursor: exporting millions of
        events cannot afford a dict, a UUID and a Notification per row. Ids come as canonical text, or
        as the database holds them (SQLite: 32 hex digits; PostgreSQL: UUID)."""
        table, column = self.events_table
        sqlite = self.dialect == "sqlite"
        ids: list[Any] = [(i.hex if sqlite else i) for i in originator_ids]
        # SQLite holds ids as 32 hex digits: the database puts the dashes in (in C, in the reading thread).
        id_column = "originator_id"
        if ids_as_text:
            id_column = (
                "substr(originator_id, 1, 8) || '-' || substr(originator_id, 9, 4) || '-' || "
                "substr(originator_id, 13, 4) || '-' || substr(originator_id, 17, 4) || '-' || "
                "substr(originator_id, 21)"
                if sqlite
                else "originator_id::text"
            )

        def fetch(after: int) -> tuple[list[tuple[Any, ...]], int | None]:
            sql = (
                f"SELECT {column}, {id_column}, originator_version, topic, state FROM {table} "
                f"WHERE {column} > %s"
            )
            params: list[Any] = [after]
            if stop is not None:
                sql += f" AND {column} <= %s"
                params.append(stop)
            if ids:
                sql += f" AND originator_id IN ({', '.join(['%s'] * len(ids))})"
                params += ids
            sql += f" ORDER BY {column} LIMIT %s"
            params.append(page)
            with self.reader() as cur:
                rows = cur.tuples(sql, params)
            return rows, (rows[-1][0] if len(rows) == page else None)

        for rows in _read_ahead(fetch, after):
            yield from rows

    def stream_notifications(
        self,
        after: int = 0,
        stop: int | None = None,
        originator_ids: Sequence[UUID] = (),
        page: int = 10_000,
    ) -> Iterator[LedgerNotification]:
        """`stream_rows` as the library's notifications."""
        to_id = uuid_from_hex if self.dialect == "sqlite" else _same
        for position, aggregate_id, version, topic, state in self.stream_rows(
            after, stop, originator_ids, page, ids_as_text=False
        ):
            yield LedgerNotification(
                id=position,
                originator_id=to_id(aggregate_id),
                originator_version=version,
                topic=topic,
                state=state,
            )

    def events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's in version order, in one statement
        (by the primary key): a bridge starting thousands of chargers would otherwise ask per stream."""
        if not originator_ids:
            return []
        table, _ = self.events_table
        sqlite = self.dialect == "sqlite"
        if sqlite:
            where = f"originator_id IN ({', '.join(['%s'] * len(originator_ids))})"
            params: list[Any] = [i.hex for i in originator_ids]
        else:
            where, params = "originator_id = ANY(%s)", [list(originator_ids)]
        to_id = uuid_from_hex if sqlite else _same
        with self.reader() as cur:
            rows = cur.tuples(
                f"SELECT originator_id, originator_version, topic, state FROM {table} WHERE {where} "
                "ORDER BY originator_id, originator_version",
                params,
            )
        return [
            StoredEvent(
                originator_id=to_id(aggregate_id), originator_version=version, topic=topic, state=state
            )
            for aggregate_id, version, topic, state in rows
        ]

    def bulk_cache(self, cur: Cursor) -> None:
        """SQLite: a page cache big enough for a rebuild's indexes. The default (2 MB) holds a few
        thousand index pages; a read model of a million rows with random keys then reads most pages
        back from the file system for every batch (PostgreSQL has its shared buffers)."""
        if self.dialect == "sqlite":
            cur.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")

    @property
    def skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED" if self.dialect == "postgres" else ""

    def columns(self, cur: Cursor, table: str) -> set[str]:
        if self.dialect == "sqlite":
            return {r["name"] for r in cur.execute(f"PRAGMA table_info({table})").fetchall()}
        rows = cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND table_schema = %s",
            [table, self.postgres.schema],
        ).fetchall()
        return {r["column_name"] for r in rows}

    def advisory_lock(self, cur: Cursor, key: int) -> None:
        """Serialise schema changes between processes (PostgreSQL only; SQLite locks the file)."""
        if self.dialect == "postgres":
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _read_ahead(fetch: Callable[[int], tuple[list[T], int | None]], after: int) -> Iterator[list[T]]:
    """The pages `fetch(after)` returns, each with where the next one starts (None after the last),
    the next page read in a thread while the caller works through this one: the drivers release the GIL
    while they wait, so a long read pays for the database or for its caller, not for both."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
        items, following_after = fetch(after)
        while True:
            following = reader.submit(fetch, following_after) if following_after is not None else None
            if items:
                yield items
            if following is None:
                return
            items, following_after = following.result()


def iso(moment: datetime | None) -> str | None:
    """Fixed-width UTC text, so that string order is time order on both backends."""
    if moment is None:
        return None
    # isoformat with fixed microseconds is C-fast; strftime costs ~15 µs per call
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
