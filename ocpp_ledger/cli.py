"""`ocpp-ledger`: a thin shell over the packages. One typer sub-app per verb group."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from domain.logs import configure_logging
from domain.settings import Settings
from domain.tokens import ApiToken, Role
from gateway.context import build_context, upgrade_database
from infra import patches
from ocpp_ledger.process import tune_interpreter
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


def _logging(settings: Settings | None = None) -> None:
    """Every record of the process through one handler: LEDGER_LOG_FORMAT (text or json), secrets
    redacted, command/charger ids attached where known (domain.logs)."""
    configure_logging((settings or Settings()).log_format, logging.INFO)


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
    tune_interpreter()
    import uvicorn

    from ocpp_ledger.devtoken import dev_token
    from ocpp_ledger.runtime import BridgeThread
    from webui.app import create_app

    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    _logging(settings)
    ctx = build_context(settings)
    upgrade_database(ctx)
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]ocpp-ledger[/] gateway on [cyan]{url}[/]  (docs: {url}/docs)")
    token = "<your token>"  # noqa: S105 - a placeholder in printed help
    if not settings.is_postgres:
        token = dev_token(ctx.ledger, settings.var_dir)
        console.print(f"ledger: SQLite file [cyan]{settings.sqlite_path}[/]")
        console.print(f"dev token: [green]{token}[/]")
        console.print(
            f'try: curl -H "Authorization: Bearer $(cat {settings.var_dir}/dev-token)" {url}/ocpp/locations'
        )
    where = "an API token" if settings.is_postgres else f"the dev token, in {settings.var_dir / 'dev-token'}"
    console.print(f"[bold]lab:[/] open [cyan]{url}/[/] in a browser and paste {where}")
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
        # log_config=None: uvicorn's records go through the handler set up above (format, redaction).
        gateway_app = create_app(settings, ctx)
        uvicorn.run(gateway_app, host=settings.host, port=settings.port, log_level="info", log_config=None)
    finally:
        if runner is not None:
            runner.stop()
        if demo_csms is not None:
            demo_csms.stop()


@app.command("bridge")
def bridge_command(
    metrics_port: Annotated[
        int | None, typer.Option(help="serve Prometheus metrics on http://HOST:PORT/metrics (default: off)")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="address the metrics server listens on")] = "127.0.0.1",
) -> None:
    """Run the OCPP bridge alone (beside gateways started with `serve --no-bridge`)."""
    tune_interpreter()
    import asyncio

    from ocpp_ledger.runtime import run_bridge

    settings = Settings()
    _logging(settings)
    if metrics_port is not None:
        from ocpp_bridge.runtime.metrics import serve_metrics

        server = serve_metrics(metrics_host, metrics_port)
        console.print(f"metrics: [cyan]http://{metrics_host}:{server.server_port}/metrics[/]")
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
    tune_interpreter()
    import asyncio

    from ocpp_bridge.lab.csms import Behaviour, serve_forever

    _logging()
    console.print(f"CSMS on [cyan]ws://{host}:{port}/ocpp[/] (use it as a charger's ws_url)")
    behaviour = Behaviour(heartbeat_interval=heartbeat_interval, rejected_tags=set(reject_tag or []))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host, port, behaviour))


@app.command()
def faultproxy(
    listen: Annotated[int, typer.Option(help="port chargers connect to (their ws_url's port)")] = 9100,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    upstream: Annotated[
        str, typer.Option(help="the CSMS; each charger's request path is appended to it")
    ] = "ws://127.0.0.1:9000",
    seed: Annotated[int, typer.Option(help="the same seed and traffic give the same faults")] = 0,
    drop: Annotated[float, typer.Option(help="probability that a frame is dropped")] = 0.0,
    delay_ms: Annotated[str, typer.Option(help="delay range LOW-HIGH in ms (0-0: none)")] = "0-0",
    delay: Annotated[float, typer.Option(help="probability that a frame is delayed")] = 1.0,
    cut: Annotated[float, typer.Option(help="probability that the connection is cut at a frame")] = 0.0,
    cut_after: Annotated[int, typer.Option(help="cut each connection after this many frames (0: never)")] = 0,
    action: Annotated[
        list[str] | None, typer.Option(help="only frames of this OCPP action (repeatable; default: all)")
    ] = None,
    direction: Annotated[
        list[str] | None, typer.Option(help="only frames going cp_to_csms or csms_to_cp (repeatable)")
    ] = None,
    connections: Annotated[int, typer.Option(help="only each charger's first N connections (0: all)")] = 0,
    log_file: Annotated[
        Path | None, typer.Option(help="append every injected fault to this file as JSON lines")
    ] = None,
) -> None:
    """Put a fault-injecting proxy between chargers and a CSMS: delays, drops and cuts, by seed.

    Point the chargers' ws_url at ws://HOST:LISTEN/<path>; the proxy connects to UPSTREAM/<path>/<identity>.
    """
    import asyncio
    import json
    from dataclasses import asdict

    from ocpp_bridge.lab.faultproxy import (
        DIRECTIONS,
        Fault,
        FaultPlan,
        FaultProxy,
        parse_delay_range,
        serve_forever,
    )

    try:
        plan = FaultPlan(
            seed=seed,
            drop=drop,
            delay=delay,
            delay_ms=parse_delay_range(delay_ms),
            cut=cut,
            cut_after=cut_after,
            actions=frozenset(action or ()),
            directions=frozenset(direction or DIRECTIONS),
            connections=connections,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    _logging()
    out = log_file.open("a", encoding="utf-8") if log_file is not None else None

    def on_fault(fault: Fault) -> None:
        console.print(
            f"{fault.identity} #{fault.connection} frame {fault.frame} {fault.direction} "
            f"{fault.action or '-'}: [yellow]{fault.kind}[/]"
            + (f" {fault.delay_ms} ms" if fault.delay_ms is not None else "")
        )
        if out is not None:
            out.write(json.dumps(asdict(fault)) + "\n")
            out.flush()

    def on_ready(proxy: FaultProxy) -> None:
        console.print(
            f"fault proxy on [cyan]ws://{host}:{proxy.port}[/] → {upstream}, seed {seed}", highlight=False
        )

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_forever(host, listen, upstream, plan, on_fault, on_ready))
    finally:
        if out is not None:
            out.close()


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

    try:
        token_uuid = UUID(token_id)
    except ValueError:
        console.print(f"[red]{token_id!r} is not a token id[/] (see `ocpp-ledger token list`)")
        raise typer.Exit(2) from None
    ctx = _context()
    token = ctx.ledger.load_fresh(ApiToken, token_uuid)
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
    from rich.progress import BarColumn, Progress, TextColumn

    head = ctx.read.current_position()
    progress_console = Console(stderr=True)  # stdout keeps one result line per read model
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        console=progress_console,
        transient=True,
    ) as bar:
        for n in names:
            task = bar.add_task(f"rebuilding {n}", total=head)
            reached = ctx.read.rebuild(
                n, progress=lambda position, t=task: bar.update(t, completed=min(position, head))
            )
            bar.update(task, completed=head)
            console.print(f"{n}: rebuilt up to position {reached:,}")


@app.command()
def stats(
    tenant: Annotated[str | None, typer.Option(help="tenant (default: every tenant)")] = None,
    location: Annotated[str | None, typer.Option(help="only this location id")] = None,
    charger: Annotated[str | None, typer.Option(help="only this charger id")] = None,
    since: Annotated[str | None, typer.Option(help="from this time (ISO-8601)")] = None,
    until: Annotated[str | None, typer.Option(help="before this time (ISO-8601)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Analytics over the ledger: commands, latencies, sessions, energy, faults, CSMS errors."""
    import json

    from projections.analytics import summary, tenants

    ctx = _context()
    ctx.read.catch_up()
    with ctx.read.db.reader() as cur:
        names = [tenant] if tenant else tenants(cur)
    scope = {"location_id": location, "charger_id": charger, "since": since, "until": until}
    reports = [summary(ctx.read.db, name, **scope) for name in names]
    if as_json:
        typer.echo(json.dumps(reports, indent=1))
        return
    for report in reports:
        _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    commands, sessions, faults = report["commands"], report["sessions"], report["faults"]
    console.rule(f"tenant {report['tenant']}")
    table = Table("command", "completed", "failed", "queued", "dispatched", title="commands")
    for event_type, counts in sorted(commands["by_type"].items()):
        table.add_row(
            event_type, *(str(counts.get(s, 0)) for s in ("completed", "failed", "queued", "dispatched"))
        )
    console.print(table)
    latency = Table("stage", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", title="latency")
    for stage, p in commands["latency"].items():
        latency.add_row(stage, *(str(p[k]) for k in ("count", "p50_ms", "p90_ms", "p99_ms", "max_ms")))
    console.print(latency)
    summary_table = Table(
        "sessions", "running", "finished", "kWh", "mean kWh", "mean duration s", "stop reasons"
    )
    summary_table.add_row(
        str(sessions["count"]),
        str(sessions["running"]),
        str(sessions["finished"]),
        str(sessions["energy_kwh"]),
        str(sessions["mean_energy_kwh"]),
        str(sessions["mean_duration_s"]),
        json_short(sessions["stop_reasons"]),
    )
    console.print(summary_table)
    console.print(
        f"faults: {faults['count']} ({faults['open']} open) {json_short(faults['by_type'])}; "
        f"command failures: {json_short(commands['failures'])}; "
        f"CSMS CALLERRORs: {json_short(report['csms_errors']['callerrors'])}"
    )


def json_short(value: object) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def main() -> None:
    patches.install()  # once, before any command: every library patch, version-checked (infra.patches)
    app()
