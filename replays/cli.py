"""`ocpp-ledger replay …`: export, audit and verify recordings of the ledger."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from domain.ledger import Ledger
from domain.settings import Settings
from infra.sql import Database
from replays.audit import Entry, decode_lines, print_timeline
from replays.export import Slice, export, select
from replays.recording import RecordingError, parse_event, read_header, verify

app = typer.Typer(help="Recordings of the ledger: export, audit, verify.", no_args_is_help=True)
err = Console(stderr=True)


def _ledger() -> tuple[Ledger, Database]:
    ledger = Ledger(env=Settings().persistence_env())
    return ledger, Database(ledger)


def _slice(
    charger: list[str] | None,
    location: str | None,
    command: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Slice:
    try:
        return Slice(
            charger_ids=[UUID(c) for c in charger or []],
            location_id=None if location is None else UUID(location),
            command_id=None if command is None else UUID(command),
            since=since,
            until=until,
        )
    except ValueError as error:
        raise typer.BadParameter(f"not an id: {error}") from None


ChargerOpt = Annotated[list[str] | None, typer.Option("--charger", help="charger id (repeatable)")]
LocationOpt = Annotated[str | None, typer.Option("--location", help="location id")]
CommandOpt = Annotated[str | None, typer.Option("--command", help="command id")]
SinceOpt = Annotated[datetime | None, typer.Option("--since", help="from this time (ISO-8601)")]
UntilOpt = Annotated[datetime | None, typer.Option("--until", help="up to this time (ISO-8601)")]


@app.command("export")
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
    ] = None,
    charger: ChargerOpt = None,
    location: LocationOpt = None,
    command: CommandOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
) -> None:
    """Export a slice of the ledger (default: all of it) as a hash-chained JSON Lines recording."""
    db = _ledger()[1]
    selection = _slice(charger, location, command, since, until)
    if err.is_terminal and output is not None:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} events"),
            console=err,
        ) as bar:
            task = bar.add_task(f"exporting to {output}", total=None)
            count, final = export(db, selection, output, progress=lambda n: bar.advance(task, n))
    else:
        count, final = export(db, selection, output)
    err.print(f"{count:,} events, final hash {final}")


def _read(path: Path) -> tuple[dict[str, object], object]:
    handle = path.open("rb")
    first = handle.readline()
    try:
        return read_header(first.decode("utf-8", errors="replace")), handle
    except RecordingError as error:
        handle.close()
        err.print(f"[red]{path}: {error}[/]")
        raise typer.Exit(2) from None


@app.command("verify")
def verify_command(path: Annotated[Path, typer.Argument(help="a recording")]) -> None:
    """Recompute the hash chain; exit 1 at the first line where it breaks (tampered, truncated, reordered)."""
    head, handle = _read(path)
    with handle:  # type: ignore[attr-defined]
        broken = verify(iter(handle), head)  # type: ignore[call-overload]
    if broken is not None:
        err.print(f"[red]{path}: chain broken at line {broken.line}: {broken.reason}[/]")
        raise typer.Exit(1)
    err.print(f"[green]{path}: {head['count']:,} events, chain intact[/] (final hash {head['final_hash']})")


@app.command("audit")
def audit_command(
    path: Annotated[
        Path | None, typer.Argument(help="a recording (or use --charger/--since on the database)")
    ] = None,
    check: Annotated[bool, typer.Option("--verify", help="verify the hash chain first")] = False,
    frames: Annotated[bool, typer.Option("--frames/--no-frames", help="show every OCPP frame")] = True,
    charger: ChargerOpt = None,
    location: LocationOpt = None,
    command: CommandOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
) -> None:
    """Print the timeline of a recording, or of a slice of the database."""
    console = Console()
    ledger, db = _ledger()
    if path is None:
        selection = _slice(charger, location, command, since, until)
        entries = (
            Entry(line.position, ledger.mapper.to_domain_event(_notification(line)))
            for line in select(db, selection)
        )
        print_timeline(entries, console, frames)
        return
    if check:
        verify_command(path)
    head, handle = _read(path)
    console.print(f"[bold]{path}[/]: {head['count']:,} events from {head.get('source')}")
    console.print(f"recorded {head.get('created_at')}, filter {head.get('filter')}")
    with handle:  # type: ignore[attr-defined]
        print_timeline(decode_lines(handle, ledger.mapper), console, frames)  # type: ignore[arg-type]


@app.command("run")
def run_command(
    path: Annotated[Path, typer.Argument(help="the recording to reproduce")],
    csms: Annotated[str, typer.Option("--csms", help="ws:// URL of the CSMS to reproduce against")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="recording of the new run")] = None,
    speed: Annotated[float, typer.Option(help="how many times faster than recorded")] = 1.0,
    prefix: Annotated[str, typer.Option(help="prepended to every charger identity")] = "",
    tenant: Annotated[
        str | None, typer.Option(help="tenant for the replayed chargers (default: a new one)")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the last outcomes")] = 60.0,
) -> None:
    """Re-create the recorded chargers against CSMS, re-issue the recorded commands, record the new run."""
    import asyncio

    from replays.run import read_script, reproduce

    _, handle = _read(path)
    with handle:  # type: ignore[attr-defined]
        script = read_script(parse_event(line) for line in handle)  # type: ignore[attr-defined]
    ledger = _ledger()[0]
    ledger.create_tables()
    out = output or path.with_name(path.stem + ".run.jsonl")
    result = asyncio.run(
        reproduce(ledger, script, csms, out, speed=speed, prefix=prefix, tenant=tenant, timeout=timeout)
    )
    err.print(
        f"replay run {result.run_id} (tenant {result.tenant}): {len(script.chargers)} chargers, "
        f"{result.commands} commands {result.outcomes}; new run recorded in {result.recording}"
    )


@app.command("diff")
def diff_command(
    before: Annotated[Path, typer.Argument(help="the original recording")],
    after: Annotated[Path, typer.Argument(help="the recording of the new run")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable report")] = False,
    prefix: Annotated[str, typer.Option(help="identity prefix used by the new run")] = "",
    periodic: Annotated[
        bool, typer.Option("--periodic", help="also compare Heartbeat and MeterValues")
    ] = False,
) -> None:
    """Compare the CSMS answers of two runs; exit 0 same, 1 different, 2 unusable input."""
    import json as jsonlib

    from replays.diff import compare, exchanges, report

    runs = []
    for path, strip in ((before, ""), (after, prefix)):
        head, handle = _read(path)
        with handle:  # type: ignore[attr-defined]
            broken = verify(iter(handle), head)  # type: ignore[call-overload]
        if broken is not None:
            err.print(f"[red]{path}: chain broken at line {broken.line}: {broken.reason}[/]")
            raise typer.Exit(2)
        _, handle = _read(path)
        with handle:  # type: ignore[attr-defined]
            runs.append(exchanges((parse_event(line) for line in handle), strip, periodic))  # type: ignore[attr-defined]
    differences = compare(runs[0], runs[1])
    if as_json:
        typer.echo(
            jsonlib.dumps(
                {"same": not differences, "differences": [d.as_dict() for d in differences]}, indent=1
            )
        )
    else:
        typer.echo(report(differences, runs[0], runs[1]))
    raise typer.Exit(1 if differences else 0)


def _notification(line: object) -> object:
    from eventsourcing.persistence import Notification

    return Notification(
        id=line.position,  # type: ignore[attr-defined]
        originator_id=UUID(line.aggregate_id),  # type: ignore[attr-defined]
        originator_version=line.version,  # type: ignore[attr-defined]
        topic=line.topic,  # type: ignore[attr-defined]
        state=line.state,  # type: ignore[attr-defined]
    )


if __name__ == "__main__":  # pragma: no cover
    app(sys.argv[1:])
