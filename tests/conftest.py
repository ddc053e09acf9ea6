"""Fixtures shared by every test: backends (SQLite and PostgreSQL), apps, clients and tokens.

PostgreSQL comes from LEDGER_TEST_DATABASE_URL (default: the local server). Where none answers, a
throwaway cluster is started with initdb/pg_ctl if they can be found; in CI (CI=true) PostgreSQL tests
fail rather than skip when neither works.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from domain.settings import Settings
from domain.tokens import ApiToken, Role
from gateway.app import create_app
from gateway.context import Context, build_context, upgrade_database
from infra import patches
from ocpp_ledger.demo import DemoCsms

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    patches.install()  # as the CLI does at process start: the suite runs the patched libraries


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _find_pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _throwaway_cluster() -> Iterator[str | None]:
    initdb, pg_ctl = _find_pg_bin("initdb"), _find_pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    data = tempfile.mkdtemp(prefix="ledger-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as the postgres user
        if not shutil.which("runuser"):
            yield None
            return
        shutil.chown(data, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", data, "-U", "postgres", "-A", "trust"], check=True, capture_output=True
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    subprocess.run(
        # -l: the server logs to a file and does not hold the captured pipes open (run() would hang)
        [*as_user, pg_ctl, "-D", data, "-o", options, "-l", f"{data}/server.log", "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], check=False, capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("LEDGER_TEST_DATABASE_URL", DEFAULT_PG_URL)
    if _reachable(url):
        yield url
        return
    with _throwaway_cluster() as throwaway:
        if throwaway and _reachable(throwaway):
            yield throwaway
            return
        message = f"PostgreSQL not reachable at {url} and no throwaway cluster could be started"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Backend:
    name: str
    settings: Settings


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema per test: isolation without dropping anyone's tables."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The same test on both backends."""
    if request.param == "sqlite":
        yield Backend("sqlite", test_settings(var_dir=tmp_path / "var"))
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        yield Backend(
            "postgres", test_settings(var_dir=tmp_path / "var", database_url=url, database_schema=schema)
        )


def test_settings(**overrides: Any) -> Settings:
    defaults: dict[str, Any] = {
        "command_timeout_seconds": 0.5,
        # Returns as soon as the read models caught up; long enough for a 10,000-charger bulk create
        # (20,000 events in one save) to be projected on a loaded 2-core machine.
        "read_barrier_seconds": 30.0,
        "projection_poll_seconds": 0.2,
        "clock_speed": 100.0,  # simulated time: a 10 s meter interval takes 0.1 s
    }
    return Settings(**{**defaults, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


@pytest.fixture
def context(backend: Backend) -> Iterator[Context]:
    ctx = build_context(backend.settings)
    upgrade_database(ctx)
    yield ctx
    ctx.read.stop()
    ctx.ledger.close()


def issue_token(ctx: Context, organization: str | None, role: Role = Role.USER) -> str:
    secret, token = ApiToken.issue(organization, role, label="test")
    ctx.ledger.save(token)
    return secret


class Api:
    """An httpx client on the real app, authenticated as one tenant."""

    def __init__(self, client: TestClient, token: str, organization: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        if organization is not None:
            self.headers["X-Organization-Id"] = organization

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.client.request(method, url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def client(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context.settings, context)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, context: Context) -> Api:
    """Authenticated as a user of organization 'acme'."""
    return Api(client, issue_token(context, "acme"))


@pytest.fixture
def other_api(client: TestClient, context: Context) -> Api:
    """Authenticated as a user of another organization, 'globex'."""
    return Api(client, issue_token(context, "globex"))


CSMS_URL = "ws://127.0.0.1:9/ocpp"


def new_location(api: Api, name: str = "Depot") -> str:
    response = api.post("/ocpp/locations", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def new_charger(
    api: Api,
    identity: str,
    location_id: str | None = None,
    brand: str = "abb",
    model: str = "terra-184",
    ocpp_version: str = "OCPP1.6",
) -> str:
    body = {
        "identity": identity,
        "brand_slug": brand,
        "model_slug": model,
        "ws_url": CSMS_URL,
        "ocpp_version": ocpp_version,
    }
    if location_id is not None:
        body["location_id"] = location_id
    response = api.post("/ocpp/chargers", json=body)
    assert response.status_code == 202, response.text
    return response.json()["charger_id"]


@pytest.fixture
def csms() -> Iterator[DemoCsms]:
    """A CSMS on the `ocpp` library, schema validation on, on loopback (in a thread of its own, so that
    chargers in other processes can reach it); it must have seen no schema violation."""
    csms = DemoCsms()
    csms.start()
    yield csms
    csms.stop()
    assert not csms.csms.violations, csms.csms.violations
