"""Saves on PostgreSQL: one round trip through the ledger's append function, which takes the events
table's lock like every writer (notification ids are committed in the order they were given, which is
what keeps projections exactly-once), and a ledger without the function is still saved to."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from domain.chargepoint import ChargePoint
from domain.location import Location, LocationDetails
from gateway.context import Context, build_context, upgrade_database
from infra.postgres import FastPostgresApplicationRecorder
from ocpp_bridge.runtime.writer import EventWriter
from tests.conftest import postgres_schema, test_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[Context, str, str]]:
    with postgres_schema(postgres_url) as schema:
        ctx = build_context(test_settings(database_url=postgres_url, database_schema=schema))
        upgrade_database(ctx)
        yield ctx, postgres_url, schema
        ctx.ledger.close()


def recorder(ctx: Context) -> FastPostgresApplicationRecorder:
    assert isinstance(ctx.ledger.recorder, FastPostgresApplicationRecorder)
    return ctx.ledger.recorder


def save_one(ctx: Context, name: str) -> int:
    return ctx.ledger.save(Location.create("acme", LocationDetails(name=name), "test"))[0].notification.id


def test_a_save_waits_for_the_events_table_lock_held_by_another_writer(pg: tuple[Context, str, str]) -> None:
    ctx, url, schema = pg
    first = save_one(ctx, "before")
    saved: list[int] = []
    with psycopg.connect(url) as other:  # a transaction: it holds the lock until it ends
        other.execute(f'LOCK TABLE "{schema}".ocpp_ledger_events IN EXCLUSIVE MODE')
        saving = threading.Thread(target=lambda: saved.append(save_one(ctx, "during")))
        saving.start()
        # The save's server process queues for the lock (seen in pg_locks), and stays there.
        deadline = time.monotonic() + 10
        with psycopg.connect(url, autocommit=True) as watcher:
            while True:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
                    [f'"{schema}".ocpp_ledger_events'],
                ).fetchone()
                if waiting is not None and waiting[0] >= 1:
                    break
                assert time.monotonic() < deadline, "the save never queued for the table lock"
                time.sleep(0.01)
        assert saved == []
        other.rollback()
    saving.join(timeout=10)
    assert saved == [first + 1]
    assert recorder(ctx)._has_append  # it went through the function


def test_a_ledger_without_the_append_function_is_saved_to_in_a_transaction(
    pg: tuple[Context, str, str],
) -> None:
    ctx, url, schema = pg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP FUNCTION "{schema}".ocpp_ledger_events_append')
    first = save_one(ctx, "a")
    assert save_one(ctx, "b") == first + 1
    assert not recorder(ctx)._has_append
    assert [n.id for n in ctx.ledger.notification_log.select(start=1, limit=10)] == [first, first + 1]


def test_saves_of_observations_only_notify_the_second_channel(pg: tuple[Context, str, str]) -> None:
    ctx, url, _ = pg
    recorder_ = recorder(ctx)
    first, second = recorder_.channel_name, recorder_.second_channel_name
    with psycopg.connect(url, autocommit=True) as listening:
        for channel in (first, second):
            listening.execute(f'LISTEN "{channel}"')
        ctx.ledger.save(
            ChargePoint(charger_id=uuid.uuid4(), tenant="acme", identity="O-1", connector_count=1)
        )
        save_one(ctx, "an intent")
        heard: list[str] = []
        # Other tests on this database notify the same channels: only this ledger's saves count.
        for notify in listening.notifies(timeout=10):
            if notify.payload == recorder_.notify_token:
                heard.append(notify.channel)
            if len(heard) == 2:
                break
    assert heard == [second, first]


async def test_the_bridges_writer_appends_from_its_event_loop_and_tells_this_process(
    pg: tuple[Context, str, str],
) -> None:
    ctx, _, _ = pg
    told: list[int] = []
    ctx.ledger.on_saved(told.append)
    writer = EventWriter(ctx.ledger)
    writer.start()
    cp = ChargePoint(charger_id=uuid.uuid4(), tenant="acme", identity="W-1", connector_count=1)
    cp.frame_recorded("cp_to_csms", 2, "m1", "Heartbeat", '[2,"m1","Heartbeat",{}]', None)
    await writer.submit(list(cp.collect_events()))
    appender = writer._appender
    assert appender is not None and appender._conn is not None  # its own connection, no thread
    await writer.close()
    saved = ctx.ledger.load_fresh(ChargePoint, cp.id)
    assert saved is not None and saved.version == cp.version
    assert told == [ctx.read.current_position()]
