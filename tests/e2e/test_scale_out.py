"""Scale-out on PostgreSQL: a gateway and three bridges share one database; one bridge is killed; its
chargers move to the others within the lease TTL, and every command is carried out exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ocpp_ledger.demo import DemoCsms
from tests.conftest import postgres_schema
from tests.process import OCPP_LEDGER, create_token, ok, serving

pytestmark = pytest.mark.postgres
CHARGERS = 24
LEASE_TTL = 3.0


@pytest.fixture
def env(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    with postgres_schema(postgres_url) as schema:
        yield {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
            "LEDGER_VAR_DIR": str(tmp_path / "var"),
            "LEDGER_DATABASE_URL": postgres_url,
            "LEDGER_DATABASE_SCHEMA": schema,
            "LEDGER_LEASE_TTL_SECONDS": str(LEASE_TTL),
            "LEDGER_CLOCK_SPEED": "20",
            "LEDGER_RECONNECT_INITIAL_SECONDS": "2",
            "LEDGER_POOL_SIZE": "4",
        }


@contextlib.contextmanager
def bridges(env: dict[str, str], count: int, log: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = []
    with log.open("ab") as out:
        for _ in range(count):
            processes.append(
                subprocess.Popen([OCPP_LEDGER, "bridge"], env=env, stdout=out, stderr=subprocess.STDOUT)
            )
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()


def holders(env: dict[str, str]) -> dict[str, str | None]:
    options = f"-c search_path={env['LEDGER_DATABASE_SCHEMA']}"
    with psycopg.connect(env["LEDGER_DATABASE_URL"], options=options, autocommit=True) as conn:
        return {
            str(r[0]): r[1]
            for r in conn.execute("SELECT charger_id, bridge_id FROM bridge_leases").fetchall()
        }


def authorize_everyone(client: httpx.Client, ids: list[str], round_: int) -> list[str]:
    tags = []
    for n, charger_id in enumerate(ids):
        tag = f"R{round_}-{n}"
        response = client.post(
            "/ocpp/commands/authorize-id-tag",
            json={"target": {"charger_id": charger_id}, "event": {"id_tag": tag}},
        )
        assert ok(response, 202)["queued_count"] == 1
        tags.append(tag)
    return tags


def test_a_dead_bridges_chargers_move_and_nothing_is_lost_or_sent_twice(
    env: dict[str, str], csms: DemoCsms, tmp_path: Path
) -> None:
    token = create_token(env)
    with serving(env, token, tmp_path / "gateway.log", bridge=False) as gateway:
        client = gateway.client
        location = ok(client.post("/ocpp/locations", json={"name": "scale"}), 201)["id"]
        group = {
            "template": {
                "brand_slug": "wallbox",
                "model_slug": "wallbox-pulsar-plus",
                "ws_url": csms.url,
                "identity_prefix": "S-",
            },
            "chargers_number": CHARGERS,
        }
        ok(client.post(f"/ocpp/locations/{location}/chargers", json=[group]), 202)
        chargers = ok(client.get(f"/ocpp/locations/{location}/chargers", params={"limit": 100}))["data"]
        ids, identities = [c["id"] for c in chargers], [c["identity"] for c in chargers]

        with bridges(env, 3, tmp_path / "bridges.log") as processes:
            # Every charger connected, and the leases spread over the three bridges.
            csms.wait_for(lambda: len(csms.csms.connections) == CHARGERS, timeout=60)

            def spread() -> bool:
                held = holders(env)
                counts = {b: list(held.values()).count(b) for b in set(held.values())}
                return len(held) == CHARGERS and None not in counts and len(counts) == 3

            csms.wait_for(spread, timeout=60)
            first = authorize_everyone(client, ids, 1)
            csms.wait_for(lambda: all(csms.csms.messages(i, "Authorize") for i in identities), timeout=60)

            victim = processes[0]
            victim_id = f"{os.uname().nodename}:{victim.pid}"
            lost = [c for c, b in holders(env).items() if b == victim_id]
            assert lost, "the first bridge held no charger"
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)

            # Within the TTL (plus a rebalance) the other two hold everything, and every charger is
            # connected again, once.
            def moved() -> bool:
                held = holders(env)
                return len(held) == CHARGERS and all(b not in (None, victim_id) for b in held.values())

            csms.wait_for(moved, timeout=LEASE_TTL * 6)
            csms.wait_for(lambda: len(csms.csms.connections) == CHARGERS, timeout=60)
            assert len(set(holders(env).values())) == 2

            second = authorize_everyone(client, ids, 2)
            csms.wait_for(
                lambda: all(len(csms.csms.messages(i, "Authorize")) >= 2 for i in identities), timeout=60
            )
            sent = [m.payload["id_tag"] for m in csms.csms.received if m.action == "Authorize"]
            assert sorted(sent) == sorted(first + second), "a command was lost or sent twice"
    assert not csms.csms.violations
