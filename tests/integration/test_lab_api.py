"""The lab's own routes over a real bridge and CSMS (both backends): trace pages keyed by position,
filters, a session's meter samples and the per-charger figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from domain.commands import StartSession, StopSession
from domain.ids import charge_point_id
from gateway.context import Context
from projections.message_log import frames
from tests.conftest import issue_token
from tests.lab import Lab, running_lab
from webui.app import create_app

RECORDINGS = Path(__file__).resolve().parents[2] / "replays" / "recordings"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


@pytest.fixture
async def api(lab: Lab) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(lab.ctx.settings, lab.ctx)  # its lifespan is not run: the lab runs the read side
    headers = {"Authorization": f"Bearer {issue_token(lab.ctx, 'acme')}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lab", headers=headers) as client:
        yield client


def frame_count(lab: Lab, charger: UUID) -> int:
    with lab.ctx.read.db.reader() as cur:
        return frames(cur, str(charge_point_id(charger)), 1, 0)[1]


async def get(api: httpx.AsyncClient, url: str, **params: str | int) -> dict[str, Any]:
    answer = await api.get(url, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_trace_pages_follow_each_other_by_position_and_filter_in_the_database(lab: Lab, api) -> None:
    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    url = f"/lab/api/chargers/{charger}/frames"
    # Boot and three status reports, each a call and its answer: wait for the last answer's record.
    await asyncio.to_thread(
        lab.ctx.read.wait_until, "message_log", lambda: frame_count(lab, charger) >= 8 or None, 10
    )
    whole = (await get(api, url, limit=1000))["data"]
    assert len(whole) >= 8
    # Frames keep coming (heartbeats): page from a fixed position, as the page's "older" does.
    newest = await get(api, url, limit=3, before=whole[-1]["position"] + 1)
    assert newest["has_older"] and newest["data"] == whole[-3:]
    older = await get(api, url, limit=3, before=newest["data"][0]["position"])
    assert older["data"] == whole[-6:-3]
    after = await get(api, url, limit=2, after=whole[1]["position"])
    assert after["data"] == whole[2:4]
    calls = (await get(api, url, action="StatusNotification", direction="cp_to_csms"))["data"]
    assert calls and all(f["action"] == "StatusNotification" and f["message_type"] == 2 for f in calls)
    found = (await get(api, url, q="bootnotification"))["data"]
    assert found and all("bootnotification" in f["message"].lower() for f in found)
    refused = await api.get(url, params={"direction": "sideways"})
    assert refused.status_code == 422


async def test_a_sessions_meter_samples_and_the_per_charger_figures(lab: Lab, api) -> None:
    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
    await lab.csms.wait_for(lambda: len(lab.csms.messages("CP-1", "MeterValues")) >= 3)
    await lab.run(charger, StopSession(connector_id=1))
    transaction = started["result"]["transaction_id"]
    sessions = (await get(api, f"/lab/api/chargers/{charger}/sessions"))["data"]
    assert [s["transaction_id"] for s in sessions] == [transaction]
    samples = (await get(api, f"/lab/api/chargers/{charger}/sessions/{transaction}/samples"))["data"]
    assert len(samples) >= 3
    energies = [s["energy_wh"] for s in samples]
    assert energies == sorted(energies) and samples[0]["power_w"] > 0
    assert sessions[0]["meter_stop_wh"] >= energies[-1]
    figures = (await get(api, "/lab/api/analytics/chargers"))["data"]
    assert figures == [
        {
            "charger_id": str(charger),
            "identity": "CP-1",
            "location_id": None,
            "sessions": 1,
            "energy_kwh": round((sessions[0]["meter_stop_wh"] - sessions[0]["meter_start_wh"]) / 1000, 3),
            "faults": 0,
        }
    ]
    assert (await get(api, "/lab/api/fleet", charger_id="CP-1"))["chargers"][0]["id"] == str(charger)


async def test_what_is_not_a_usable_recording_is_refused_naming_the_field(api) -> None:
    ndjson = {"content-type": "application/x-ndjson"}
    answer = await api.post("/lab/api/recordings/inspect", content=b"not a recording\n", headers=ndjson)
    assert answer.status_code == 422 and "recording" in answer.text
    kept = (RECORDINGS / "session-ocpp16.jsonl").read_text()
    lines = kept.splitlines()
    cut = "\n".join(lines[:-1]) + "\n"  # the last event missing
    inspected = await api.post("/lab/api/recordings/inspect", content=cut.encode(), headers=ndjson)
    assert inspected.status_code == 200 and inspected.json()["intact"] is False
    assert "truncated" in inspected.json()["broken"]["reason"]
    refused = await api.post("/lab/api/recordings/diff", json={"before": kept, "after": cut})
    assert refused.status_code == 422 and "after" in refused.text
    same = await api.post("/lab/api/recordings/diff", json={"before": kept, "after": kept})
    assert same.status_code == 200 and same.json()["same"] is True
