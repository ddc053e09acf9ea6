"""PostgreSQL for the ledger: the library's factory with a recorder tuned for many events per save.

The factory (chosen by `PERSISTENCE_MODULE`, see infra.persistence) makes the pool resolve unqualified
table names in the ledger's schema (read models live beside the events) and checks pooled connections
cheaply (infra.patches.cheap_pre_ping).

The eventsourcing library's PostgreSQL recorder passes a save's events as an array of a composite type,
which psycopg dumps as text, escaping every field with regular expressions: about a third of a
1,000-event save here. This recorder sends four plain arrays in binary instead (ids, versions, topics,
states), under the same table lock and NOTIFY, returning the notification ids the same way.

A save is one round trip: a function of ours in the ledger's schema (`<events table>_append`, created
with the table) takes the same exclusive table lock as the library's recorder, NOTIFYs, inserts and
returns the notification ids, in the implicit transaction of one statement on an autocommit connection.
The lock is what keeps notification ids committed in the order they were given, so that a projection
that has read up to an id has seen everything before it (exactly once); the library's own
POSTGRES_ENABLE_DB_FUNCTIONS function leaves it out, which is why that option stays off. Round trips
matter beside an event loop: the saving thread waits for the interpreter lock after each of them, and
the bridge saves hundreds of times a second. A ledger whose function is not there yet (created by an
older version, before `ocpp-ledger db upgrade`) is saved to as before: lock, NOTIFY and insert as three
statements in a transaction.

Neither path uses psycopg's pipeline mode: with a large save (5,000 chargers created in one request:
15,000 events, tens of MB) the pipelined send deadlocked, the client waiting for results while the server
waited for the rest of the statement.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, retry
from psycopg.sql import SQL, Composed

from infra.patches import cheap_pre_ping

log = logging.getLogger(__name__)


class FastPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = f'"{self.datastore.schema}"."{self.events_table_name}"'
        id_type = self.datastore.originator_id_type
        self._insert_arrays = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "  # noqa: S608 - names
            f"SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        )

        # Each NOTIFY names the recorder that saved, so that a listener beside it can skip the saves its
        # own process already knows of (Ledger.on_saved tells them, with their topics).
        self.notify_token = uuid4().hex
        # Saves whose every topic starts with one of these prefixes NOTIFY on a second channel, which
        # only listeners that want them LISTEN to (the ledger puts the bridge's observations there:
        # the bridge's own follower has no use for them, and was woken by each of its own saves).
        self.second_channel_prefixes: tuple[str, ...] = ()
        self.second_channel_name = f"{self.channel_name}_2"
        # No parameters: psycopg sends it with the simple query protocol, which runs several statements.
        self._begin_locked = {
            channel: (
                f"BEGIN; SET LOCAL lock_timeout = '{self.datastore.lock_timeout}s'; "
                f"LOCK TABLE {table} IN EXCLUSIVE MODE; "
                f"NOTIFY \"{channel}\", '{self.notify_token}'"
            )
            for channel in (self.channel_name, self.second_channel_name)
        }
        function = f'"{self.datastore.schema}"."{self.events_table_name}_append"'
        create = (
            f"CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[], "  # noqa: S608
            "topics text[], states bytea[], channel text, token text) RETURNS SETOF bigint "
            "LANGUAGE plpgsql AS $$ "
            f"BEGIN PERFORM set_config('lock_timeout', '{self.datastore.lock_timeout}s', true); "
            f"LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "PERFORM pg_notify(channel, token); "
            f"RETURN QUERY INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; END $$"
        )
        self.sql_create_statements.append(Composed([SQL(create)]))
        self._append = (
            f"SELECT notification_id FROM {function}(%s::{id_type}[], %s::bigint[], %s::text[], "  # noqa: S608
            "%s::bytea[], %s, %s) AS notification_id"
        )
        self._has_append = True  # until the database says otherwise

    def use_second_channel_for(self, prefixes: tuple[str, ...]) -> None:
        self.second_channel_prefixes = prefixes

    def _channel(self, stored_events: Sequence[StoredEvent]) -> str:
        prefixes = self.second_channel_prefixes
        if prefixes and all(e.topic.startswith(prefixes) for e in stored_events):
            return self.second_channel_name
        return self.channel_name

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        channel = self._channel(stored_events)
        if self._has_append:
            try:
                with self.datastore.get_connection() as conn, conn.cursor() as curs:
                    parameters = (*self._columns(stored_events), channel, self.notify_token)
                    curs.execute(self._append, parameters, binary=True)
                    return [int(row["notification_id"]) for row in curs.fetchall()]
            except ProgrammingError as error:
                if not isinstance(error.__cause__, psycopg.errors.UndefinedFunction):
                    raise
                log.warning(
                    "the ledger has no %s_append yet (ocpp-ledger db upgrade)", self.events_table_name
                )
                self._has_append = False
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            # The pool's connections are in autocommit mode: the transaction is ours to end.
            try:
                curs.execute(self._begin_locked[channel])
                self._insert_stored_events(curs, stored_events, **kwargs)
                ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                curs.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
            return ids

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        curs.execute(self._insert_arrays, self._columns(stored_events), binary=True)

    @staticmethod
    def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
        return (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )


class LedgerPostgresFactory(PostgresFactory):
    application_recorder_class = FastPostgresApplicationRecorder

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        schema = self.env.get(self.POSTGRES_SCHEMA)
        if schema:
            # The pool opens lazily, so every connection it makes will resolve unqualified table names
            # (the read models') in the ledger's schema.
            if not isinstance(pool.kwargs, dict):
                raise TypeError(f"expected the pool's connection arguments as a dict, got {pool.kwargs!r}")
            pool.kwargs["options"] = f"-c search_path={schema}"
        if self.datastore.pre_ping:
            cheap_pre_ping(pool)


class AsyncAppender:
    """Saves from an event loop, on a connection of its own, through the ledger's append function: the
    same lock, NOTIFY and insert as `FastPostgresApplicationRecorder.insert_events`, without a thread
    per save. A thread hop per save (and the interpreter lock going back and forth with it) was a good
    part of a bridge's CPU: its writer saves hundreds of times a second beside its event loop."""

    def __init__(self, recorder: FastPostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None

    @property
    def usable(self) -> bool:
        return self.recorder._has_append

    async def append(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The notification ids given to the events, in order; None if the ledger has no append
        function (save through the recorder instead). Errors are the library's, as the recorder's."""
        recorder = self.recorder
        parameters = (
            *recorder._columns(stored_events),
            recorder._channel(stored_events),
            recorder.notify_token,
        )
        try:
            conn = await self._connection()
            cursor = await conn.execute(recorder._append, parameters, binary=True)
            rows = await cursor.fetchall()
        except psycopg.errors.UndefinedFunction:
            log.warning(
                "the ledger has no %s_append yet (ocpp-ledger db upgrade)", recorder.events_table_name
            )
            recorder._has_append = False
            return None
        except psycopg.IntegrityError as error:
            raise IntegrityError(str(error)) from error
        except psycopg.Error as error:
            await self.close()  # a new connection for the next attempt
            raise OperationalError(str(error)) from error
        return [int(row[0]) for row in rows]

    async def _connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._conn is None or self._conn.closed:
            pool = self.recorder.datastore.pool
            kwargs = dict(pool.kwargs) if isinstance(pool.kwargs, dict) else {}
            kwargs.pop("row_factory", None)
            kwargs.pop("autocommit", None)
            conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
            self._conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True, **kwargs)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
