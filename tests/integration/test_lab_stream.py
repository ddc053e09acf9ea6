"""The lab's live stream over real HTTP: positions as event ids, resume after a drop with neither a gap
nor a duplicate, per-tenant isolation, admins choosing an organization, and a position from elsewhere."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.process import OCPP_LEDGER, Server, create_token, ledger_env, ok, serving  # noqa: F401


@dataclass
class Event:
    id: int
    kind: str
    data: dict


def read_events(
    server: Server, count: int, headers: dict[str, str] | None = None, params: dict[str, str] | None = None
) -> list[Event]:
    """The first `count` events of a fresh stream (then the connection is dropped)."""
    events: list[Event] = []
    with server.client.stream(
        "GET", "/lab/stream", headers=headers or {}, params=params, timeout=30
    ) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in answer.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            events.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
            fields = {}
            if len(events) == count:
                break
    return events


def location(server: Server, name: str) -> str:
    return ok(server.client.post("/ocpp/locations", json={"name": name}), 201)["id"]


def queue_plugs(server: Server, location_id: str, chargers: int) -> None:
    ok(
        server.client.post(
            f"/ocpp/locations/{location_id}/chargers",
            json=[
                {
                    "template": {
                        "brand_slug": "abb",
                        "model_slug": "terra-184",
                        "ws_url": "ws://127.0.0.1:9/ocpp",
                        "ocpp_version": "OCPP1.6",
                        "identity_prefix": "S-",
                    },
                    "charger_ids": [f"{n:03}" for n in range(chargers)],
                    "chargers_number": chargers,
                }
            ],
        ),
        202,
    )


@pytest.fixture
def lab(ledger_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:  # noqa: F811
    token = create_token(ledger_env)
    with serving(ledger_env, token, tmp_path / "serve.log", bridge=False) as server:
        yield server, ledger_env


def test_a_dropped_stream_resumes_from_its_last_event_id_without_gap_or_duplicate(lab) -> None:
    server, _ = lab
    # A stream kept open meanwhile keeps the feed's buffer filling: the resumed reads come from it.
    with server.client.stream("GET", "/lab/stream", params={"kinds": "heartbeat"}) as watcher:
        start = int(next(watcher.iter_lines()).removeprefix("id: "))
        loc = location(server, "Depot")
        queue_plugs(server, loc, 5)
        fan_out = ok(
            server.client.post(
                "/ocpp/commands/plug-connector",
                json={"target": {"location_id": loc}, "event": {"connector_id": 1}},
            ),
            202,
        )
        command_ids = {r["command"]["id"] for r in fan_out["results"]}
        assert len(command_ids) == 5

        # 1 location created + 5 chargers registered + their assignment to it + 5 commands queued
        everything = read_events(server, 1 + 12, headers={"Last-Event-ID": str(start)})[1:]
        positions = [e.id for e in everything]
        assert positions == sorted(set(positions)), "ids are ledger positions: increasing, never repeated"
        assert {e.data["command_id"] for e in everything if e.kind == "command"} == command_ids
        assert sorted(e.data["change"] for e in everything if e.kind == "fleet") == sorted(
            ["location_created", *["charger_registered"] * 5, "location_chargersassigned"]
        )
        # The same in three pieces, each stream dropped and reopened with the last id it saw.
        assert resumed_in_pieces(server, start, (4, 5, len(everything) - 9)) == everything

    # No stream open: the feed stopped following, so a resumed stream reads the ledger itself.
    assert resumed_in_pieces(server, start, (7, len(everything) - 7)) == everything


def resumed_in_pieces(server: Server, start: int, sizes: tuple[int, ...]) -> list[Event]:
    pieces: list[Event] = []
    last = start
    for size in sizes:
        resumed = read_events(server, 1 + size, headers={"Last-Event-ID": str(last)})
        assert resumed[0].kind == "hello" and resumed[0].data == {"position": last, "resumed": True}
        pieces += resumed[1:]
        last = resumed[-1].id
    return pieces


def test_a_live_stream_delivers_what_is_saved_after_it_opened(lab) -> None:
    server, _ = lab
    with server.client.stream("GET", "/lab/stream", params={"kinds": "command"}, timeout=30) as answer:
        lines = answer.iter_lines()
        assert next(lines).startswith("id: ")
        loc = location(server, "Live")
        queue_plugs(server, loc, 1)
        charger = ok(server.client.get("/ocpp/chargers", params={"location_id": loc}))["data"][0]["id"]
        command = ok(
            server.client.post(
                "/ocpp/commands/plug-connector", json={"target": {"charger_id": charger}, "event": {}}
            ),
            202,
        )["results"][0]["command"]["id"]
        data = next(line for line in lines if line.startswith("data: ") and "command_id" in line)
        message = json.loads(data[len("data: ") :])
        assert message == {
            "command_id": command,
            "status": "queued",
            "event_type": "plug_connector",
            "origin": "api",
            "at": message["at"],
            "charger_id": charger,
        }


def test_each_tenant_sees_only_its_own_messages_and_admins_choose_one(lab) -> None:
    server, env = lab
    start = read_events(server, 1)[0].id
    queue_plugs(server, location(server, "Acme depot"), 2)
    done = subprocess.run(
        [OCPP_LEDGER, "token", "create", "--org", "globex"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    globex = {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}
    done = subprocess.run(
        [OCPP_LEDGER, "token", "create", "--admin"], env=env, capture_output=True, text=True, check=True
    )
    admin = {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}
    ok(server.client.post("/ocpp/locations", json={"name": "Globex depot"}, headers=globex), 201)

    acme_events = read_events(server, 1 + 4, headers={"Last-Event-ID": str(start)})[1:]
    globex_events = read_events(server, 2, headers={**globex, "Last-Event-ID": str(start)})[1:]
    assert {e.id for e in acme_events}.isdisjoint({e.id for e in globex_events})
    assert globex_events[0].data["change"] == "location_created"
    as_admin = read_events(
        server, 1 + 4, headers={**admin, "X-Organization-Id": "acme", "Last-Event-ID": str(start)}
    )[1:]
    assert [e.id for e in as_admin] == [e.id for e in acme_events]
    refused = server.client.get("/lab/stream", headers=admin)
    assert refused.status_code == 403
    assert httpx.get(f"{server.client.base_url}/lab/stream").status_code == 401


def test_a_position_the_ledger_never_reached_gets_a_reset(lab) -> None:
    server, _ = lab
    head = read_events(server, 1)[0].id
    reset = read_events(server, 1, headers={"Last-Event-ID": str(head + 1000)})[0]
    assert reset.kind == "reset" and reset.id == head
