"""The `ocpp-ledger` CLI (typer's CliRunner), on both backends, chosen through the LEDGER_ environment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from domain.ids import token_id
from domain.tokens import hash_secret
from gateway.app import create_app
from gateway.context import Context, build_context
from ocpp_ledger.cli import app
from projections.tokens import list_tokens
from tests.conftest import Api, Backend, new_charger, new_location

runner = CliRunner()


@pytest.fixture
def cli_env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """The CLI's Settings() read the backend's database from the environment."""
    settings = backend.settings
    monkeypatch.setenv("LEDGER_VAR_DIR", str(settings.var_dir))
    for name, value in (
        ("LEDGER_DATABASE_URL", settings.database_url),
        ("LEDGER_DATABASE_SCHEMA", settings.database_schema),
    ):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return backend


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def create_token(*args: str) -> str:
    result = cli("token", "create", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def status_on_a_new_gateway(backend: Backend, secret: str, headers: dict[str, str] | None = None) -> int:
    """What a gateway started now on the same database answers to this token."""
    ctx = build_context(backend.settings)
    try:
        with TestClient(create_app(backend.settings, ctx)) as client:
            return Api(client, secret).get("/ocpp/locations", headers=headers or {}).status_code
    finally:
        ctx.ledger.close()


def test_a_created_token_authenticates_in_its_organization(
    cli_env: Backend, client: TestClient, api: Api
) -> None:
    secret = create_token("--org", "acme", "--label", "ci")
    assert secret.startswith("olt_")
    created = Api(client, secret).post("/ocpp/locations", json={"name": "Made with a CLI token"})
    assert created.status_code == 201, created.text
    assert [loc["id"] for loc in api.get("/ocpp/locations").json()["data"]] == [created.json()["id"]]
    assert Api(client, secret + "x").get("/ocpp/locations").status_code == 401


def test_an_admin_token_chooses_its_organization_per_request(cli_env: Backend, client: TestClient) -> None:
    secret = create_token("--admin")
    admin = Api(client, secret)
    assert admin.get("/ocpp/locations").status_code == 403
    assert admin.get("/ocpp/locations", headers={"X-Organization-Id": "acme"}).status_code == 403  # none yet
    create_token("--org", "acme")
    assert admin.get("/ocpp/locations", headers={"X-Organization-Id": "acme"}).status_code == 200


def test_a_token_needs_an_organization_or_admin(cli_env: Backend, context: Context) -> None:
    result = cli("token", "create")
    assert result.exit_code != 0
    assert "--org" in result.output
    context.read.catch_up()
    with context.read.db.reader() as cur:
        assert list_tokens(cur) == []


def test_the_token_list_shows_ids_and_never_secrets(cli_env: Backend) -> None:
    secrets = [create_token("--org", "acme"), create_token("--org", "globex")]
    result = cli("token", "list")
    assert result.exit_code == 0, result.output
    for secret in secrets:
        digest = hash_secret(secret)
        assert str(token_id(digest)) in result.stdout
        assert secret not in result.stdout
        assert digest not in result.stdout
    assert "acme" in result.stdout
    assert "globex" in result.stdout


def test_a_revoked_token_no_longer_authenticates(cli_env: Backend, client: TestClient) -> None:
    secret = create_token("--org", "acme")
    assert Api(client, secret).get("/ocpp/locations").status_code == 200
    keep = create_token("--org", "acme")
    revoked_id = str(token_id(hash_secret(secret)))

    result = cli("token", "revoke", revoked_id)
    assert result.exit_code == 0, result.output
    assert status_on_a_new_gateway(cli_env, secret) == 401
    assert status_on_a_new_gateway(cli_env, keep) == 200
    listed = cli("token", "list").stdout
    [row] = [line for line in listed.splitlines() if revoked_id in line]
    assert "True" in row


def test_revoking_an_unknown_token_fails(cli_env: Backend) -> None:
    result = cli("token", "revoke", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 1
    assert "no token" in result.output


def test_db_upgrade_creates_every_table_and_can_run_again(cli_env: Backend) -> None:
    for _ in range(2):
        result = cli("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "database is up to date" in result.stdout
    ctx = build_context(cli_env.settings)
    try:
        assert ctx.ledger.recorder.max_notification_id() in (None, 0)
        with ctx.read.db.reader() as cur:
            tracked = {r["name"] for r in cur.execute("SELECT name FROM projection_tracking").fetchall()}
            assert tracked == set(ctx.read.projections)
            for projection in ctx.read.projections.values():
                for table in projection.tables:
                    cur.execute(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608 - our own table names
                    assert cur.scalar() == 0
    finally:
        ctx.ledger.close()


@pytest.fixture
def recorded(cli_env: Backend, api: Api) -> list[str]:
    """Some data, and the API answers about it that must not change."""
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)
    new_charger(api, "CP-2", location_id)
    assert api.post(f"/ocpp/chargers/{charger_id}/stop-charger").status_code == 200
    return ["/ocpp/locations", "/ocpp/chargers", f"/ocpp/locations/{location_id}/chargers", "/ocpp/commands"]


def test_projections_rebuild_rebuilds_every_read_model(
    recorded: list[str], api: Api, context: Context
) -> None:
    before = [api.get(url).json() for url in recorded]
    result = cli("projections", "rebuild")
    assert result.exit_code == 0, result.output
    head = context.read.current_position()
    for name in context.read.projections:
        assert f"{name}: rebuilt up to position {head:,}" in result.stdout
    assert [api.get(url).json() for url in recorded] == before


def test_projections_rebuild_of_one_read_model(recorded: list[str], api: Api, context: Context) -> None:
    before = [api.get(url).json() for url in recorded]
    result = cli("projections", "rebuild", "chargers")
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["chargers"]
    assert [api.get(url).json() for url in recorded] == before


def test_projections_rebuild_of_an_unknown_read_model_exits_2(recorded: list[str], api: Api) -> None:
    before = [api.get(url).json() for url in recorded]
    result = cli("projections", "rebuild", "nope")
    assert result.exit_code == 2
    assert "unknown read model nope" in result.stdout
    assert "chargers" in result.stdout  # the known ones are named
    assert [api.get(url).json() for url in recorded] == before
