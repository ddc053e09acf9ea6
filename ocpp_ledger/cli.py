"""`ocpp-ledger`: a thin shell over the packages. One typer sub-app per verb group."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from domain.settings import Settings
from domain.tokens import ApiToken, Role
from gateway.context import build_context, upgrade_database
from projections.tokens import list_tokens

app = typer.Typer(
    help="ocpp-ledger: an OCPP test lab built as an event-sourced command ledger.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (stored hashed).", no_args_is_help=True)
projections_app = typer.Typer(help="Read models.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(projections_app, name="projections")

console = Console()


def _context():  # noqa: ANN202 - a Context; typed where used
    ctx = build_context(Settings())
    upgrade_database(ctx)
    return ctx


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default: LEDGER_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default: LEDGER_PORT or 8080")] = None,
) -> None:
    """Run the REST gateway (and its projections)."""
    import uvicorn

    from gateway.app import create_app
    from ocpp_ledger.devtoken import dev_token

    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ctx = build_context(settings)
    upgrade_database(ctx)
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]ocpp-ledger[/] gateway on [cyan]{url}[/]  (docs: {url}/docs)")
    if not settings.is_postgres:
        console.print(f"ledger: SQLite file [cyan]{settings.sqlite_path}[/]")
        console.print(f"dev token: [green]{dev_token(ctx.ledger, settings.var_dir)}[/]")
        console.print(
            f'try: curl -H "Authorization: Bearer $(cat {settings.var_dir}/dev-token)" {url}/ocpp/locations'
        )
    uvicorn.run(create_app(settings, ctx), host=settings.host, port=settings.port, log_level="info")


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
    table = Table("id", "organization", "role", "label", "revoked", "created_at")
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
    console.print(table)


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
