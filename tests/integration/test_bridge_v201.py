"""The OCPP 2.0.1 charging station against a CSMS on the `ocpp` library, over real WebSockets.

Every payload is schema-checked on both sides (the lab fails a test whose CSMS saw a violation).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from ocpp.v201 import call

from domain.chargepoint import ChargePoint
from domain.clock import ScaledClock
from domain.commands import (
    Authorize,
    ClearFault,
    Configuration,
    ConfigurationItem,
    EvRequestsEnergy,
    EvStopsEnergy,
    InjectFault,
    PlugConnector,
    PowerUpdate,
    StartSession,
    StartTransaction,
    StopSession,
    StopTransaction,
    UnlockConnector,
    UnplugConnector,
)
from domain.protocol import FaultType, OcppVersion, StopReason
from gateway.context import Context
from ocpp_bridge.lab.csms import Behaviour, Csms, Received
from ocpp_bridge.runtime.bridge import Bridge
from ocpp_bridge.runtime.station import StationSettings
from tests.lab import SPEED, Lab, running_lab

CS = "CS-1"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


# --- helpers -----------------------------------------------------------------------------------------


async def boot(lab: Lab, identity: str = CS, connectors: int = 2, **registration: Any) -> UUID:
    """Register a 2.0.1 station (ABB Terra 184, two EVSEs, DC, unless told) and wait for its boot report."""
    charger = await lab.register(identity, OcppVersion.V201, **registration)
    await lab.csms.wait_for(lambda: len(lab.csms.messages(identity, "NotifyEvent")) >= connectors)
    return charger


def mark(lab: Lab, identity: str = CS) -> int:
    return len(lab.csms.messages(identity))


def since(lab: Lab, position: int, identity: str = CS) -> list[Received]:
    return lab.csms.messages(identity)[position:]


def tx(lab: Lab, identity: str = CS) -> list[dict[str, Any]]:
    return [m.payload for m in lab.csms.messages(identity, "TransactionEvent")]


def periodic(lab: Lab, identity: str = CS) -> list[dict[str, Any]]:
    return [p for p in tx(lab, identity) if p["trigger_reason"] == "MeterValuePeriodic"]


def describe(message: Received) -> str:
    p = message.payload
    if message.action == "StatusNotification":
        return f"Status:{p['evse_id']}:{p['connector_status']}"
    if message.action == "TransactionEvent":
        state = p["transaction_info"].get("charging_state")
        return ":".join(x for x in ("TE", p["event_type"], p["trigger_reason"], state) if x)
    if message.action == "NotifyEvent":
        e = p["event_data"][0]
        return f"Event:{e['component']['name']}.{e['variable']['name']}={e['actual_value']}"
    return message.action


def story(lab: Lab, position: int, identity: str = CS) -> list[str]:
    """What the station said since `position`, without heartbeats and periodic meter values."""
    return [
        describe(m)
        for m in since(lab, position, identity)
        if m.action != "Heartbeat"
        and not (m.action == "TransactionEvent" and m.payload["trigger_reason"] == "MeterValuePeriodic")
    ]


def samples(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["measurand"]: v for mv in event.get("meter_value", []) for v in mv["sampled_value"]}


def energy(event: dict[str, Any]) -> float:
    return samples(event)["Energy.Active.Import.Register"]["value"]


async def until(lab: Lab, condition: Any, timeout: float = 10.0) -> Any:
    return await lab.csms.wait_for(condition, timeout)


async def charging_session(lab: Lab, charger: UUID, evse: int = 1, **session: Any) -> str:
    outcome = await lab.run(charger, StartSession(id_tag="TAG-1", evse_id=evse, **session))
    assert outcome["status"] == "completed", outcome
    return outcome["result"]["transaction_id"]


# --- boot and sessions ----------------------------------------------------------------------------


async def test_a_station_boots_then_reports_each_connector_with_an_availability_event(lab: Lab) -> None:
    await lab.register(CS, OcppVersion.V201)
    await until(lab, lambda: "Heartbeat" in lab.csms.actions(CS))
    messages = lab.csms.messages(CS)
    assert {m.version for m in messages} == {"2.0.1"}
    assert [describe(m) for m in messages[:6]] == [
        "BootNotification",
        "Status:1:Available",
        "Event:Connector.AvailabilityState=Available",
        "Status:2:Available",
        "Event:Connector.AvailabilityState=Available",
        "Heartbeat",
    ]
    boot_request = messages[0].payload
    assert boot_request["reason"] == "PowerUp"
    assert boot_request["charging_station"] == {
        "model": "Terra 184",
        "vendor_name": "ABB",
        "serial_number": CS,
        "firmware_version": "ocpp-ledger 0.1",
    }
    status = messages[3].payload
    assert (status["evse_id"], status["connector_id"], status["connector_status"]) == (2, 1, "Available")
    event = messages[4].payload["event_data"][0]
    assert event["component"] == {"name": "Connector", "evse": {"id": 2, "connector_id": 1}}
    assert (event["trigger"], event["event_notification_type"]) == ("Delta", "HardWiredNotification")


async def test_a_session_runs_the_2_0_1_sequence_from_plug_to_unplug(lab: Lab) -> None:
    charger = await boot(lab)
    start = mark(lab)
    transaction_id = await charging_session(lab, charger)
    await until(lab, lambda: len(periodic(lab)) >= 2)
    stopped = await lab.run(charger, StopSession(evse_id=1))
    assert stopped["status"] == "completed", stopped

    assert story(lab, start) == [
        "Status:1:Occupied",
        "TE:Started:CablePluggedIn:EVConnected",
        "Authorize",
        "TE:Updated:Authorized",
        "TE:Updated:ChargingStateChanged:Charging",
        "TE:Updated:StopAuthorized",
        "TE:Updated:ChargingStateChanged:EVConnected",
        "Status:1:Available",
        "TE:Ended:EVCommunicationLost:Idle",
    ]
    events = tx(lab)
    assert uuid.UUID(transaction_id).version == 4
    assert {e["transaction_info"]["transaction_id"] for e in events} == {transaction_id}
    assert all(e["evse"] == {"id": 1, "connector_id": 1} for e in events)
    authorize = lab.csms.messages(CS, "Authorize")[0].payload
    assert authorize["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}
    authorized = next(e for e in events if e["trigger_reason"] == "Authorized")
    assert authorized["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}
    started, ended = events[0], events[-1]
    assert samples(started)["Energy.Active.Import.Register"]["context"] == "Transaction.Begin"
    assert samples(ended)["Energy.Active.Import.Register"]["context"] == "Transaction.End"
    assert ended["transaction_info"]["stopped_reason"] == "EVDisconnected"
    assert energy(ended) >= max(energy(e) for e in periodic(lab))
    assert stopped["result"]["energy_wh"] == energy(ended) - energy(started) > 0


async def test_seq_no_counts_from_zero_in_each_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    first = await charging_session(lab, charger)
    await until(lab, lambda: len(periodic(lab)) >= 2)
    await lab.run(charger, StopSession(evse_id=1))
    second = await charging_session(lab, charger)
    await until(lab, lambda: any(p["transaction_info"]["transaction_id"] == second for p in periodic(lab)))
    await lab.run(charger, StopSession(evse_id=1, reason=StopReason.LOCAL))

    assert first != second
    for transaction_id in (first, second):
        numbers = [e["seq_no"] for e in tx(lab) if e["transaction_info"]["transaction_id"] == transaction_id]
        assert numbers == list(range(len(numbers)))
        assert len(numbers) >= 5


@pytest.mark.parametrize(
    ("model", "phases"), [(("zaptec", "zaptec-go"), 3), (("abb", "terra-184"), 1)], ids=["ac", "dc"]
)
async def test_meter_values_are_monotone_and_power_agrees_with_voltage_and_current(
    lab: Lab, model: tuple[str, str], phases: int
) -> None:
    brand, model_slug = model
    charger = await boot(lab, connectors=1, brand=brand, model=model_slug)
    await charging_session(lab, charger)
    await until(lab, lambda: len(periodic(lab)) >= 4)

    readings = [samples(e) for e in periodic(lab)]
    energies = [r["Energy.Active.Import.Register"]["value"] for r in readings]
    assert energies == sorted(energies)
    assert energies[-1] > energies[0]
    for r in readings:
        assert {v["context"] for v in r.values()} == {"Sample.Periodic"}
        assert {m: v["unit_of_measure"]["unit"] for m, v in r.items()} == {
            "Energy.Active.Import.Register": "Wh",
            "Power.Active.Import": "W",
            "Current.Import": "A",
            "Voltage": "V",
            "SoC": "Percent",
        }
        assert r["SoC"]["location"] == "EV"
        power, volts, amps = (r[m]["value"] for m in ("Power.Active.Import", "Voltage", "Current.Import"))
        assert power == pytest.approx(volts * amps * phases, rel=1e-3)  # V and I are rounded
    assert all(p["transaction_info"]["charging_state"] == "Charging" for p in periodic(lab)[1:])


async def test_a_rejected_id_token_ends_the_transaction_started_at_plug(context: Context) -> None:
    async with running_lab(context, Behaviour(rejected_tags={"BAD"})) as lab:
        charger = await boot(lab)
        start = mark(lab)
        outcome = await lab.run(charger, StartSession(id_tag="BAD", evse_id=1))
        assert outcome["status"] == "failed"
        assert outcome["error"]["code"] == "id_tag_rejected"
        assert story(lab, start) == [
            "Status:1:Occupied",
            "TE:Started:CablePluggedIn:EVConnected",
            "Authorize",
            "TE:Ended:Deauthorized:EVConnected",
            "Status:1:Available",
        ]
        assert tx(lab)[-1]["transaction_info"]["stopped_reason"] == "DeAuthorized"


async def test_an_ev_pause_and_resume_change_the_charging_state(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    start = mark(lab)
    paused = await lab.run(charger, EvStopsEnergy(evse_id=1))
    assert paused["status"] == "completed", paused
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] == 0
    assert periodic(lab)[-1]["transaction_info"]["charging_state"] == "SuspendedEV"
    await lab.run(charger, EvRequestsEnergy(evse_id=1))
    assert story(lab, start) == [
        "TE:Updated:ChargingStateChanged:SuspendedEV",
        "TE:Updated:ChargingStateChanged:Charging",
    ]


async def test_a_power_update_sets_the_power_that_follows_and_zero_suspends_the_evse(lab: Lab) -> None:
    charger = await boot(lab, connectors=1, brand="zaptec", model="zaptec-go")
    await charging_session(lab, charger, power_w=11_000)
    await lab.run(charger, PowerUpdate(evse_id=1, power_w=4_000))
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] == 4_000

    start = mark(lab)
    await lab.run(charger, PowerUpdate(evse_id=1, power_w=0))
    await lab.run(charger, PowerUpdate(evse_id=1, power_w=7_000))
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert story(lab, start) == [
        "TE:Updated:ChargingStateChanged:SuspendedEVSE",
        "TE:Updated:ChargingStateChanged:Charging",
    ]
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] == 7_000


async def test_a_fault_is_reported_as_a_device_model_event_and_ends_the_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    transaction_id = await charging_session(lab, charger)
    start = mark(lab)
    raised = await lab.run(
        charger, InjectFault(evse_id=1, fault_type=FaultType.GROUND_FAILURE, info="RCD 30 mA")
    )
    assert raised["status"] == "completed", raised
    assert raised["result"]["status"] == "Faulted"
    assert story(lab, start) == [
        "Status:1:Faulted",
        "Event:RCD.Tripped=true",
        "TE:Ended:AbnormalCondition:EVConnected",
    ]
    event = lab.csms.messages(CS, "NotifyEvent")[-1].payload["event_data"][0]
    assert event["component"] == {"name": "RCD", "evse": {"id": 1}}
    assert (event["tech_code"], event["tech_info"], event["trigger"]) == (
        "GroundFailure",
        "RCD 30 mA",
        "Delta",
    )
    ended = tx(lab)[-1]
    assert ended["transaction_info"] == {
        "transaction_id": transaction_id,
        "charging_state": "EVConnected",
        "stopped_reason": "GroundFault",
    }
    refused = await lab.run(charger, StartSession(id_tag="TAG-1", evse_id=1))
    assert refused["status"] == "failed"

    start = mark(lab)
    cleared = await lab.run(charger, ClearFault(evse_id=1))
    assert cleared["status"] == "completed", cleared
    assert story(lab, start) == ["Event:RCD.Tripped=false", "Status:1:Occupied"]
    clear_event = lab.csms.messages(CS, "NotifyEvent")[-1].payload["event_data"][0]
    assert clear_event["cleared"] is True
    assert clear_event["cause"] == event["event_id"]


async def test_a_station_wide_fault_marks_every_connector_and_maps_other_codes_to_a_problem(lab: Lab) -> None:
    charger = await boot(lab)
    start = mark(lab)
    await lab.run(charger, InjectFault(connector_id=0, fault_type=FaultType.OVER_CURRENT_FAILURE))
    await lab.run(charger, ClearFault(connector_id=0))
    await lab.run(charger, InjectFault(evse_id=2, fault_type=FaultType.CONNECTOR_LOCK_FAILURE))
    await lab.run(charger, InjectFault(evse_id=1, fault_type=FaultType.WEAK_SIGNAL))
    assert story(lab, start) == [
        "Status:1:Faulted",
        "Status:2:Faulted",
        "Event:OverCurrentProtection.Operated=true",
        "Event:OverCurrentProtection.Operated=false",
        "Status:1:Available",
        "Status:2:Available",
        "Status:2:Faulted",
        "Event:ConnectorPlugRetentionLock.Problem=true",
        "Status:1:Faulted",
        "Event:DataLink.Problem=true",
    ]
    events = [m.payload["event_data"][0] for m in lab.csms.messages(CS, "NotifyEvent")[-4:]]
    assert "evse" not in events[0]["component"]
    assert events[2]["component"]["evse"] == {"id": 2, "connector_id": 1}
    assert events[3]["tech_code"] == "WeakSignal"


async def test_a_stop_with_a_reason_ends_the_transaction_at_once(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    start = mark(lab)
    stopped = await lab.run(charger, StopTransaction(evse_id=1, reason=StopReason.ENERGY_LIMIT_REACHED))
    assert stopped["result"]["status"] == "Stopped"
    await lab.run(charger, UnplugConnector(evse_id=1))
    assert story(lab, start) == ["TE:Ended:EnergyLimitReached:EVConnected", "Status:1:Available"]
    assert tx(lab)[-1]["transaction_info"]["stopped_reason"] == "EnergyLimitReached"


async def test_plug_then_authorize_then_start_transaction_commands(lab: Lab) -> None:
    charger = await boot(lab)
    start = mark(lab)
    plugged = await lab.run(charger, PlugConnector(evse_id=2))
    assert plugged["result"]["status"] == "Occupied"
    transaction_id = plugged["result"]["transaction_id"]
    authorized = await lab.run(charger, Authorize(evse_id=2, id_tag="TAG-2"))
    assert authorized["result"]["status"] == "Accepted"
    assert authorized["result"]["transaction_id"] == transaction_id
    again = await lab.run(charger, StartTransaction(evse_id=2, id_tag="TAG-2"))
    assert again["error"]["code"] == "transaction_running"
    started = await lab.run(charger, StartTransaction(evse_id=1, id_tag="TAG-3", meter_start_wh=1000))
    assert started["result"]["status"] == "Accepted"
    assert story(lab, start) == [
        "Status:2:Occupied",
        "TE:Started:CablePluggedIn:EVConnected",
        "Authorize",
        "TE:Updated:Authorized",
        "TE:Updated:ChargingStateChanged:Charging",
        "Status:1:Occupied",
        "TE:Started:CablePluggedIn:EVConnected",
        "TE:Updated:Authorized",
        "TE:Updated:ChargingStateChanged:Charging",
    ]
    second = next(e for e in tx(lab) if e["evse"]["id"] == 1 and e["event_type"] == "Started")
    assert energy(second) == 1000


async def test_a_cable_plugged_in_and_out_without_authorization_is_a_transaction_of_its_own(lab: Lab) -> None:
    charger = await boot(lab)
    start = mark(lab)
    command = await lab.queue(charger, PlugConnector(evse_id=1))
    plugged = await lab.outcome(command)
    unplugged = await lab.run(charger, UnplugConnector(evse_id=1))
    assert unplugged["result"]["transaction_id"] == plugged["result"]["transaction_id"]
    assert story(lab, start) == [
        "Status:1:Occupied",
        "TE:Started:CablePluggedIn:EVConnected",
        "Status:1:Available",
        "TE:Ended:EVCommunicationLost:Idle",
    ]
    assert all("id_token" not in e for e in tx(lab))
    numbers = [e["seq_no"] for e in tx(lab)]
    assert numbers == list(range(len(numbers)))
    frames = [e for e in lab.events(ChargePoint.FrameRecorded) if e.command_id == command]
    assert [(f.direction, f.action) for f in frames] == [
        ("cp_to_csms", "StatusNotification"),
        ("csms_to_cp", "StatusNotification"),
        ("cp_to_csms", "TransactionEvent"),
        ("csms_to_cp", "TransactionEvent"),
    ]


async def test_a_session_is_ended_by_the_policy_when_its_energy_target_is_reached(lab: Lab) -> None:
    charger = await boot(lab)
    start = mark(lab)
    await lab.run(charger, StartSession(id_tag="T", evse_id=1, target_energy_kwh=0.5, power_w=22_000))
    await until(lab, lambda: story(lab, start)[-1] == "Status:1:Available", timeout=20)
    assert story(lab, start)[-2:] == ["TE:Ended:EnergyLimitReached:EVConnected", "Status:1:Available"]
    ended = tx(lab)[-1]
    assert ended["transaction_info"]["stopped_reason"] == "EnergyLimitReached"
    assert energy(ended) - energy(tx(lab)[0]) >= 500


async def test_a_session_joining_a_transaction_begun_at_the_plug_is_also_stopped_by_its_limit(
    lab: Lab,
) -> None:
    charger = await boot(lab)
    await lab.run(charger, PlugConnector(evse_id=1))
    start = mark(lab)
    await lab.run(charger, StartSession(id_tag="T", evse_id=1, target_energy_kwh=0.5, power_w=22_000))
    await until(lab, lambda: story(lab, start)[-1] == "Status:1:Available", timeout=20)
    ended = tx(lab)[-1]
    assert ended["transaction_info"]["stopped_reason"] == "EnergyLimitReached"


# --- CSMS-initiated calls ------------------------------------------------------------------------------


async def test_request_start_transaction_without_a_cable_starts_then_the_ev_connects(lab: Lab) -> None:
    await boot(lab)
    start = mark(lab)
    answer = await lab.csms.call(
        CS,
        call.RequestStartTransaction(id_token={"id_token": "APP-1", "type": "Central"}, remote_start_id=42),
    )
    assert (answer.status, answer.transaction_id) == ("Accepted", None)
    await until(lab, lambda: "TE:Updated:ChargingStateChanged:Charging" in story(lab, start))
    assert story(lab, start) == [
        "TE:Started:RemoteStart:Idle",
        "Status:1:Occupied",
        "TE:Updated:CablePluggedIn:EVConnected",
        "TE:Updated:ChargingStateChanged:Charging",
    ]
    started = tx(lab)[0]
    assert started["transaction_info"]["remote_start_id"] == 42
    assert started["id_token"] == {"id_token": "APP-1", "type": "Central"}
    assert [e["seq_no"] for e in tx(lab)] == list(range(len(tx(lab))))

    refused = await lab.csms.call(
        CS,
        call.RequestStartTransaction(
            id_token={"id_token": "APP-1", "type": "Central"}, remote_start_id=43, evse_id=9
        ),
    )
    assert refused.status == "Rejected"


async def test_request_start_transaction_after_the_cable_authorizes_the_waiting_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    plugged = await lab.run(charger, PlugConnector(evse_id=2))
    start = mark(lab)
    answer = await lab.csms.call(
        CS,
        call.RequestStartTransaction(
            id_token={"id_token": "APP-2", "type": "Central"},
            remote_start_id=7,
            evse_id=2,
            charging_profile={
                "id": 5,
                "stack_level": 0,
                "charging_profile_purpose": "TxProfile",
                "charging_profile_kind": "Relative",
                "charging_schedule": [
                    {
                        "id": 1,
                        "charging_rate_unit": "W",
                        "charging_schedule_period": [{"start_period": 0, "limit": 20_000}],
                    }
                ],
            },
        ),
    )
    assert (answer.status, answer.transaction_id) == ("Accepted", plugged["result"]["transaction_id"])
    await until(lab, lambda: len(story(lab, start)) >= 2)
    assert story(lab, start) == ["TE:Updated:RemoteStart", "TE:Updated:ChargingStateChanged:Charging"]
    assert tx(lab)[-2]["transaction_info"]["remote_start_id"] == 7
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] <= 20_000

    busy = await lab.csms.call(
        CS,
        call.RequestStartTransaction(
            id_token={"id_token": "APP-3", "type": "Central"}, remote_start_id=8, evse_id=2
        ),
    )
    assert busy.status == "Rejected"


async def test_request_stop_transaction_ends_it_remotely(lab: Lab) -> None:
    charger = await boot(lab)
    transaction_id = await charging_session(lab, charger)
    unknown = await lab.csms.call(CS, call.RequestStopTransaction(transaction_id="no-such-transaction"))
    assert unknown.status == "Rejected"
    start = mark(lab)
    answer = await lab.csms.call(CS, call.RequestStopTransaction(transaction_id=transaction_id))
    assert answer.status == "Accepted"
    await until(lab, lambda: story(lab, start))
    assert story(lab, start) == ["TE:Ended:RemoteStop:EVConnected"]
    assert tx(lab)[-1]["transaction_info"]["stopped_reason"] == "Remote"
    status = await lab.csms.call(CS, call.GetTransactionStatus(transaction_id=transaction_id))
    assert (status.messages_in_queue, status.ongoing_indicator) == (False, False)


async def test_an_immediate_reset_ends_the_transaction_and_boots_again_for_remote_reset(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    start = mark(lab)
    answer = await lab.csms.call(CS, call.Reset(type="Immediate"))
    assert answer.status == "Accepted"
    await until(lab, lambda: len(lab.csms.messages(CS, "NotifyEvent")) >= 4)
    assert story(lab, start)[:4] == [
        "TE:Ended:ResetCommand:EVConnected",
        "BootNotification",
        "Status:1:Occupied",
        "Event:Connector.AvailabilityState=Occupied",
    ]
    assert tx(lab)[-1]["transaction_info"]["stopped_reason"] == "ImmediateReset"
    assert lab.csms.messages(CS, "BootNotification")[-1].payload["reason"] == "RemoteReset"
    assert lab.csms.connects[CS] == 2


async def test_an_on_idle_reset_is_scheduled_until_the_transaction_ends(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    answer = await lab.csms.call(CS, call.Reset(type="OnIdle"))
    assert answer.status == "Scheduled"
    assert len(lab.csms.messages(CS, "BootNotification")) == 1
    await lab.run(charger, StopSession(evse_id=1))
    await until(lab, lambda: len(lab.csms.messages(CS, "BootNotification")) == 2)
    assert lab.csms.messages(CS, "BootNotification")[-1].payload["reason"] == "RemoteReset"
    assert (await lab.csms.call(CS, call.Reset(type="OnIdle", evse_id=7))).status == "Rejected"


async def test_trigger_message_sends_the_requested_message(lab: Lab) -> None:
    charger = await boot(lab)
    assert (
        await lab.csms.call(CS, call.TriggerMessage(requested_message="BootNotification"))
    ).status == "Rejected"
    assert (
        await lab.csms.call(CS, call.TriggerMessage(requested_message="StatusNotification"))
    ).status == "Rejected"
    assert (
        await lab.csms.call(CS, call.TriggerMessage(requested_message="TransactionEvent"))
    ).status == "Rejected"
    not_implemented = await lab.csms.call(
        CS, call.TriggerMessage(requested_message="SignCombinedCertificate")
    )
    assert not_implemented.status == "NotImplemented"

    start = mark(lab)
    for requested, evse in (
        ("Heartbeat", None),
        ("StatusNotification", {"id": 2, "connector_id": 1}),
        ("MeterValues", {"id": 1}),
    ):
        answer = await lab.csms.call(CS, call.TriggerMessage(requested_message=requested, evse=evse))
        assert answer.status == "Accepted", requested
    await until(lab, lambda: "MeterValues" in lab.csms.actions(CS))
    assert "Heartbeat" in [m.action for m in since(lab, start)]
    assert story(lab, start) == ["Status:2:Available", "MeterValues"]
    meter = lab.csms.messages(CS, "MeterValues")[-1].payload
    assert meter["evse_id"] == 1
    assert {v["context"] for v in meter["meter_value"][0]["sampled_value"]} == {"Trigger"}

    await charging_session(lab, charger)
    answer = await lab.csms.call(
        CS, call.TriggerMessage(requested_message="TransactionEvent", evse={"id": 1})
    )
    assert answer.status == "Accepted"
    await until(lab, lambda: tx(lab)[-1]["trigger_reason"] == "Trigger")
    triggered = tx(lab)[-1]
    assert triggered["transaction_info"]["charging_state"] == "Charging"
    assert {v["context"] for v in triggered["meter_value"][0]["sampled_value"]} == {"Trigger"}


async def test_a_triggered_boot_notification_while_pending(context: Context) -> None:
    behaviour = Behaviour(boot_status="Pending", heartbeat_interval=3600)
    async with running_lab(context, behaviour) as lab:
        await lab.register(CS, OcppVersion.V201)
        await until(lab, lambda: lab.csms.messages(CS, "BootNotification"))
        behaviour.boot_status = "Accepted"
        answer = await lab.csms.call(CS, call.TriggerMessage(requested_message="BootNotification"))
        assert answer.status == "Accepted"
        await until(lab, lambda: len(lab.csms.messages(CS, "NotifyEvent")) >= 2)
        boots = [m.payload["reason"] for m in lab.csms.messages(CS, "BootNotification")]
        assert boots == ["PowerUp", "Triggered"]


async def test_unlock_connector_answers_by_the_state_of_the_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    ongoing = await lab.csms.call(CS, call.UnlockConnector(evse_id=1, connector_id=1))
    assert ongoing.status == "OngoingAuthorizedTransaction"
    assert (await lab.csms.call(CS, call.UnlockConnector(evse_id=2, connector_id=1))).status == "Unlocked"
    assert (
        await lab.csms.call(CS, call.UnlockConnector(evse_id=9, connector_id=1))
    ).status == "UnknownConnector"
    local = await lab.run(charger, UnlockConnector(evse_id=1))
    assert local["result"]["status"] == "OngoingAuthorizedTransaction"


async def test_change_availability_is_applied_now_or_scheduled_after_the_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    await charging_session(lab, charger)
    start = mark(lab)
    answer = await lab.csms.call(CS, call.ChangeAvailability(operational_status="Inoperative"))
    assert answer.status == "Scheduled"
    await until(lab, lambda: "Event:Connector.AvailabilityState=Unavailable" in story(lab, start))
    assert story(lab, start) == ["Status:2:Unavailable", "Event:Connector.AvailabilityState=Unavailable"]
    refused = await lab.run(charger, PlugConnector(evse_id=2))
    assert refused["error"]["code"] == "connector_unavailable"

    start = mark(lab)
    await lab.run(charger, StopSession(evse_id=1))
    await until(lab, lambda: "Event:Connector.AvailabilityState=Unavailable" in story(lab, start))
    assert story(lab, start) == [
        "TE:Updated:StopAuthorized",
        "TE:Updated:ChargingStateChanged:EVConnected",
        "Status:1:Available",
        "TE:Ended:EVCommunicationLost:Idle",
        "Status:1:Unavailable",
        "Event:Connector.AvailabilityState=Unavailable",
    ]

    start = mark(lab)
    answer = await lab.csms.call(CS, call.ChangeAvailability(operational_status="Operative", evse={"id": 2}))
    assert answer.status == "Accepted"
    await until(lab, lambda: len(story(lab, start)) >= 2)
    assert story(lab, start) == ["Status:2:Available", "Event:Connector.AvailabilityState=Available"]
    assert (
        await lab.csms.call(CS, call.ChangeAvailability(operational_status="Operative", evse={"id": 5}))
    ).status == "Rejected"


async def test_set_and_clear_charging_profile_limit_the_power(lab: Lab) -> None:
    charger = await boot(lab)

    def tx_profile(limit: float, unit: str = "W", transaction_id: str | None = None) -> dict[str, Any]:
        return {
            "id": 11,
            "stack_level": 1,
            "charging_profile_purpose": "TxProfile",
            "charging_profile_kind": "Relative",
            **({} if transaction_id is None else {"transaction_id": transaction_id}),
            "charging_schedule": [
                {
                    "id": 1,
                    "charging_rate_unit": unit,
                    "charging_schedule_period": [{"start_period": 0, "limit": limit}],
                }
            ],
        }

    idle = await lab.csms.call(CS, call.SetChargingProfile(evse_id=1, charging_profile=tx_profile(5_000)))
    assert idle.status == "Rejected"
    transaction_id = await charging_session(lab, charger, power_w=50_000)
    # A TxProfile names its transaction (K01.FR.03): a strict charger rejects one without.
    unnamed = await lab.csms.call(
        CS, call.SetChargingProfile(evse_id=1, charging_profile=tx_profile(25, "A"))
    )
    assert (unnamed.status, unnamed.status_info["reason_code"]) == ("Rejected", "MissingParam")
    limited = await lab.csms.call(
        CS, call.SetChargingProfile(evse_id=1, charging_profile=tx_profile(25, "A", transaction_id))
    )
    assert limited.status == "Accepted"
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] == 25 * 400

    assert (await lab.csms.call(CS, call.ClearChargingProfile(charging_profile_id=99))).status == "Unknown"
    cleared = await lab.csms.call(CS, call.ClearChargingProfile(charging_profile_id=11))
    assert cleared.status == "Accepted"
    count = len(periodic(lab))
    await until(lab, lambda: len(periodic(lab)) >= count + 2)
    assert samples(periodic(lab)[-1])["Power.Active.Import"]["value"] == 50_000
    nothing = await lab.csms.call(
        CS,
        call.ClearChargingProfile(charging_profile_criteria={"charging_profile_purpose": "TxDefaultProfile"}),
    )
    assert nothing.status == "Unknown"


async def test_get_and_set_variables_map_to_the_configuration(lab: Lab) -> None:
    await boot(lab)

    def item(
        component: str, variable: str, value: str | None = None, evse: Any = None, **more: Any
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"component": {"name": component}, "variable": {"name": variable}}
        if evse is not None:
            data["component"]["evse"] = evse
        if value is not None:
            data["attribute_value"] = value
        return {**data, **more}

    answer = await lab.csms.call(
        CS,
        call.SetVariables(
            set_variable_data=[
                item("OCPPCommCtrlr", "HeartbeatInterval", "120"),
                item("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register,SoC"),
                item("SampledDataCtrlr", "TxUpdatedMeasurands", "Frequency"),
                item("OCPPCommCtrlr", "WebSocketPingInterval", "30"),
                item("LocalAuthListCtrlr", "Entries", "5"),
                item("OCPPCommCtrlr", "NoSuchVariable", "1"),
                item("NoSuchCtrlr", "HeartbeatInterval", "1"),
                item("OCPPCommCtrlr", "HeartbeatInterval", "10", attribute_type="MaxSet"),
            ]
        ),
    )
    assert [r["attribute_status"] for r in answer.set_variable_result] == [
        "Accepted",
        "Accepted",
        "Rejected",
        "RebootRequired",
        "Rejected",
        "UnknownVariable",
        "UnknownComponent",
        "NotSupportedAttributeType",
    ]
    assert answer.set_variable_result[0]["component"] == {"name": "OCPPCommCtrlr"}

    values = await lab.csms.call(
        CS,
        call.GetVariables(
            get_variable_data=[
                item("OCPPCommCtrlr", "HeartbeatInterval"),
                item("SampledDataCtrlr", "TxUpdatedInterval"),
                item("TxCtrlr", "TxStartPoint"),
                item(
                    "Connector",
                    "AvailabilityState",
                    evse={"id": 2, "connector_id": 1},
                ),
                item("Connector", "AvailabilityState"),
                item("TxCtrlr", "Nope"),
            ]
        ),
    )
    assert [(r["attribute_status"], r.get("attribute_value")) for r in values.get_variable_result] == [
        ("Accepted", "120"),
        ("Accepted", "10"),
        ("Accepted", "EVConnected,Authorized"),
        ("Accepted", "Available"),
        ("UnknownComponent", None),
        ("UnknownVariable", None),
    ]
    station = next(iter(lab.bridge.stations.values()))
    assert station.heartbeat_interval == 120
    assert station.config("MeterValuesSampledData") == "Energy.Active.Import.Register,SoC"


async def test_configuration_commands_accept_component_variable_names(lab: Lab) -> None:
    charger = await boot(lab)
    outcome = await lab.run(
        charger,
        Configuration(
            configuration=[
                ConfigurationItem(key="SampledDataCtrlr.TxUpdatedInterval", value="5"),
                ConfigurationItem(key="HeartbeatInterval", value="90"),
                ConfigurationItem(key="Nothing.Here", value="1"),
            ]
        ),
    )
    assert [r["status"] for r in outcome["result"]["results"]] == ["Accepted", "Accepted", "NotSupported"]
    values = await lab.csms.call(
        CS,
        call.GetVariables(
            get_variable_data=[
                {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}},
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            ]
        ),
    )
    assert [r["attribute_value"] for r in values.get_variable_result] == ["5", "90"]


async def test_get_base_report_sends_notify_report_in_chunks(lab: Lab) -> None:
    await boot(lab)
    answer = await lab.csms.call(CS, call.GetBaseReport(request_id=3, report_base="FullInventory"))
    assert answer.status == "Accepted"
    await until(lab, lambda: any(m.payload["tbc"] is False for m in lab.csms.messages(CS, "NotifyReport")))
    reports = [m.payload for m in lab.csms.messages(CS, "NotifyReport")]
    assert len(reports) >= 2
    assert [r["seq_no"] for r in reports] == list(range(len(reports)))
    assert [r["tbc"] for r in reports] == [True] * (len(reports) - 1) + [False]
    assert {r["request_id"] for r in reports} == {3}
    data = [d for r in reports for d in r["report_data"]]
    assert all(len(r["report_data"]) <= 10 for r in reports)
    by_name = {(d["component"]["name"], d["variable"]["name"]): d for d in data}
    heartbeat = by_name[("OCPPCommCtrlr", "HeartbeatInterval")]
    assert heartbeat["variable_attribute"] == [
        {"type": "Actual", "value": "60", "mutability": "ReadWrite", "persistent": True}
    ]
    assert heartbeat["variable_characteristics"]["data_type"] == "integer"
    assert by_name[("TxCtrlr", "TxStopPoint")]["variable_attribute"][0]["mutability"] == "ReadWrite"

    summary = await lab.csms.call(CS, call.GetBaseReport(request_id=4, report_base="SummaryInventory"))
    assert summary.status == "Accepted"
    await until(lab, lambda: any(m.payload["request_id"] == 4 for m in lab.csms.messages(CS, "NotifyReport")))
    [only] = [m.payload for m in lab.csms.messages(CS, "NotifyReport") if m.payload["request_id"] == 4]
    assert {d["variable"]["name"] for d in only["report_data"]} == {"AvailabilityState"}


async def test_local_list_cache_data_transfer_and_transaction_status(lab: Lab) -> None:
    charger = await boot(lab)
    version = await lab.csms.call(CS, call.GetLocalListVersion())
    assert version.version_number == 0
    full = await lab.csms.call(
        CS,
        call.SendLocalList(
            version_number=3,
            update_type="Full",
            local_authorization_list=[
                {
                    "id_token": {"id_token": "LOCAL-1", "type": "ISO14443"},
                    "id_token_info": {"status": "Accepted"},
                },
                {
                    "id_token": {"id_token": "LOCAL-2", "type": "KeyCode"},
                    "id_token_info": {"status": "Blocked"},
                },
            ],
        ),
    )
    assert full.status == "Accepted"
    stale = await lab.csms.call(CS, call.SendLocalList(version_number=2, update_type="Differential"))
    assert stale.status == "VersionMismatch"
    removal = await lab.csms.call(
        CS,
        call.SendLocalList(
            version_number=4,
            update_type="Differential",
            local_authorization_list=[{"id_token": {"id_token": "LOCAL-2", "type": "KeyCode"}}],
        ),
    )
    assert removal.status == "Accepted"
    assert (await lab.csms.call(CS, call.GetLocalListVersion())).version_number == 4
    station = lab.station(charger)
    assert list(station.cp.local_list) == ["LOCAL-1"]

    await lab.run(charger, Authorize(evse_id=1, id_tag="TAG-9"))
    assert station.cp.auth_cache == {"TAG-9": "Accepted"}
    assert (await lab.csms.call(CS, call.ClearCache())).status == "Accepted"
    assert station.cp.auth_cache == {}

    echo = await lab.csms.call(
        CS, call.DataTransfer(vendor_id="ocpp-ledger", message_id="echo", data={"answer": 42})
    )
    assert (echo.status, echo.data) == ("Accepted", {"answer": 42})
    assert (await lab.csms.call(CS, call.DataTransfer(vendor_id="acme"))).status == "UnknownVendorId"

    transaction_id = await charging_session(lab, charger)
    status = await lab.csms.call(CS, call.GetTransactionStatus(transaction_id=transaction_id))
    assert (status.messages_in_queue, status.ongoing_indicator) == (False, True)
    anything = await lab.csms.call(CS, call.GetTransactionStatus())
    assert (anything.messages_in_queue, anything.ongoing_indicator) == (False, None)


# --- restarts ------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def restartable_lab(context: Context) -> AsyncIterator[tuple[Lab, Any]]:
    """A lab whose bridge can be stopped and replaced by a new one on the same ledger."""
    csms = Csms()
    await csms.start()
    clock = ScaledClock(SPEED)
    settings = StationSettings(
        response_timeout=5.0, connect_timeout=5.0, backoff_initial=1.0, backoff_max=5.0
    )
    running: list[asyncio.Task[None]] = []

    async def start_bridge() -> Bridge:
        bridge = Bridge(context.ledger, clock=clock, station_settings=settings, poll_seconds=0.2)
        running.append(asyncio.create_task(bridge.run()))
        await asyncio.wait_for(bridge.ready.wait(), 10)
        return bridge

    context.read.start()
    lab = Lab(ctx=context, csms=csms, bridge=await start_bridge(), clock=clock)

    async def restart() -> None:
        lab.bridge.stop()
        await asyncio.wait_for(running[-1], 15)
        lab.bridge = await start_bridge()

    try:
        yield lab, restart
    finally:
        lab.bridge.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running[-1], 15)
        await csms.stop()
        await asyncio.to_thread(context.read.stop)
        assert not csms.violations, f"the CSMS saw schema violations: {csms.violations}"


async def test_seq_no_and_the_transaction_survive_a_bridge_restart(context: Context) -> None:
    async with restartable_lab(context) as (lab, restart):
        charger = await boot(lab)
        transaction_id = await charging_session(lab, charger)
        await until(lab, lambda: len(periodic(lab)) >= 2)
        await restart()
        boots = len(lab.csms.messages(CS, "BootNotification"))
        assert boots == 1
        await until(lab, lambda: len(lab.csms.messages(CS, "BootNotification")) == 2)
        count = len(periodic(lab))
        await until(lab, lambda: len(periodic(lab)) >= count + 2)
        stopped = await lab.run(charger, StopSession(evse_id=1))
        assert stopped["status"] == "completed", stopped

        numbers = [e["seq_no"] for e in tx(lab)]
        assert {e["transaction_info"]["transaction_id"] for e in tx(lab)} == {transaction_id}
        assert numbers[0] == 0
        assert numbers == sorted(set(numbers))  # strictly increasing across both bridges
        assert tx(lab)[-1]["event_type"] == "Ended"
        persisted = [e.seq_no for e in lab.events(ChargePoint.SequenceAdvanced)]
        assert persisted[-1] == numbers[-1] + 1
