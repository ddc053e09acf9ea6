"""`ocpp-ledger`: a thin shell over the packages. One typer sub-app per verb group."""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from domain.settings import Settings
from domain.tokens import ApiToken, Role
from gateway.context import build_context, upgrade_database
from projections.tokens import list_tokens
from replays.cli import app as replay_app

app = typer.Typer(
    help="ocpp-ledger: an OCPP test lab built as an event-sourced command ledger.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (stored hashed).", no_args_is_help=True)
projections_app = typer.Typer(help="Read models.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(projections_app, name="projections")
app.add_typer(replay_app, name="replay")

console = Console()


def _context():  # noqa: ANN202 - a Context; typed where used
    ctx = build_context(Settings())
    upgrade_database(ctx)
    return ctx


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("ocpp").setLevel(logging.WARNING)  # it logs every frame at INFO; the ledger has them


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: LEDGER_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default: LEDGER_PORT or 8080")] = None,
    bridge: Annotated[
        bool, typer.Option("--bridge/--no-bridge", help="run the OCPP bridge in this process")
    ] = True,
    demo: Annotated[
        bool, typer.Option("--demo", help="also start a local CSMS and a seeded demo location")
    ] = False,
    demo_csms_port: Annotated[int, typer.Option(help="port of the demo CSMS")] = 9000,
) -> None:
    """Run the REST gateway, its projections and (by default) the OCPP bridge."""
    import uvicorn

    from gateway.app import create_app
    from ocpp_ledger.devtoken import dev_token
    from ocpp_ledger.runtime import BridgeThread

    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    _logging()
    ctx = build_context(settings)
    upgrade_database(ctx)
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]ocpp-ledger[/] gateway on [cyan]{url}[/]  (docs: {url}/docs)")
    token = "<your token>"
    if not settings.is_postgres:
        token = dev_token(ctx.ledger, settings.var_dir)
        console.print(f"ledger: SQLite file [cyan]{settings.sqlite_path}[/]")
        console.print(f"dev token: [green]{token}[/]")
        console.print(
            f'try: curl -H "Authorization: Bearer $(cat {settings.var_dir}/dev-token)" {url}/ocpp/locations'
        )
    demo_csms = None
    if demo:
        from ocpp_ledger.demo import DemoCsms, seed

        demo_csms = DemoCsms(demo_csms_port)
        demo_csms.start()
        location = seed(ctx, demo_csms.url)
        console.print(f"demo: CSMS on [cyan]{demo_csms.url}[/], location [cyan]{location}[/] (tenant 'dev')")
        console.print(
            f'watch: curl -H "Authorization: Bearer {token}" "{url}/ocpp/chargers/DEMO-1/logs?limit=20"'
        )
    runner = BridgeThread(ctx) if bridge else None
    if runner is not None:
        runner.start()
        console.print("bridge: running every charger of this ledger")
    try:
        uvicorn.run(create_app(settings, ctx), host=settings.host, port=settings.port, log_level="info")
    finally:
        if runner is not None:
            runner.stop()
        if demo_csms is not None:
            demo_csms.stop()


@app.command("bridge")
def bridge_command() -> None:
    """Run the OCPP bridge alone (beside gateways started with `serve --no-bridge`)."""
    import asyncio

    from ocpp_ledger.runtime import run_bridge

    settings = Settings()
    _logging()
    if not settings.is_postgres:
        console.print(
            "[yellow]note:[/] on SQLite a separate bridge polls the ledger; PostgreSQL is recommended"
        )
    ctx = build_context(settings)
    upgrade_database(ctx)
    asyncio.run(run_bridge(ctx))


@app.command()
def csms(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 9000,
    reject_tag: Annotated[
        list[str] | None, typer.Option(help="id tags to answer Invalid (repeatable)")
    ] = None,
    heartbeat_interval: Annotated[int, typer.Option(help="interval given in BootNotification answers")] = 60,
) -> None:
    """A small accepting CSMS (OCPP 1.6 and 2.0.1) to try chargers against: ws://HOST:PORT/ocpp/<identity>."""
    import asyncio

    from ocpp_bridge.csms import Behaviour, serve_forever

    _logging()
    console.print(f"CSMS on [cyan]ws://{host}:{port}/ocpp[/] (use it as a charger's ws_url)")
    behaviour = Behaviour(heartbeat_interval=heartbeat_interval, rejected_tags=set(reject_tag or []))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, behaviour))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create every missing table (events, read models). Safe to run while other processes do too."""
    _context()
    console.print("database is up to date")


@token_app.command("create")
def token_create(
    org: Annotated[str | None, typer.Option("--org", help="the tenant the token acts in")] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="an admin token (chooses the tenant per request)")
    ] = False,
    label: Annotated[str, typer.Option(help="a note to recognise the token by")] = "",
) -> None:
    """Create a token and print it once; only its hash is kept."""
    if not admin and not org:
        raise typer.BadParameter("a user token needs --org (or use --admin)", param_hint="--org")
    ctx = _context()
    secret, token = ApiToken.issue(org, Role.ADMIN if admin else Role.USER, label=label)
    ctx.ledger.save(token)
    typer.echo(secret)


@token_app.command("list")
def token_list() -> None:
    """List tokens (ids, organizations, roles; never secrets)."""
    ctx = _context()
    ctx.read.catch_up()
    # The id is what `token revoke` takes: never cut it short. Piped output is not cut to 80 columns.
    table = Table(
        Column("id", no_wrap=True, min_width=36), "organization", "role", "label", "revoked", "created_at"
    )
    with ctx.read.db.reader() as cur:
        for row in list_tokens(cur):
            table.add_row(
                row["id"],
                row["organization"] or "-",
                row["role"],
                row["label"],
                str(row["revoked"]),
                row["created_at"],
            )
    (console if console.is_terminal else Console(width=240)).print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the id shown by `token list`")]) -> None:
    """Revoke a token (takes effect within seconds in running gateways)."""
    from uuid import UUID

    ctx = _context()
    token = ctx.ledger.load_fresh(ApiToken, UUID(token_id))
    if token is None:
        console.print(f"[red]no token {token_id}[/]")
        raise typer.Exit(1)
    token.revoke()
    ctx.ledger.save(token)
    console.print(f"revoked {token_id}")


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="one read model; default: all")] = None,
) -> None:
    """Rebuild read models from the first event."""
    ctx = _context()
    names = [name] if name else list(ctx.read.projections)
    unknown = [n for n in names if n not in ctx.read.projections]
    if unknown:
        console.print(f"[red]unknown read model {unknown[0]}[/]; known: {', '.join(ctx.read.projections)}")
        raise typer.Exit(2)
    for n in names:
        covered = ctx.read.rebuild(n)
        console.print(f"{n}: rebuilt over {covered} notifications")


def main() -> None:
    app()
