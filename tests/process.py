"""Real `ocpp-ledger` processes for tests: an environment per backend, a token, a served gateway."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import postgres_schema

OCPP_LEDGER = str(Path(sys.executable).parent / "ocpp-ledger")
START_TIMEOUT_SECONDS = 30.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of an `ocpp-ledger` process on a fresh database of each backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_VAR_DIR"] = str(tmp_path / "var")
    env["LEDGER_COMMAND_TIMEOUT_SECONDS"] = "0.2"  # there is no bridge: single-charger commands time out
    if request.param == "sqlite":
        yield env
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        yield {**env, "LEDGER_DATABASE_URL": url, "LEDGER_DATABASE_SCHEMA": schema}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [OCPP_LEDGER, "token", "create", "--org", "acme"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    client: httpx.Client
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def serving(
    env: dict[str, str], token: str, log: Path, bridge: bool = True, args: Sequence[str] = ()
) -> Iterator[Server]:
    """`ocpp-ledger serve [args]` in a process of its own, ready to answer; killed at the end if alive."""
    port = _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                OCPP_LEDGER,
                "serve",
                "--bridge" if bridge else "--no-bridge",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    server = Server(process, client, log)
    try:
        wait_until_ready(server)
        yield server
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def wait_until_ready(server: Server) -> None:
    """Poll /readyz until it answers 200, the process dies, or the start-up deadline passes."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if server.client.get("/readyz", timeout=2).status_code == 200:
                return
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = server.process.wait(timeout=0.1)  # the pause between polls, watching for an early exit
            pytest.fail(f"ocpp-ledger serve exited with {code}:\n{server.output()}")
    pytest.fail(f"ocpp-ledger serve not ready after {START_TIMEOUT_SECONDS}s:\n{server.output()}")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
