"""Read models: a rebuild equals the incremental build, each event is applied exactly once, and a read
after a write sees it (read barrier)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from domain.ids import token_id
from domain.ledger import Ledger
from domain.location import Location, LocationDetails
from domain.settings import Settings
from domain.tokens import ApiToken, hash_secret
from gateway.app import create_app
from gateway.context import Context, build_context, open_ledger, upgrade_database
from infra.sql import Cursor, Database
from projections.group import ProjectionGroup
from projections.runner import Projection, ProjectionRunner, create_tables
from tests.conftest import (
    CSMS_URL,
    Api,
    Backend,
    issue_token,
    new_charger,
    new_location,
)

Dump = dict[str, list[dict[str, Any]]]


# --- helpers --------------------------------------------------------------------------------------


def primary_key(db: Database, cur: Cursor, table: str) -> list[str]:
    if db.dialect == "sqlite":
        columns = cur.execute(f"PRAGMA table_info({table})").fetchall()
        return [c["name"] for c in sorted(columns, key=lambda c: c["pk"]) if c["pk"]]
    rows = cur.execute(
        "SELECT a.attname AS name FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)",
        [table],
    ).fetchall()
    return [r["name"] for r in rows]


def dump(context: Context, name: str) -> Dump:
    """Every row of every table of one read model, in primary-key order."""
    db = context.read.db
    tables: Dump = {}
    with db.reader() as cur:
        for table in context.read.projections[name].tables:
            key = primary_key(db, cur, table)
            assert key, f"{table} has no primary key"
            order = ", ".join(key)
            tables[table] = cur.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # noqa: S608
    return tables


def tracking_position(db: Database, name: str) -> int:
    with db.reader() as cur:
        return int(cur.execute("SELECT position FROM projection_tracking WHERE name = %s", [name]).scalar())


def max_notification_id(db: Database) -> int:
    with db.reader() as cur:
        return db.max_notification_id(cur)


def group(prefix: str, number: int, suffixes: list[str] | None = None) -> dict[str, object]:
    return {
        "template": {
            "brand_slug": "wallbox",
            "model_slug": "wallbox-pulsar-plus",
            "ws_url": CSMS_URL,
            "identity_prefix": prefix,
        },
        "charger_ids": suffixes or [],
        "chargers_number": number,
    }


def write_a_mix(api: Api, other_api: Api, context: Context) -> None:
    """Every kind of write the gateway makes, including the ones that delete and reuse."""
    north = api.post(
        "/ocpp/locations",
        json={"name": "North", "city": "Lille", "coordinates": {"latitude": 50.6, "longitude": 3.06}},
    ).json()["id"]
    south = new_location(api, "South")
    doomed = new_location(api, "Doomed")
    new_location(other_api, "Theirs")
    assert api.put(f"/ocpp/locations/{north}", json={"public": True, "city": None}).status_code == 200

    a = new_charger(api, "A-1", north)
    b = new_charger(api, "B-1", north, ocpp_version="OCPP2.0.1")
    named = api.post(
        "/ocpp/chargers",
        json={
            "identity": "N-1",
            "brand_slug": "abb",
            "model_slug": "terra-184",
            "ws_url": CSMS_URL,
            "location_name": "Made by name",
        },
    )
    assert named.status_code == 202
    new_charger(other_api, "A-1")
    new_charger(api, "DOOMED-1", doomed)
    job = api.post(
        f"/ocpp/locations/{south}/chargers", json=[group("S-", 40, ["1", "2"]), group("A-", 1, ["1"])]
    )
    assert job.status_code == 202

    moved = api.put(f"/ocpp/chargers/{a}", json={"location_id": south, "charge_point_name": "Moved"})
    assert moved.status_code == 200
    assert api.put(f"/ocpp/chargers/{b}", json={"ws_url": "wss://elsewhere.example/ocpp"}).status_code == 200
    bulk = api.put(
        f"/ocpp/locations/{south}/chargers",
        json={"chargers": [{"charger_id": c, "ocpp_version": "OCPP2.0.1"} for c in ("S-1", "S-2")]},
    )
    assert bulk.status_code == 200
    assert api.delete(f"/ocpp/locations/{south}/chargers", params={"charger_ids": ["S-2"]}).status_code == 200
    assert api.delete(f"/ocpp/chargers/{b}").status_code == 200
    new_charger(api, "B-1", north)  # the freed identity, reused
    assert api.delete(f"/ocpp/locations/{doomed}", params={"cascade": "true"}).status_code == 200

    fleet = api.post(
        "/ocpp/commands/start-session", json={"target": {"location_id": south}, "event": {"id_tag": "T-1"}}
    )
    assert fleet.status_code == 202
    assert api.post(f"/ocpp/chargers/{a}/stop-charger").status_code == 200
    refused = api.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": a}, "event": {}})
    assert refused.json()["failed_count"] == 1  # a stopped charger takes no commands
    assert api.post(f"/ocpp/chargers/{a}/reset-charger").status_code == 200
    by_identity = {"target": {"charger_id": "N-1"}, "event": {"id_tag": "T-2"}}
    assert api.post("/ocpp/commands/authorize-id-tag", json=by_identity).status_code == 202

    secret = issue_token(context, "acme")
    token = context.ledger.load_fresh(ApiToken, token_id(hash_secret(secret)))
    assert token is not None
    token.revoke()
    context.ledger.save(token)


# --- rebuild --------------------------------------------------------------------------------------


def test_a_rebuilt_read_model_equals_the_incrementally_built_one(
    api: Api, other_api: Api, context: Context
) -> None:
    write_a_mix(api, other_api, context)
    names = list(context.read.projections)
    assert context.read.barrier(names, timeout=10)
    incremental = {name: dump(context, name) for name in names}
    assert len(incremental["chargers"]["chargers"]) == 43
    assert len(incremental["commands"]["commands"]) == 43
    assert any(row["revoked"] for row in incremental["tokens"]["api_tokens"])

    head = max_notification_id(context.read.db)
    for name in names:
        context.read.rebuild(name)  # the live runner may take part: rebuild() returns only its own share
        assert context.read.runners[name].position == head
        rebuilt = dump(context, name)
        for table, rows in incremental[name].items():
            assert rebuilt[table] == rows, f"{name}.{table} differs after a rebuild"


def test_the_api_answers_the_same_after_every_read_model_is_rebuilt(
    api: Api, other_api: Api, context: Context
) -> None:
    write_a_mix(api, other_api, context)
    urls = ["/ocpp/locations", "/ocpp/chargers?limit=100", "/ocpp/commands?limit=100"]
    before = [api.get(url).json() for url in urls]
    for name in context.read.projections:
        context.read.rebuild(name)
    assert [api.get(url).json() for url in urls] == before


# --- exactly once ---------------------------------------------------------------------------------


class EveryNotification(Projection):
    """Appends one row per notification it is given, with no key that would hide a duplicate."""

    name = "every_notification"
    tables = ("every_notification",)

    def __init__(self, label: str = "", fail_once_at: int | None = None) -> None:
        self.label = label
        self.fail_once_at = fail_once_at

    @property
    def topics(self) -> list[str]:
        return []  # no filter: every notification of the log

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS every_notification (position BIGINT NOT NULL, runner TEXT NOT NULL)"
        )

    def apply(self, event: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO every_notification (position, runner) VALUES (%s, %s)", [position, self.label]
        )
        if position == self.fail_once_at:
            self.fail_once_at = None
            raise RuntimeError(f"the read model's database failed at {position}")


def applied_positions(db: Database) -> list[int]:
    with db.reader() as cur:
        return [
            r["position"]
            for r in cur.execute("SELECT position FROM every_notification ORDER BY position").fetchall()
        ]


def save_locations(ledger: Ledger, count: int, per_save: int = 1) -> None:
    for start in range(0, count, per_save):
        ledger.save(
            *[Location.create("acme", LocationDetails(name=f"L{start + i}"), "test") for i in range(per_save)]
        )


def test_a_failed_batch_is_applied_again_exactly_once(context: Context) -> None:
    save_locations(context.ledger, 30, per_save=3)
    db = context.read.db
    create_tables(db, [EveryNotification()])
    runner = ProjectionRunner(context.ledger, db, EveryNotification(fail_once_at=17), batch_size=10)

    with pytest.raises(RuntimeError, match="failed at 17"):
        runner.catch_up()
    assert applied_positions(db) == list(range(1, 11))  # the first batch committed, the second rolled back
    assert tracking_position(db, "every_notification") == 10

    runner.catch_up()
    assert applied_positions(db) == list(range(1, 31))
    assert tracking_position(db, "every_notification") == runner.position == 30
    # A new runner (a restart) starts from the tracking row and applies nothing twice.
    assert ProjectionRunner(context.ledger, db, EveryNotification()).catch_up() == 0
    assert applied_positions(db) == list(range(1, 31))


class UpdatedLocations(EveryNotification):
    """One row per Location.Updated: a rare event among many others."""

    name = "updated_locations"
    tables = ("every_notification",)
    handlers: ClassVar[dict[type, Any]] = {Location.Updated: EveryNotification.apply}

    @property
    def topics(self) -> list[str]:
        return [Location.Updated.TOPIC]


def save_sparse_updates(ledger: Ledger) -> list[int]:
    """40 locations, every tenth of them updated: the positions of the updates, far apart."""
    updates = []
    for i in range(40):
        location = Location.create("acme", LocationDetails(name=f"L{i}"), "test")
        if i % 10 == 9:
            location.update(LocationDetails(name=f"renamed {i}"), "test")
        recordings = ledger.save(location)
        updates += [r.notification.id for r in recordings if r.notification.topic == Location.Updated.TOPIC]
    return updates


def test_rare_events_far_apart_are_each_applied_once_live_and_in_a_rebuild(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reads of the log span a bounded range (a plan that scans to the head per page was quadratic); with
    # a span of 7 positions the four updates lie in ranges holding none of them.
    monkeypatch.setattr(Database, "SCAN_SPAN", 7)
    monkeypatch.setattr("projections.runner.REBUILD_PAGE", 1)
    updates = save_sparse_updates(context.ledger)
    assert len(updates) == 4 and updates[-1] - updates[0] > 7 * 3
    db = context.read.db
    create_tables(db, [UpdatedLocations()])
    runner = ProjectionRunner(context.ledger, db, UpdatedLocations(), batch_size=2)
    head = max_notification_id(db)

    runner.catch_up()
    assert applied_positions(db) == updates
    assert runner.position == head

    if db.dialect == "postgres":
        assert runner.rebuild_in_one_transaction() == head
    else:
        assert runner.rebuild_in_batches(batch_size=2) == head
    assert applied_positions(db) == updates
    assert tracking_position(db, "updated_locations") == runner.position == head


def test_deferred_latest_updates_leave_each_row_as_its_last_update_would(context: Context) -> None:
    db = context.read.db
    update = "UPDATE latest_probe SET value = %s WHERE id = %s"
    with db.transaction() as cur:
        cur.execute("CREATE TABLE latest_probe (id TEXT PRIMARY KEY, value INTEGER)")
        cur.defer("INSERT INTO latest_probe (id, value) VALUES (%s, %s)", ["a", 0])
        cur.defer("INSERT INTO latest_probe (id, value) VALUES (%s, %s)", ["b", 0])
        for value in (1, 2, 3):
            cur.defer_latest(update, "a", [value, "a"])  # only 3 is left standing
        cur.defer_latest(update, "b", [7, "b"])
        # A statement in between sees every deferred write before it, in order.
        seen = cur.execute("SELECT value FROM latest_probe WHERE id = %s", ["a"]).scalar()
        cur.defer_latest(update, "b", [8, "b"])
    with db.reader() as cur:
        rows = cur.execute("SELECT id, value FROM latest_probe ORDER BY id").fetchall()
    assert seen == 3
    assert rows == [{"id": "a", "value": 3}, {"id": "b", "value": 8}]


def test_a_batch_rebuild_never_rewinds_a_runner_that_got_further_meanwhile(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_locations(context.ledger, 30)
    create_tables(context.read.db, [EveryNotification()])
    other = ProjectionRunner(context.ledger, Database(context.ledger), EveryNotification("other"))
    rebuilding_db = Database(context.ledger)
    rebuilder = ProjectionRunner(context.ledger, rebuilding_db, EveryNotification("rebuild"))
    # The rebuild read the head (20) just before more events were applied by another process's runner.
    monkeypatch.setattr(rebuilding_db, "max_notification_id", lambda cur: 20)
    emptied = rebuilder.reset

    def reset_then_other_runner_catches_up() -> None:
        emptied()
        other.catch_up()

    monkeypatch.setattr(rebuilder, "reset", reset_then_other_runner_catches_up)

    rebuilder.rebuild_in_batches(batch_size=5)
    assert tracking_position(context.read.db, "every_notification") == 30
    other.catch_up()
    assert applied_positions(context.read.db) == list(range(1, 31))  # each once


def save_600_from_two_threads(context: Context) -> int:
    """300 locations one per save and 300 twenty per save, at the same time; the head after them."""
    writing = [
        threading.Thread(target=save_locations, args=(context.ledger, 300)),
        threading.Thread(target=save_locations, args=(context.ledger, 300, 20)),
    ]
    for thread in writing:
        thread.start()
    for thread in writing:
        thread.join()
    last = max_notification_id(context.read.db)
    assert last == 600
    return last


class Process:
    """What one ocpp-ledger process has of its own: a ledger with its connection pool, and a runner."""

    def __init__(self, settings: Settings, label: str, batch_size: int = 10) -> None:
        self.ledger = open_ledger(settings)
        self.db = Database(self.ledger)
        self.runner = ProjectionRunner(
            self.ledger, self.db, EveryNotification(label), batch_size=batch_size, poll_seconds=0.05
        )

    def close(self) -> None:
        self.runner.stop()
        self.ledger.close()


@pytest.fixture
def processes(backend: Backend, context: Context) -> Iterator[list[Process]]:
    """Two processes on the context's database, each with a runner of the same read model."""
    create_tables(context.read.db, [EveryNotification()])
    pair = [
        Process(backend.settings, "first", batch_size=7),
        Process(backend.settings, "second", batch_size=7),
    ]
    yield pair
    for process in pair:
        process.close()


def test_runners_in_two_processes_apply_each_event_exactly_once(
    context: Context, processes: list[Process]
) -> None:
    runners = [p.runner for p in processes]

    def wake(_position: int) -> None:
        for runner in runners:
            runner.wake()

    context.ledger.on_saved(wake)
    for runner in runners:
        runner.start()
    last = save_600_from_two_threads(context)
    assert all(runner.wait_for(last, timeout=30) for runner in runners), [r.error for r in runners]

    assert applied_positions(context.read.db) == list(range(1, 601))
    assert tracking_position(context.read.db, "every_notification") == last


class AlsoEveryNotification(EveryNotification):
    name = "also_every_notification"


class AlwaysFailing(EveryNotification):
    name = "always_failing"

    def apply(self, event: Any, cur: Cursor, position: int) -> None:
        raise RuntimeError("this read model's handler is broken")


def applied_by(db: Database, label: str) -> list[int]:
    with db.reader() as cur:
        rows = cur.execute(
            "SELECT position FROM every_notification WHERE runner = %s ORDER BY position", [label]
        ).fetchall()
    return [r["position"] for r in rows]


def test_projection_groups_in_two_processes_apply_each_event_exactly_once_to_each_projection(
    backend: Backend, context: Context
) -> None:
    create_tables(context.read.db, [EveryNotification(), AlsoEveryNotification()])
    processes, groups = [], []
    for _ in range(2):
        ledger = open_ledger(backend.settings)
        db = Database(ledger)
        runners = [
            ProjectionRunner(ledger, db, EveryNotification("first")),
            ProjectionRunner(ledger, db, AlsoEveryNotification("second")),
        ]
        processes.append(ledger)
        groups.append(ProjectionGroup(ledger, db, runners, batch_size=7, poll_seconds=0.05))

    def wake(_position: int) -> None:
        for g in groups:
            g.wake()

    context.ledger.on_saved(wake)
    try:
        for g in groups:
            g.start()
        last = save_600_from_two_threads(context)
        for g in groups:
            assert all(r.wait_for(last, timeout=30) for r in g.runners.values())
    finally:
        for g, ledger in zip(groups, processes, strict=True):
            g.stop()
            ledger.close()
    assert applied_by(context.read.db, "first") == list(range(1, 601))
    assert applied_by(context.read.db, "second") == list(range(1, 601))
    assert tracking_position(context.read.db, "every_notification") == last
    assert tracking_position(context.read.db, "also_every_notification") == last


def test_a_failing_projection_holds_back_no_other_projection_of_its_group(context: Context) -> None:
    db = context.read.db
    create_tables(db, [EveryNotification(), AlwaysFailing()])
    failing = ProjectionRunner(context.ledger, db, AlwaysFailing())
    healthy = ProjectionRunner(context.ledger, db, EveryNotification("healthy"))
    projections = ProjectionGroup(context.ledger, db, [failing, healthy], batch_size=7, poll_seconds=0.05)
    projections.start()
    try:
        save_locations(context.ledger, 30, per_save=3)
        projections.wake()
        assert healthy.wait_for(max_notification_id(db), timeout=30)
    finally:
        projections.stop()
    assert applied_by(db, "healthy") == list(range(1, 31))
    assert applied_by(db, "") == []  # the failing one's rows were rolled back every time
    assert tracking_position(db, "always_failing") == 0
    assert failing.error is not None


def test_a_rebuild_in_one_process_loses_nothing_written_meanwhile(
    context: Context, processes: list[Process]
) -> None:
    live, rebuilding = processes
    save_locations(context.ledger, 30)
    live.runner.catch_up()
    assert applied_positions(context.read.db) == list(range(1, 31))

    rebuilding.runner.reset()
    assert rebuilding.runner.process_batch() == 7  # the rebuild is under way
    save_locations(context.ledger, 5)  # and events keep coming, which the live process projects
    live.runner.catch_up()
    rebuilding.runner.catch_up()

    assert applied_positions(context.read.db) == list(range(1, 36))
    assert tracking_position(context.read.db, "every_notification") == 35


def test_tables_are_created_while_another_process_writes(backend: Backend, context: Context) -> None:
    """`ocpp-ledger db upgrade` (and every CLI command, which runs it) while a gateway is busy."""
    context.read.start()
    writing = threading.Event()
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            save_locations(context.ledger, 5, per_save=5)
            writing.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert writing.wait(timeout=10)
        for _ in range(10):
            other = build_context(backend.settings)
            try:
                upgrade_database(other)
            finally:
                other.ledger.close()
    finally:
        stop.set()
        writer.join()
    assert context.read.barrier(["locations"], timeout=10)
    assert {name: runner.error for name, runner in context.read.runners.items() if runner.error} == {}


# --- read barrier ---------------------------------------------------------------------------------


@pytest.fixture
def second_gateway(backend: Backend, context: Context) -> Iterator[TestClient]:
    """Another gateway process on the same database, whose read models poll only once a minute: a
    read there sees another gateway's write only through the read barrier."""
    settings = backend.settings.model_copy(update={"projection_poll_seconds": 60.0})
    ctx = build_context(settings)
    with TestClient(create_app(settings, ctx)) as client:
        yield client
    ctx.ledger.close()


def test_a_read_right_after_a_write_sees_it_on_the_same_gateway(api: Api) -> None:
    for i in range(10):
        location_id = new_location(api, f"L{i}")
        assert api.get(f"/ocpp/locations/{location_id}").status_code == 200
        charger_id = new_charger(api, f"CP-{i}", location_id)
        assert api.get(f"/ocpp/chargers/{charger_id}").status_code == 200
        command = api.post(f"/ocpp/chargers/{charger_id}/stop-charger").json()
        assert api.get(f"/ocpp/commands/{command['id']}").status_code == 200
        assert api.get("/ocpp/chargers").json()["total"] == i + 1


def test_a_read_right_after_a_write_sees_it_on_another_gateway(
    api: Api, context: Context, second_gateway: TestClient
) -> None:
    elsewhere = Api(second_gateway, issue_token(context, "acme"))
    for i in range(10):
        location_id = new_location(api, f"L{i}")
        assert elsewhere.get(f"/ocpp/locations/{location_id}").status_code == 200
        charger_id = new_charger(api, f"CP-{i}", location_id)
        assert elsewhere.get(f"/ocpp/chargers/CP-{i}").json()["id"] == charger_id
        assert elsewhere.get(f"/ocpp/locations/{location_id}/chargers").json()["total"] == 1
        command = elsewhere.post(f"/ocpp/chargers/{charger_id}/stop-charger").json()
        assert api.get(f"/ocpp/commands/{command['id']}").json()["event_type"] == "stop_charger"
