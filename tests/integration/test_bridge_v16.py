"""The OCPP 1.6 charge point against a CSMS on the `ocpp` library, over real WebSockets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.commands import PlugConnector, StartSession, StopSession
from gateway.context import Context
from tests.lab import Lab, running_lab


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def test_a_charger_boots_and_reports_every_connector(lab: Lab) -> None:
    await lab.register("CP-1")
    await lab.csms.wait_for(lambda: len(lab.csms.messages("CP-1", "StatusNotification")) >= 3)
    boot = lab.csms.messages("CP-1", "BootNotification")[0].payload
    assert (boot["charge_point_vendor"], boot["charge_point_model"]) == ("ABB", "Terra 184")
    statuses = [
        (m.payload["connector_id"], m.payload["status"])
        for m in lab.csms.messages("CP-1", "StatusNotification")
    ]
    assert statuses[:3] == [(0, "Available"), (1, "Available"), (2, "Available")]


async def test_a_session_runs_plug_authorize_start_meter_stop_unplug(lab: Lab) -> None:
    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
    assert started["status"] == "completed", started
    assert started["result"]["transaction_id"] == "1"
    await lab.csms.wait_for(lambda: len(lab.csms.messages("CP-1", "MeterValues")) >= 2)
    stopped = await lab.run(charger, StopSession(connector_id=1))
    assert stopped["status"] == "completed", stopped

    sequence = [
        m.action if m.action != "StatusNotification" else f"Status:{m.payload['status']}"
        for m in lab.after_boot("CP-1")
        if m.action != "MeterValues"
    ]
    assert sequence == [
        "Status:Preparing",
        "Authorize",
        "StartTransaction",
        "Status:Charging",
        "StopTransaction",
        "Status:Finishing",
        "Status:Available",
    ]
    stop = lab.csms.messages("CP-1", "StopTransaction")[0].payload
    assert stop["reason"] == "Local"
    assert stop["transaction_id"] == 1
    energies = [
        int(v["value"])
        for m in lab.csms.messages("CP-1", "MeterValues")
        for v in m.payload["meter_value"][0]["sampled_value"]
        if v["measurand"] == "Energy.Active.Import.Register"
    ]
    assert energies == sorted(energies)
    assert stop["meter_stop"] >= energies[-1]


async def test_a_rejected_id_tag_stops_the_session_before_a_transaction(context: Context) -> None:
    from ocpp_bridge.lab.csms import Behaviour

    async with running_lab(context, Behaviour(rejected_tags={"BAD"})) as lab:
        charger = await lab.register("CP-1")
        await lab.booted("CP-1")
        outcome = await lab.run(charger, StartSession(id_tag="BAD"))
        assert outcome["status"] == "failed"
        assert outcome["error"]["code"] == "id_tag_rejected"
        assert "StartTransaction" not in lab.csms.actions("CP-1")
        statuses = [m.payload["status"] for m in lab.csms.messages("CP-1", "StatusNotification")]
        assert statuses[-2:] == ["Preparing", "Available"]


async def test_every_frame_is_recorded_with_the_command_that_caused_it(lab: Lab) -> None:
    from domain.chargepoint import ChargePoint

    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    command = await lab.queue(charger, PlugConnector(connector_id=2))
    await lab.outcome(command)
    frames = [e for e in lab.events(ChargePoint.FrameRecorded) if e.command_id == command]
    assert [(f.direction, f.action) for f in frames] == [
        ("cp_to_csms", "StatusNotification"),
        ("csms_to_cp", "StatusNotification"),
    ]
    dispatched = [e for e in lab.events(ChargePoint.CommandDispatched) if e.command_id == command]
    assert len(dispatched) == 1
    sent = [f for f in lab.csms.frames if f.identity == "CP-1" and f.direction == "cp_to_csms"]
    recorded = [e.raw for e in lab.events(ChargePoint.FrameRecorded) if e.direction == "cp_to_csms"]
    assert [f.raw for f in sent] == recorded[: len(sent)]


async def test_a_session_is_stopped_by_the_policy_when_its_energy_target_is_reached(lab: Lab) -> None:
    from domain.charger import Charger

    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    started = await lab.run(charger, StartSession(id_tag="T", target_energy_kwh=0.5, power_w=22_000))
    assert started["status"] == "completed"
    await lab.csms.wait_for(lambda: lab.csms.messages("CP-1", "StopTransaction"), timeout=20)
    stop = lab.csms.messages("CP-1", "StopTransaction")[0].payload
    start = lab.csms.messages("CP-1", "StartTransaction")[0].payload
    assert stop["meter_stop"] - start["meter_start"] >= 500
    [queued] = [e for e in lab.events(Charger.CommandQueued) if e.event_type == "stop_session"]
    assert queued.origin == "auto_stop:energy"


async def test_a_session_is_stopped_by_the_policy_when_its_duration_is_over(lab: Lab) -> None:
    from domain.charger import Charger

    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    await lab.run(charger, StartSession(id_tag="T", duration_seconds=120))
    await lab.csms.wait_for(lambda: lab.csms.messages("CP-1", "StopTransaction"), timeout=20)
    start = lab.csms.messages("CP-1", "StartTransaction")[0].payload["timestamp"]
    stop = lab.csms.messages("CP-1", "StopTransaction")[0].payload["timestamp"]
    from datetime import datetime

    elapsed = (
        datetime.fromisoformat(stop.replace("Z", "+00:00"))
        - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()
    assert elapsed >= 120
    [queued] = [e for e in lab.events(Charger.CommandQueued) if e.event_type == "stop_session"]
    assert queued.origin == "auto_stop:duration"
