"""A real `ocpp-ledger serve` process is stopped (gracefully or killed) and a new one started on the same
database: every location, charger, job and command is still there, with the same ids and bodies."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import CSMS_URL
from tests.process import Server, create_token, ledger_env, ok, serving

__all__ = ["ledger_env"]  # a fixture, used by name
CHARGER = {"brand_slug": "abb", "model_slug": "terra-184", "ws_url": CSMS_URL}


def record_a_workload(client: httpx.Client) -> dict[str, Any]:
    """Locations, chargers (single, bulk, moved, updated, deleted) and commands; returns what was made."""
    depot = ok(
        client.post(
            "/ocpp/locations",
            json={
                "name": "Depot",
                "city": "Lyon",
                "country": "FR",
                "coordinates": {"latitude": 45.7, "longitude": 4.8},
            },
        ),
        201,
    )
    yard = ok(client.post("/ocpp/locations", json={"name": "Yard"}), 201)
    a = ok(
        client.post("/ocpp/chargers", json={**CHARGER, "identity": "A-1", "location_id": depot["id"]}), 202
    )
    b = ok(client.post("/ocpp/chargers", json={**CHARGER, "identity": "B-1", "location_name": "Annex"}), 202)
    c = ok(
        client.post(
            "/ocpp/chargers",
            json={**CHARGER, "identity": "C-1", "location_id": depot["id"], "ocpp_version": "OCPP2.0.1"},
        ),
        202,
    )
    gone = ok(client.post("/ocpp/chargers", json={**CHARGER, "identity": "GONE-1"}), 202)
    job = ok(
        client.post(
            f"/ocpp/locations/{yard['id']}/chargers",
            json=[
                {
                    "template": {
                        "brand_slug": "wallbox",
                        "model_slug": "wallbox-pulsar-plus",
                        "ws_url": CSMS_URL,
                        "identity_prefix": "Y-",
                    },
                    "charger_ids": ["1"],
                    "chargers_number": 5,
                }
            ],
        ),
        202,
    )
    ok(
        client.put(
            f"/ocpp/chargers/{a['charger_id']}",
            json={"charge_point_name": "Bay A", "location_id": yard["id"]},
        )
    )
    ok(client.put(f"/ocpp/locations/{depot['id']}", json={"owner_name": "ACME"}))
    ok(client.delete(f"/ocpp/chargers/{gone['charger_id']}"))

    commands = [ok(client.post(f"/ocpp/chargers/{c['charger_id']}/stop-charger"))["id"]]
    fleet = ok(
        client.post(
            "/ocpp/commands/start-session",
            json={
                "target": {"location_id": yard["id"]},
                "event": {"id_tag": "TAG-1", "target_energy_kwh": 5},
            },
        ),
        202,
    )
    assert fleet["queued_count"] == 6
    commands += [r["command"]["id"] for r in fleet["results"]]
    commands += [
        ok(
            client.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": "B-1"}, "event": {}}),
            202,
        )["results"][0]["command"]["id"]
    ]
    timed_out = client.post(
        "/ocpp/commands/configuration",
        json={
            "target": {"charger_id": "B-1"},
            "event": {"configuration": {"HeartbeatInterval": "60"}},
        },
    )
    commands.append(ok(timed_out, 504)["command_id"])
    return {
        "locations": [depot["id"], yard["id"]],
        "chargers": [a["charger_id"], b["charger_id"], c["charger_id"]],
        "deleted_charger": gone["charger_id"],
        "job_url": job["status_url"],
        "commands": commands,
    }


def all_pages(client: httpx.Client, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = ok(client.get(url, params={**params, "page": page, "limit": 100}))
        items += body["data"]
        if len(items) >= body["total"] or not body["data"]:
            return items
        page += 1


def snapshot(client: httpx.Client, made: dict[str, Any]) -> dict[str, Any]:
    """Everything the API shows about what was made."""
    locations = all_pages(client, "/ocpp/locations")
    return {
        "locations": locations,
        "location_chargers": {
            loc["id"]: all_pages(client, f"/ocpp/locations/{loc['id']}/chargers") for loc in locations
        },
        "chargers": all_pages(client, "/ocpp/chargers"),
        "charger_status": [ok(client.get(f"/ocpp/chargers/{i}/status")) for i in made["chargers"]],
        "job": ok(client.get(made["job_url"])),
        "commands": all_pages(client, "/ocpp/commands"),
        "command_details": [ok(client.get(f"/ocpp/commands/{i}")) for i in made["commands"]],
    }


def check_survives(env: dict[str, str], tmp_path: Path, stop_with: signal.Signals) -> Server:
    """Record a workload, stop the server with `stop_with`, start another: returns the stopped one."""
    token = create_token(env)
    # No bridge: what is checked is what the gateway recorded. A bridge would dispatch the queued
    # commands (and fail them: there is no CSMS), changing their status between the two looks.
    with serving(env, token, tmp_path / "first.log", bridge=False) as first:
        made = record_a_workload(first.client)
        before = snapshot(first.client, made)
        # Written last and never read back: the process stops right after these are acknowledged.
        late = ok(first.client.post("/ocpp/chargers", json={**CHARGER, "identity": "LATE-1"}), 202)
        late_command = ok(first.client.post(f"/ocpp/chargers/{late['charger_id']}/stop-charger"))
        first.stop(stop_with)

    assert len(before["locations"]) == 3  # Depot, Yard, and Annex made by location_name
    assert len(before["chargers"]) == 8
    assert len(before["commands"]) == len(made["commands"]) == 9

    with serving(env, token, tmp_path / "second.log", bridge=False) as second:
        after = snapshot(second.client, made)
        assert ok(second.client.get("/ocpp/chargers/LATE-1"))["id"] == late["charger_id"]
        late_detail = ok(second.client.get(f"/ocpp/commands/{late_command['id']}"))
        assert (late_detail["event_type"], late_detail["charger_id"]) == ("stop_charger", late["charger_id"])
        after["chargers"] = [c for c in after["chargers"] if c["id"] != late["charger_id"]]
        after["commands"] = [c for c in after["commands"] if c["id"] != late_command["id"]]
        assert after == before

        assert second.client.get(f"/ocpp/chargers/{made['deleted_charger']}").status_code == 404
        # The identity index survived too: taken identities stay taken, freed ones are free.
        taken = second.client.post("/ocpp/chargers", json={**CHARGER, "identity": "A-1"})
        assert taken.status_code == 409, taken.text
        ok(second.client.post("/ocpp/chargers", json={**CHARGER, "identity": "GONE-1"}), 202)
        assert ok(second.client.get("/ocpp/chargers"))["total"] == 10
    return first


def test_everything_survives_a_graceful_restart(ledger_env: dict[str, str], tmp_path: Path) -> None:
    first = check_survives(ledger_env, tmp_path, signal.SIGTERM)
    # uvicorn shuts the application down, then re-raises the signal it caught (uvicorn >= 0.29).
    assert first.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in first.output()


def test_everything_acknowledged_survives_a_killed_process(
    ledger_env: dict[str, str], tmp_path: Path
) -> None:
    first = check_survives(ledger_env, tmp_path, signal.SIGKILL)
    assert first.process.returncode == -signal.SIGKILL
    assert "Application shutdown complete." not in first.output()
