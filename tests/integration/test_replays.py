"""Recordings: export → verify → audit round trips on both backends, tamper detection line by line, and
the kept recordings reproduced against the test CSMS and diffed."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from domain import services
from domain.charger import Charger
from domain.commands import Authorize, PlugConnector
from domain.ledger import UnitOfWork
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.lab.csms import Behaviour, Csms
from ocpp_ledger.cli import app as cli
from replays.audit import decode_lines
from replays.diff import compare, exchanges
from replays.export import Slice, export
from replays.recording import Break, RecordingError, read_header, verify
from replays.run import read_script, reproduce

RECORDINGS = Path(__file__).resolve().parents[2] / "replays" / "recordings"


def workload(context: Context) -> list[UUID]:
    """Two chargers with a few commands, in one tenant."""

    def build(uow: UnitOfWork) -> list[UUID]:
        ids = []
        for identity in ("REC-1", "REC-2"):
            registration = services.ChargerRegistration(
                identity=identity,
                brand_slug="abb",
                model_slug="terra-184",
                ws_url="ws://127.0.0.1:9/ocpp",
                ocpp_version=OcppVersion.V16,
            )
            ids.append(services.register_charger(uow, "acme", registration, None, "test").id)
        return ids

    ids = context.ledger.transact(build)
    for charger_id in ids:
        for payload in (PlugConnector(), Authorize(id_tag="X")):
            context.ledger.transact(
                partial(
                    services.queue_commands,
                    tenant="acme",
                    charger_ids=[charger_id],
                    payload=payload,
                    target_kind="charger",
                    requested_by="t",
                )
            )
    return ids


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def check(path: Path) -> tuple[dict[str, Any], Break | None]:
    lines = lines_of(path)
    head = read_header(lines[0].decode())
    return head, verify(iter(lines[1:]), head)


def test_an_export_verifies_and_decodes_to_the_stored_events(context: Context, tmp_path: Path) -> None:
    workload(context)
    path = tmp_path / "all.jsonl"
    count, final = export(context.read.db, Slice(), path)
    stored = [
        context.ledger.mapper.to_domain_event(n)
        for n in context.ledger.recorder.select_notifications(1, 1_000_000)
    ]
    head, broken = check(path)
    assert broken is None
    assert head["count"] == count == len(stored)
    assert head["final_hash"] == final
    decoded = [entry.event for entry in decode_lines(lines_of(path)[1:], context.ledger.mapper)]
    assert [(type(e), e.originator_id, e.originator_version) for e in decoded] == [
        (type(e), e.originator_id, e.originator_version) for e in stored
    ]
    assert decoded == stored


def test_a_charger_export_holds_only_that_chargers_streams(context: Context, tmp_path: Path) -> None:
    first, second = workload(context)
    path = tmp_path / "one.jsonl"
    export(context.read.db, Slice(charger_ids=[first]), path)
    ids = {json.loads(line)["aggregate_id"] for line in lines_of(path)[1:]}
    assert str(first) in ids
    assert str(second) not in ids


def test_a_command_export_holds_the_command(context: Context, tmp_path: Path) -> None:
    workload(context)
    commands = [
        n for n in context.ledger.recorder.select_notifications(1, 1000) if n.topic.endswith("CommandQueued")
    ]
    queued = context.ledger.mapper.to_domain_event(commands[1])
    assert isinstance(queued, Charger.CommandQueued)
    command_id = queued.command_id
    path = tmp_path / "command.jsonl"
    count, _ = export(context.read.db, Slice(command_id=command_id), path)
    assert count == 1
    assert json.loads(lines_of(path)[1])["position"] == commands[1].id


@pytest.fixture
def recording(context: Context, tmp_path: Path) -> Path:
    workload(context)
    path = tmp_path / "r.jsonl"
    export(context.read.db, Slice(), path)
    return path


def test_an_edited_line_is_detected_at_that_line(recording: Path) -> None:
    lines = lines_of(recording)
    lines[3] = (
        lines[3].replace(b'"REC-', b'"REX-', 1)
        if b'"REC-' in lines[3]
        else lines[3].replace(b'"version":', b'"version": ', 1)
    )
    recording.write_bytes(b"".join(lines))
    _, broken = check(recording)
    assert broken is not None and broken.line == 4


def test_a_dropped_line_is_detected_at_the_next_line(recording: Path) -> None:
    lines = lines_of(recording)
    del lines[5]
    recording.write_bytes(b"".join(lines))
    _, broken = check(recording)
    assert broken is not None and broken.line == 6


def test_swapped_lines_are_detected_at_the_first_of_them(recording: Path) -> None:
    lines = lines_of(recording)
    lines[4], lines[5] = lines[5], lines[4]
    recording.write_bytes(b"".join(lines))
    _, broken = check(recording)
    assert broken is not None and broken.line == 5


def test_a_truncated_recording_is_detected(recording: Path) -> None:
    lines = lines_of(recording)
    recording.write_bytes(b"".join(lines[:-2]))
    _, broken = check(recording)
    assert broken is not None
    assert "truncated" in broken.reason
    assert broken.line == len(lines) - 1


def test_an_unknown_major_version_is_refused_clearly(recording: Path) -> None:
    lines = lines_of(recording)
    head = json.loads(lines[0])
    head["version"] = "2.0"
    with pytest.raises(RecordingError, match=r"version 2.0 is not supported"):
        read_header(json.dumps(head))
    recording.write_bytes(json.dumps(head).encode() + b"\n" + b"".join(lines[1:]))
    result = CliRunner().invoke(cli, ["replay", "verify", str(recording)])
    assert result.exit_code == 2


def test_the_cli_verifies_and_reports_the_broken_line(recording: Path) -> None:
    assert CliRunner().invoke(cli, ["replay", "verify", str(recording)]).exit_code == 0
    lines = lines_of(recording)
    del lines[2]
    recording.write_bytes(b"".join(lines))
    result = CliRunner().invoke(cli, ["replay", "verify", str(recording)])
    assert result.exit_code == 1
    assert "line 3" in result.output


@pytest.mark.parametrize("name", sorted(p.stem for p in RECORDINGS.glob("*.jsonl")))
def test_every_kept_recording_verifies(name: str) -> None:
    head, broken = check(RECORDINGS / f"{name}.jsonl")
    assert broken is None
    assert head["count"] > 0


def read(path: Path):
    return [json.loads(line) for line in lines_of(path)[1:]]


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in RECORDINGS.glob("*.jsonl") if "rejected" not in p.stem)
)
async def test_a_kept_recording_reproduced_against_the_test_csms_diffs_clean(
    name: str, context: Context, tmp_path: Path
) -> None:
    csms = Csms()
    await csms.start()
    try:
        result = await reproduce(
            context.ledger, read_script(read(RECORDINGS / f"{name}.jsonl")), csms.url, tmp_path / "run.jsonl"
        )
    finally:
        await csms.stop()
    assert result.outcomes["no outcome"] == 0
    assert not csms.violations
    _, broken = check(tmp_path / "run.jsonl")
    assert broken is None
    differences = compare(
        exchanges(read(RECORDINGS / f"{name}.jsonl")), exchanges(read(tmp_path / "run.jsonl"))
    )
    assert differences == []


async def test_a_csms_that_now_rejects_the_tag_is_reported_as_exactly_that(
    context: Context, tmp_path: Path
) -> None:
    csms = Csms(Behaviour(rejected_tags={"TAG-1"}))
    await csms.start()
    try:
        await reproduce(
            context.ledger,
            read_script(read(RECORDINGS / "session-ocpp16.jsonl")),
            csms.url,
            tmp_path / "run.jsonl",
        )
    finally:
        await csms.stop()
    differences = compare(
        exchanges(read(RECORDINGS / "session-ocpp16.jsonl")), exchanges(read(tmp_path / "run.jsonl"))
    )
    first = differences[0]
    assert (first.action, first.what, first.expected, first.actual) == (
        "→ Authorize",
        "answer.result.idTagInfo.status",
        "Accepted",
        "Invalid",
    )
    # Everything after it is what the rejected tag prevented: the session never started.
    assert all(d.what == "missing in the new run" for d in differences[1:])
    result = CliRunner().invoke(
        cli, ["replay", "diff", str(RECORDINGS / "session-ocpp16.jsonl"), str(tmp_path / "run.jsonl")]
    )
    assert result.exit_code == 1
    assert "Authorize" in result.output
