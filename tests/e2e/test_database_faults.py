"""PostgreSQL stopped and started under load: the gateway answers 503 with Retry-After while it is down
(never 500), /readyz says so, nothing it accepted is lost, and it recovers by itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI, _find_pg_bin, _free_port
from tests.process import create_token, ok, serving

pytestmark = pytest.mark.postgres


@dataclass
class Cluster:
    data: str
    port: int
    as_user: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        pg_ctl = _find_pg_bin("pg_ctl")
        assert pg_ctl is not None
        subprocess.run([*self.as_user, pg_ctl, "-D", self.data, *args], check=True, capture_output=True)

    def start(self) -> None:
        # -l: the server logs to a file, so it does not hold on to our captured pipes (run() would hang)
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-o", options, "-l", f"{self.data}/server.log", "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL of our own to stop and start (never the machine's shared server)."""
    initdb = _find_pg_bin("initdb")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if initdb is None or (as_user and shutil.which("runuser") is None):
        message = "initdb/pg_ctl are needed to stop and start a PostgreSQL of the test's own"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    data = tempfile.mkdtemp(prefix="ledger-faults-")
    if as_user:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        [*as_user, initdb, "-D", data, "-U", "postgres", "-A", "trust"], check=True, capture_output=True
    )
    cluster = Cluster(data, _free_port(), as_user)
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


@dataclass
class Load:
    statuses: list[int] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    retry_after: list[str | None] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def keep_sending(client: httpx.Client, charger_id: str, load: Load) -> None:
    while not load.stop.is_set():
        try:
            response = client.post(
                "/ocpp/commands/authorize-id-tag",
                json={"target": {"charger_id": charger_id}, "event": {"id_tag": "T"}},
                timeout=20,
            )
        except httpx.TransportError:
            continue
        load.statuses.append(response.status_code)
        if response.status_code == 202:
            load.accepted.append(response.json()["results"][0]["command"]["id"])
        elif response.status_code == 503:
            load.retry_after.append(response.headers.get("Retry-After"))


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)  # polling an HTTP endpoint: there is no event to await across processes


def test_the_gateway_answers_503_while_postgresql_is_down_and_recovers(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
        "LEDGER_VAR_DIR": str(tmp_path / "var"),
        "LEDGER_DATABASE_URL": cluster.url,
        "LEDGER_READ_BARRIER_SECONDS": "1",
    }
    token = create_token(env)
    with serving(env, token, tmp_path / "serve.log", bridge=False) as server:
        client = server.client
        charger = ok(
            client.post(
                "/ocpp/chargers",
                json={
                    "identity": "DB-1",
                    "brand_slug": "abb",
                    "model_slug": "terra-184",
                    "ws_url": "ws://127.0.0.1:9/o",
                },
            ),
            202,
        )["charger_id"]
        load = Load()
        sender = threading.Thread(target=keep_sending, args=(client, charger, load))
        sender.start()
        try:
            wait_for(lambda: len(load.accepted) >= 5, 30)
            cluster.stop()
            wait_for(lambda: 503 in load.statuses, 60)
            ready = client.get("/readyz", timeout=30)
            assert ready.status_code == 503
            assert ready.headers.get("Retry-After")
            down_until = len(load.statuses)
            cluster.start()
            wait_for(lambda: 202 in load.statuses[down_until:], 60)
            wait_for(lambda: client.get("/readyz", timeout=30).status_code == 200, 60)
        finally:
            load.stop.set()
            sender.join(timeout=60)

        assert 500 not in load.statuses
        assert set(load.statuses) <= {202, 503}
        assert all(value for value in load.retry_after)
        for command_id in load.accepted:  # nothing accepted was lost
            assert ok(client.get(f"/ocpp/commands/{command_id}"))["id"] == command_id
