"""Analytics checked against expectations computed by hand from the recordings' own events."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gateway.app import create_app
from gateway.context import Context
from projections.analytics import summary
from replays.imports import import_recording
from tests.conftest import Api, issue_token

RECORDINGS = Path(__file__).resolve().parents[2] / "replays" / "recordings"
TENANT = "fixtures"


def lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in (RECORDINGS / f"{name}.jsonl").read_bytes().splitlines()[1:]]


def of(recorded: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line["fields"] for line in recorded if line["type"] == f"ocpp_ledger:{event}"]


def data(value: Any) -> Any:
    return value["_data_"] if isinstance(value, dict) and "_type_" in value else value


def at(value: Any) -> datetime:
    return datetime.fromisoformat(str(data(value)).replace("Z", "+00:00"))


@pytest.fixture
def loaded(context: Context) -> Context:
    for name in (
        "session-ocpp16",
        "fault-during-charging-ocpp16",
        "auto-stop-energy-ocpp16",
        "rejected-tag-ocpp16",
        "session-ocpp201",
    ):
        import_recording(context.ledger, (RECORDINGS / f"{name}.jsonl").read_bytes().splitlines()[1:])
    context.read.catch_up()
    return context


ALL = [
    "session-ocpp16",
    "fault-during-charging-ocpp16",
    "auto-stop-energy-ocpp16",
    "rejected-tag-ocpp16",
    "session-ocpp201",
]


def test_commands_by_type_and_status_match_the_recordings(loaded: Context) -> None:
    expected: dict[str, dict[str, int]] = {}
    for name in ALL:
        recorded = lines(name)
        types = {data(f["command_id"]): f["event_type"] for f in of(recorded, "Charger.CommandQueued")}
        for f in of(recorded, "ChargePoint.CommandCompleted"):
            counts = expected.setdefault(types[data(f["command_id"])], {})
            counts["completed"] = counts.get("completed", 0) + 1
        for f in of(recorded, "ChargePoint.CommandFailed"):
            counts = expected.setdefault(types[data(f["command_id"])], {})
            counts["failed"] = counts.get("failed", 0) + 1
    report = summary(loaded.read.db, TENANT)
    assert report["commands"]["by_type"] == expected
    assert report["commands"]["failures"] == {"id_tag_rejected": 1}


def recorded_sessions() -> int:
    return sum(len(of(lines(name), "ChargePoint.TransactionStopped")) for name in ALL)


def test_sessions_energy_and_stop_reasons_match_the_recordings(loaded: Context) -> None:
    energy, durations = 0, []
    reasons: dict[str, int] = {}
    for name in ALL:
        recorded = lines(name)
        started = {f["transaction_id"]: f for f in of(recorded, "ChargePoint.TransactionStarted")}
        for f in of(recorded, "ChargePoint.TransactionStopped"):
            energy += f["meter_stop_wh"] - started[f["transaction_id"]]["meter_start_wh"]
            reasons[f["reason"]] = reasons.get(f["reason"], 0) + 1
            durations.append(
                (at(f["stopped_at"]) - at(started[f["transaction_id"]]["started_at"])).total_seconds()
            )
    sessions = summary(loaded.read.db, TENANT)["sessions"]
    assert sessions["count"] == sessions["finished"] == len(durations) == recorded_sessions() > 0
    assert sessions["energy_kwh"] == round(energy / 1000, 3)
    assert sessions["stop_reasons"] == reasons
    assert sessions["mean_duration_s"] == round(sum(durations) / len(durations), 1)


def test_latency_stages_match_the_recorded_timestamps(loaded: Context) -> None:
    recorded = lines("rejected-tag-ocpp16")
    [queued] = of(recorded, "Charger.CommandQueued")
    [dispatched] = of(recorded, "ChargePoint.CommandDispatched")
    [failed] = of(recorded, "ChargePoint.CommandFailed")
    command = data(queued["command_id"])
    answers = [
        f
        for f in of(recorded, "ChargePoint.FrameRecorded")
        if data(f["command_id"]) == command and f["direction"] == "csms_to_cp"
    ]
    charger = next(
        line["aggregate_id"] for line in recorded if line["type"] == "ocpp_ledger:Charger.Registered"
    )
    latency = summary(loaded.read.db, TENANT, charger_id=charger)["commands"]["latency"]

    def ms(a: Any, b: Any) -> float:
        return round((at(b["timestamp"]) - at(a["timestamp"])).total_seconds() * 1000, 1)

    assert latency["queued_to_dispatched"]["p50_ms"] == ms(queued, dispatched)
    assert latency["dispatched_to_first_answer"]["p50_ms"] == ms(dispatched, answers[0])
    assert latency["dispatched_to_completed"]["p50_ms"] == ms(dispatched, failed)


def test_faults_match_the_recordings(loaded: Context) -> None:
    raised = [f["fault_type"] for name in ALL for f in of(lines(name), "ChargePoint.FaultRaised")]
    faults = summary(loaded.read.db, TENANT)["faults"]
    assert faults["count"] == len(raised) == 1
    assert faults["by_type"] == {raised[0]: 1}
    assert faults["open"] == 0


def test_analytics_are_per_tenant_over_http(loaded: Context) -> None:
    with TestClient(create_app(loaded.settings, loaded)) as client:
        mine = Api(client, issue_token(loaded, TENANT))
        other = Api(client, issue_token(loaded, "someone-else"))
        assert mine.get("/analytics/sessions").json()["count"] == recorded_sessions()
        assert other.get("/analytics/sessions").json()["count"] == 0
        assert mine.get("/analytics/faults").json()["by_type"] == {"GroundFailure": 1}
        queued = sum(len(of(lines(name), "Charger.CommandQueued")) for name in ALL)
        assert mine.get("/analytics/commands").json()["total"] == queued
        assert mine.get("/analytics/sessions", params={"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0


def test_the_stats_command_prints_tables_and_json(loaded: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from ocpp_ledger.cli import app

    settings = loaded.settings
    if settings.database_url:
        monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("LEDGER_DATABASE_SCHEMA", settings.database_schema or "public")
    else:
        monkeypatch.setenv("LEDGER_VAR_DIR", str(settings.var_dir))
    result = CliRunner().invoke(app, ["stats", "--tenant", TENANT, "--json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert report["sessions"]["finished"] == recorded_sessions()
    table = CliRunner().invoke(app, ["stats", "--tenant", TENANT])
    assert table.exit_code == 0
    assert "start_session" in table.output
