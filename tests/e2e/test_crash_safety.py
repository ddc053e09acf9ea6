"""Real processes killed with SIGKILL at awkward moments; afterwards the ledger is consistent.

(a) in the middle of a 1,000-charger fan-out: every command batch is fully queued or not at all;
(b) while the bridge charges 50 sessions: sessions continue, nothing is started twice, every CSMS answer
    is recorded once;
(c) during a projection rebuild: read models caught up afterwards equal a rebuild from zero.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.ledger import Ledger
from domain.settings import Settings
from ocpp_ledger.demo import DemoCsms
from projections.readmodels import ReadModels
from tests.conftest import CSMS_URL
from tests.events import events_of
from tests.process import OCPP_LEDGER, create_token, ledger_env, ok, serving

__all__ = ["ledger_env"]


def ledger_of(env: dict[str, str]) -> Ledger:
    settings = Settings(
        var_dir=env["LEDGER_VAR_DIR"],
        database_url=env.get("LEDGER_DATABASE_URL"),
        database_schema=env.get("LEDGER_DATABASE_SCHEMA"),
    )
    return Ledger(env=settings.persistence_env())


def location_of_chargers(client: httpx.Client, name: str, number: int, prefix: str, ws_url: str) -> str:
    """A new location with `number` Pulsar Plus chargers pointed at `ws_url`, created in one request."""
    location = ok(client.post("/ocpp/locations", json={"name": name}), 201)["id"]
    group = {
        "template": {
            "brand_slug": "wallbox",
            "model_slug": "wallbox-pulsar-plus",
            "ws_url": ws_url,
            "identity_prefix": prefix,
        },
        "chargers_number": number,
    }
    ok(client.post(f"/ocpp/locations/{location}/chargers", json=[group]), 202)
    return location


def test_a_fan_out_killed_midway_is_queued_whole_or_not_at_all(
    ledger_env: dict[str, str], tmp_path: Path
) -> None:
    token = create_token(ledger_env)
    answered: list[dict[str, Any]] = []  # JSON answers
    delays = [0.0, 0.02, 0.05, 0.1, 0.2]
    with serving(ledger_env, token, tmp_path / "setup.log", bridge=False) as server:
        location = location_of_chargers(server.client, "big", 1000, "K-", CSMS_URL)
    for n, delay in enumerate(delays):
        with serving(ledger_env, token, tmp_path / f"kill-{n}.log", bridge=False) as server:
            request = server.client.build_request(
                "POST",
                "/ocpp/commands/plug-connector",
                json={"target": {"location_id": location}, "event": {}},
                headers={"Idempotency-Key": f"fan-out-{n}"},
            )

            def send(request: httpx.Request = request, client: httpx.Client = server.client) -> None:
                with contextlib.suppress(httpx.HTTPError):  # killed before it answered
                    answered.append(client.send(request).json())

            thread = threading.Thread(target=send)
            thread.start()
            time.sleep(delay)  # the moment to kill at, not a wait for something
            server.stop(signal.SIGKILL)
            thread.join(timeout=30)

    ledger = ledger_of(ledger_env)
    batches = Counter(e.batch_id for e in events_of(ledger, Charger.CommandQueued))
    assert all(count == 1000 for count in batches.values()), batches
    for answer in answered:  # an answered fan-out is in the ledger, whole
        ids = {r["command"]["id"] for r in answer["results"]}
        stored = {str(e.command_id) for e in events_of(ledger, Charger.CommandQueued)}
        assert ids <= stored
    # and the read model agrees with the ledger after a restart
    with serving(ledger_env, token, tmp_path / "after.log", bridge=False) as server:
        listed = ok(server.client.get("/ocpp/commands", params={"location_id": location, "limit": 1}))[
            "total"
        ]
        assert listed == sum(batches.values())


def test_a_bridge_killed_while_charging_50_sessions_resumes_them_once(
    ledger_env: dict[str, str], csms: DemoCsms, tmp_path: Path
) -> None:
    env = {**ledger_env, "LEDGER_CLOCK_SPEED": "50", "LEDGER_RECONNECT_INITIAL_SECONDS": "1"}
    token = create_token(env)
    with serving(env, token, tmp_path / "first.log") as first:
        location = location_of_chargers(first.client, "fleet", 50, "C-", csms.url)
        csms.wait_for(lambda: len(csms.csms.connections) == 50, timeout=60)
        ok(
            first.client.post(
                "/ocpp/commands/start-session",
                json={"target": {"location_id": location}, "event": {"id_tag": "T"}},
            ),
            202,
        )
        csms.wait_for(
            lambda: sum(1 for m in csms.csms.received if m.action == "MeterValues") >= 100, timeout=60
        )
        first.stop(signal.SIGKILL)

    before = len(csms.csms.received)
    with serving(env, token, tmp_path / "second.log"):
        csms.wait_for(lambda: len(csms.csms.connections) == 50, timeout=60)
        csms.wait_for(
            lambda: len({m.identity for m in csms.csms.received[before:] if m.action == "MeterValues"}) == 50,
            timeout=60,
        )
    starts = Counter(m.identity for m in csms.csms.received if m.action == "StartTransaction")
    assert set(starts.values()) == {1}, "a transaction was started twice"
    transactions = {
        m.identity: m.payload["transaction_id"]
        for m in csms.csms.received[before:]
        if m.action == "MeterValues"
    }
    started = {}
    for m in csms.csms.received:
        if m.action == "StartTransaction":
            started[m.identity] = m
    assert len(transactions) == 50
    ledger = ledger_of(env)
    frames = events_of(ledger, ChargePoint.FrameRecorded)
    answers = Counter(
        (f.originator_id, f.message_id) for f in frames if f.direction == "csms_to_cp" and f.message_type == 3
    )
    assert set(answers.values()) == {1}, "a CSMS answer was recorded twice"
    assert not csms.csms.violations


def test_a_rebuild_killed_midway_ends_equal_to_a_rebuild_from_zero(
    ledger_env: dict[str, str], tmp_path: Path
) -> None:
    token = create_token(ledger_env)
    with serving(ledger_env, token, tmp_path / "setup.log", bridge=False) as server:
        location = location_of_chargers(server.client, "big", 500, "B-", CSMS_URL)
        for _ in range(10):
            ok(
                server.client.post(
                    "/ocpp/commands/authorize-id-tag",
                    json={"target": {"location_id": location}, "event": {"id_tag": "X"}},
                ),
                202,
            )
    rebuild = subprocess.Popen(
        [OCPP_LEDGER, "projections", "rebuild"],
        env=ledger_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # the moment to kill at: the rebuild of the commands read model is under way
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait(timeout=30)

    ledger = ledger_of(ledger_env)
    read = ReadModels(ledger)
    read.create_tables()
    read.catch_up()  # what a restarted gateway does
    caught_up = dump(read)
    for name in read.projections:
        read.rebuild(name)
    assert dump(read) == caught_up


def dump(read: ReadModels) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    with read.db.reader() as cur:
        for projection in read.projections.values():
            for table in projection.tables:
                rows = cur.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - constant names
                tables[table] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return tables


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(10))
def test_soak_fan_outs_killed_at_many_moments(
    ledger_env: dict[str, str], tmp_path: Path, round_: int
) -> None:
    """The fan-out kill, ten times over (`make soak`)."""
    test_a_fan_out_killed_midway_is_queued_whole_or_not_at_all(ledger_env, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_soak_bridges_killed_while_charging(
    ledger_env: dict[str, str], csms: DemoCsms, tmp_path: Path, round_: int
) -> None:
    """The 50-session kill, three times over (`make soak`)."""
    test_a_bridge_killed_while_charging_50_sessions_resumes_them_once(ledger_env, csms, tmp_path)
