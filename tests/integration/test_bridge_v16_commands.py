"""Every API command on an OCPP 1.6 charger: the exact messages the CSMS receives, what the command
answers, and what the ledger recorded. The CSMS is the `ocpp` library's server side, schema validation on.

Sequences leave out Heartbeat and MeterValues (they interleave on their own schedule); MeterValues are
checked by what they carry. `Status 1 Charging` is a StatusNotification for connector 1.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from ocpp.v16 import call

from domain.chargepoint import ChargePoint
from domain.commands import (
    Authorize,
    CacheReset,
    ClearFault,
    ClearLocalAuthList,
    Configuration,
    ConfigurationItem,
    EvRequestsEnergy,
    EvStopsEnergy,
    InjectFault,
    LocalAuthList,
    LocalAuthListEntry,
    PlugConnector,
    PowerUpdate,
    ProxyMessage,
    StartSession,
    StartTransaction,
    StopSession,
    StopTransaction,
    UnlockConnector,
    UnplugConnector,
)
from domain.protocol import OcppVersion
from gateway.context import Context
from gateway.ocpp_schema import check_proxy_message
from ocpp_bridge.lab.csms import VIOLATIONS
from tests.integration.v16_support import (
    booted_charger,
    charging,
    fresh_sample,
    mark,
    more_meter_values,
    offline,
    received,
    recorded,
    sequence,
)
from tests.lab import SPEED, Lab, running_lab

CP = "CP-1"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def configure(**values: str) -> Configuration:
    return Configuration(configuration=[ConfigurationItem(key=k, value=v) for k, v in values.items()])


def frames_of(lab: Lab, charger: UUID, command_id: str) -> list[tuple[str, str | None]]:
    return [
        (f.direction, f.action)
        for f in recorded(lab, charger, ChargePoint.FrameRecorded)
        if str(f.command_id) == command_id
    ]


# --- cable, lock, authorization ----------------------------------------------------------------------


async def test_plugging_reports_preparing_and_unplugging_reports_available(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    plugged = await lab.run(charger, PlugConnector(connector_id=2))
    assert (plugged["status"], plugged["result"]["status"]) == ("completed", "Preparing")
    await received(lab, CP, at, ["Status 2 Preparing"])
    again = await lab.run(charger, PlugConnector(connector_id=2))
    assert (again["status"], again["error"]["code"]) == ("failed", "already_plugged")

    at = mark(lab, CP)
    unplugged = await lab.run(charger, UnplugConnector(connector_id=2))
    assert (unplugged["status"], unplugged["result"]["status"]) == ("completed", "Available")
    await received(lab, CP, at, ["Status 2 Available"])
    assert [
        (e.connector_id, str(e.command_id)) for e in recorded(lab, charger, ChargePoint.CablePlugged)
    ] == [(2, plugged["id"])]
    assert [str(e.command_id) for e in recorded(lab, charger, ChargePoint.CableUnplugged)] == [
        unplugged["id"]
    ]


async def test_unplugging_on_the_ev_side_during_a_transaction_finishes_and_stops_it(lab: Lab) -> None:
    charger = await booted_charger(lab)
    started = await lab.run(charger, StartTransaction(connector_id=1, id_tag="TAG-1"))
    at = mark(lab, CP)
    await lab.run(charger, UnplugConnector(connector_id=1))
    finishing, stop, _ = await received(
        lab, CP, at, ["Status 1 Finishing", "StopTransaction EVDisconnected", "Status 1 Available"]
    )
    assert finishing.payload["info"] == "EV side disconnected"
    assert stop.payload["transaction_id"] == int(started["result"]["transaction_id"])
    assert [e.reason for e in recorded(lab, charger, ChargePoint.TransactionStopped)] == ["EVDisconnected"]


async def test_without_stop_on_ev_side_disconnect_the_transaction_is_suspended_until_the_ev_returns(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, configure(StopTransactionOnEVSideDisconnect="false"))
    transaction_id = await charging(lab, charger)
    at = mark(lab, CP)
    await lab.run(charger, UnplugConnector(connector_id=1))
    (suspended,) = await received(lab, CP, at, ["Status 1 SuspendedEV"])
    assert suspended.payload["info"] == "EV side disconnected"
    assert lab.station(charger).cp.connectors[1].transaction_id == transaction_id
    sample = await fresh_sample(lab, CP)
    assert (sample["transaction_id"], float(sample["Power.Active.Import"])) == (int(transaction_id), 0.0)

    at = mark(lab, CP)
    await lab.run(charger, PlugConnector(connector_id=1))
    await received(lab, CP, at, ["Status 1 Charging"])
    assert not recorded(lab, charger, ChargePoint.TransactionStopped)


async def test_unlocking_stops_a_running_transaction_with_reason_unlock_command(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    idle = await lab.run(charger, UnlockConnector(connector_id=2))
    assert idle["result"]["status"] == "Unlocked"
    await charging(lab, charger, connector_id=1)
    assert sequence(lab, CP, at) == [
        "Status 1 Preparing",
        "Authorize",
        "StartTransaction",
        "Status 1 Charging",
    ]

    at = mark(lab, CP)
    unlocked = await lab.run(charger, UnlockConnector(connector_id=1))
    assert (unlocked["status"], unlocked["result"]["status"]) == ("completed", "Unlocked")
    await received(lab, CP, at, ["StopTransaction UnlockCommand", "Status 1 Finishing"])
    (stopped,) = recorded(lab, charger, ChargePoint.TransactionStopped)
    assert (stopped.reason, str(stopped.command_id)) == ("UnlockCommand", unlocked["id"])


async def test_authorize_asks_the_csms_and_answers_its_status(lab: Lab) -> None:
    lab.csms.behaviour.rejected_tags.add("STOLEN")
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    accepted = await lab.run(charger, Authorize(id_tag="GOOD"))
    rejected = await lab.run(charger, Authorize(id_tag="STOLEN"))
    assert (accepted["status"], accepted["result"]["status"]) == ("completed", "Accepted")
    assert (rejected["status"], rejected["result"]["status"]) == ("completed", "Invalid")
    asked = await received(lab, CP, at, ["Authorize", "Authorize"])
    assert [m.payload for m in asked] == [{"id_tag": "GOOD"}, {"id_tag": "STOLEN"}]
    assert [(e.id_tag, e.status, e.source) for e in recorded(lab, charger, ChargePoint.Authorized)] == [
        ("GOOD", "Accepted", "csms"),
        ("STOLEN", "Invalid", "csms"),
    ]
    assert frames_of(lab, charger, accepted["id"]) == [
        ("cp_to_csms", "Authorize"),
        ("csms_to_cp", "Authorize"),
    ]


# --- transactions and sessions ----------------------------------------------------------------------


async def test_start_and_stop_transaction_send_their_messages_with_the_given_meter_start_and_reason(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    started = await lab.run(charger, StartTransaction(connector_id=2, id_tag="TAG-2", meter_start_wh=1_000))
    assert started["status"] == "completed", started
    assert (started["result"]["status"], started["result"]["transaction_id"]) == ("Accepted", "1")
    _, start, _ = await received(lab, CP, at, ["Status 2 Preparing", "StartTransaction", "Status 2 Charging"])
    assert (start.payload["connector_id"], start.payload["id_tag"], start.payload["meter_start"]) == (
        2,
        "TAG-2",
        1_000,
    )
    busy = await lab.run(charger, StartTransaction(connector_id=2, id_tag="TAG-2"))
    assert (busy["status"], busy["error"]["code"]) == ("failed", "transaction_running")
    await more_meter_values(lab, CP, at, 2)

    at = mark(lab, CP)
    stopped = await lab.run(charger, StopTransaction(connector_id=2, reason="EmergencyStop"))
    assert stopped["status"] == "completed", stopped
    stop, _ = await received(lab, CP, at, ["StopTransaction EmergencyStop", "Status 2 Finishing"])
    assert stop.payload["transaction_id"] == 1
    assert stop.payload["meter_stop"] > 1_000
    assert stopped["result"]["energy_wh"] == stop.payload["meter_stop"] - 1_000
    again = await lab.run(charger, StopTransaction(connector_id=2))
    assert (again["status"], again["error"]["code"]) == ("failed", "no_transaction")
    (began,) = recorded(lab, charger, ChargePoint.TransactionStarted)
    (ended,) = recorded(lab, charger, ChargePoint.TransactionStopped)
    assert (began.transaction_id, began.meter_start_wh, str(began.command_id)) == ("1", 1_000, started["id"])
    assert (ended.reason, ended.meter_stop_wh) == ("EmergencyStop", stop.payload["meter_stop"])


async def test_a_session_plugs_authorizes_starts_and_stop_session_stops_with_the_reason_and_unplugs(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
    assert (started["status"], started["result"]["status"]) == ("completed", "Charging")
    await received(lab, CP, at, ["Status 1 Preparing", "Authorize", "StartTransaction", "Status 1 Charging"])
    at = mark(lab, CP)
    stopped = await lab.run(charger, StopSession(connector_id=1, reason="Other"))
    assert (stopped["status"], stopped["result"]["transaction_id"]) == ("completed", "1")
    await received(lab, CP, at, ["StopTransaction Other", "Status 1 Finishing", "Status 1 Available"])


async def test_the_ev_pausing_and_resuming_switches_charging_and_suspended_ev(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await charging(lab, charger)
    at = mark(lab, CP)
    paused = await lab.run(charger, EvStopsEnergy(connector_id=1))
    assert paused["result"]["status"] == "SuspendedEV"
    await received(lab, CP, at, ["Status 1 SuspendedEV"])
    assert float((await fresh_sample(lab, CP))["Power.Active.Import"]) == 0.0

    at = mark(lab, CP)
    resumed = await lab.run(charger, EvRequestsEnergy(connector_id=1))
    assert resumed["result"]["status"] == "Charging"
    await received(lab, CP, at, ["Status 1 Charging"])
    assert float((await fresh_sample(lab, CP))["Power.Active.Import"]) == 50_000.0
    assert [e.requesting for e in recorded(lab, charger, ChargePoint.EvDemandChanged)] == [False, True]


async def test_power_updates_cap_the_power_at_the_least_of_ev_model_and_update(lab: Lab) -> None:
    # Terra 184: 180 kW shared by two connectors, 90 kW each.
    charger = await booted_charger(lab)
    await charging(lab, charger, connector_id=1, power_w=60_000)
    await charging(lab, charger, connector_id=2, id_tag="TAG-2", power_w=150_000)

    async def power_after(connector_id: int, offered: float) -> float:
        updated = await lab.run(charger, PowerUpdate(connector_id=connector_id, power_w=offered))
        assert updated["status"] == "completed", updated
        return float((await fresh_sample(lab, CP, connector_id))["Power.Active.Import"])

    assert await power_after(1, 20_000) == 20_000  # the update
    assert await power_after(1, 120_000) == 60_000  # the EV
    assert await power_after(2, 120_000) == 90_000  # the charger model

    at = mark(lab, CP)
    assert await power_after(1, 0) == 0.0
    assert sequence(lab, CP, at) == ["Status 1 SuspendedEVSE"]
    at = mark(lab, CP)
    assert await power_after(1, 30_000) == 30_000
    assert sequence(lab, CP, at) == ["Status 1 Charging"]
    offered = [(e.connector_id, e.power_w) for e in recorded(lab, charger, ChargePoint.PowerOffered)]
    assert offered == [(1, 20_000), (1, 120_000), (2, 120_000), (1, 0), (1, 30_000)]


# --- faults -----------------------------------------------------------------------------------------


async def test_a_fault_during_a_transaction_faults_the_connector_stops_it_and_clears_back(lab: Lab) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    at = mark(lab, CP)
    fault = await lab.run(
        charger, InjectFault(connector_id=1, fault_type="GroundFailure", info="RCD tripped")
    )
    assert fault["result"] == {
        "msg": "fault raised",
        "fault_type": "GroundFailure",
        "evse_id": None,
        "connector_id": 1,
        "status": "Faulted",
    }
    faulted, stop = await received(
        lab, CP, at, ["Status 1 Faulted GroundFailure", "StopTransaction EmergencyStop"]
    )
    assert faulted.payload["info"] == "RCD tripped"
    assert stop.payload["transaction_id"] == int(transaction_id)
    refused = await lab.run(charger, StartTransaction(connector_id=1, id_tag="TAG-1"))
    assert (refused["status"], refused["error"]["code"]) == ("failed", "connector_unavailable")

    at = mark(lab, CP)
    cleared = await lab.run(charger, ClearFault(connector_id=1))
    assert (cleared["result"]["status"], cleared["result"]["fault_type"]) == ("Finishing", "GroundFailure")
    (back,) = await received(lab, CP, at, ["Status 1 Finishing"])
    assert back.payload["error_code"] == "NoError"
    assert [(e.connector_id, e.fault_type) for e in recorded(lab, charger, ChargePoint.FaultRaised)] == [
        (1, "GroundFailure")
    ]
    assert [e.connector_id for e in recorded(lab, charger, ChargePoint.FaultCleared)] == [1]


async def test_a_fault_on_connector_zero_faults_the_whole_charger_until_cleared(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, PlugConnector(connector_id=2))
    transaction_id = await charging(lab, charger, connector_id=1)
    at = mark(lab, CP)
    fault = await lab.run(charger, InjectFault(connector_id=0, fault_type="HighTemperature"))
    assert fault["result"]["status"] == "Faulted"
    _, _, stop, _ = await received(
        lab,
        CP,
        at,
        [
            "Status 0 Faulted HighTemperature",
            "Status 1 Faulted HighTemperature",
            "StopTransaction Other",
            "Status 2 Faulted HighTemperature",
        ],
    )
    assert stop.payload["transaction_id"] == int(transaction_id)
    refused = await lab.run(charger, StartTransaction(connector_id=2, id_tag="TAG-2"))
    assert (refused["status"], refused["error"]["code"]) == ("failed", "connector_unavailable")
    assert lab.station(charger).runtime[1].power_w == 0.0

    at = mark(lab, CP)
    cleared = await lab.run(charger, ClearFault(connector_id=0))
    assert cleared["result"]["status"] == "Available"
    back = await received(lab, CP, at, ["Status 0 Available", "Status 1 Finishing", "Status 2 Preparing"])
    assert {m.payload["error_code"] for m in back} == {"NoError"}
    again = await lab.run(charger, ClearFault(connector_id=0))
    assert (again["status"], again["error"]["code"]) == ("failed", "no_fault")


async def test_a_fault_on_an_idle_connector_returns_to_available(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    await lab.run(
        charger, InjectFault(connector_id=2, fault_type="ConnectorLockFailure", vendor_error_code="E42")
    )
    (faulted,) = await received(lab, CP, at, ["Status 2 Faulted ConnectorLockFailure"])
    assert faulted.payload["vendor_error_code"] == "E42"
    plug = await lab.run(charger, PlugConnector(connector_id=2))
    assert (plug["status"], plug["error"]["code"]) == ("failed", "connector_unavailable")
    at = mark(lab, CP)
    await lab.run(charger, ClearFault(connector_id=2))
    await received(lab, CP, at, ["Status 2 Available"])


# --- configuration ----------------------------------------------------------------------------------


async def test_configuration_answers_each_key_and_keeps_what_it_accepted(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    outcome = await lab.run(
        charger,
        configure(
            MeterValueSampleInterval="30",
            NumberOfConnectors="4",
            HeartbeatInterval="soon",
            WebSocketPingInterval="30",
            NoSuchKey="1",
        ),
    )
    assert outcome["status"] == "completed", outcome
    assert outcome["result"]["results"] == [
        {"key": "MeterValueSampleInterval", "status": "Accepted"},
        {"key": "NumberOfConnectors", "status": "Rejected"},
        {"key": "HeartbeatInterval", "status": "Rejected"},
        {"key": "WebSocketPingInterval", "status": "RebootRequired"},
        {"key": "NoSuchKey", "status": "NotSupported"},
    ]
    assert outcome["result"]["configured"] == ["MeterValueSampleInterval", "WebSocketPingInterval"]
    assert sequence(lab, CP, at) == []  # the charger's own settings: nothing goes to the CSMS
    changed = [(e.key, e.value) for e in recorded(lab, charger, ChargePoint.ConfigurationChanged)]
    assert changed == [("MeterValueSampleInterval", "30"), ("WebSocketPingInterval", "30")]
    answer = await lab.csms.call(
        CP, call.GetConfiguration(key=["MeterValueSampleInterval", "NumberOfConnectors", "HeartbeatInterval"])
    )
    assert {k["key"]: k["value"] for k in answer.configuration_key} == {
        "MeterValueSampleInterval": "30",
        "NumberOfConnectors": "2",
        "HeartbeatInterval": "60",
    }


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# Intervals are measured in simulated seconds, 100 to a real one: on a busy machine a message can be
# tens of milliseconds late, which is seconds of simulated time. Hence medians and a wide tolerance;
# the old interval stays far outside it.


async def test_a_changed_meter_value_sample_interval_spaces_the_samples_that_follow(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await charging(lab, charger)
    await more_meter_values(lab, CP, 0, 2)  # sampling every 10 s

    await lab.run(charger, configure(MeterValueSampleInterval="40"))
    at = mark(lab, CP)
    rows = await more_meter_values(lab, CP, at, 5)
    # The sample already scheduled comes on the old interval; those after it on the new one.
    after = gaps([r["timestamp"].timestamp() for r in rows[1:]])
    assert statistics.median(after) == pytest.approx(40, abs=10)


async def test_a_changed_heartbeat_interval_spaces_the_heartbeats_that_follow(lab: Lab) -> None:
    charger = await booted_charger(lab)  # the CSMS's boot answer set 60 s
    await lab.run(charger, configure(HeartbeatInterval="30"))
    at = mark(lab, CP)
    await lab.csms.wait_for(lambda: len([m for m in since_all(lab, at) if m.action == "Heartbeat"]) >= 6)
    beats = [m.at * SPEED for m in since_all(lab, at) if m.action == "Heartbeat"]
    # The beat already scheduled comes on the old interval; those after it on the new one.
    assert statistics.median(gaps(beats)[1:]) == pytest.approx(30, abs=10)


def since_all(lab: Lab, position: int) -> list:
    return lab.csms.messages(CP)[position:]


# --- local authorization list and cache ------------------------------------------------------------


async def test_the_local_list_version_must_grow_and_updates_are_full_or_differential(lab: Lab) -> None:
    charger = await booted_charger(lab)
    full = LocalAuthList(
        list_version=1,
        update_type="Full",
        entries=[
            LocalAuthListEntry(id_tag="A", status="Accepted"),
            LocalAuthListEntry(id_tag="B", status="Blocked"),
        ],
    )
    first = await lab.run(charger, full)
    assert first["result"] == {"status": "Accepted", "list_version": 1, "entries_received": 2}
    same = await lab.run(charger, full)
    assert same["result"] == {"status": "VersionMismatch", "list_version": 1, "entries_received": 2}
    differential = await lab.run(
        charger,
        LocalAuthList(
            list_version=2,
            update_type="Differential",
            entries=[LocalAuthListEntry(id_tag="B"), LocalAuthListEntry(id_tag="C", status="Expired")],
        ),
    )
    assert differential["result"] == {"status": "Accepted", "list_version": 2, "entries_received": 2}
    local_list = lab.station(charger).cp.local_list
    assert {tag: entry.status for tag, entry in local_list.items()} == {"A": "Accepted", "C": "Expired"}
    assert (await lab.csms.call(CP, call.GetLocalListVersion())).list_version == 2
    older_full = await lab.run(charger, LocalAuthList(list_version=2, update_type="Full"))
    assert older_full["result"]["status"] == "VersionMismatch"

    cleared = await lab.run(charger, ClearLocalAuthList())
    assert cleared["result"]["entries_deleted"] == 2
    assert (await lab.csms.call(CP, call.GetLocalListVersion())).list_version == 0
    changes = recorded(lab, charger, ChargePoint.LocalListChanged)
    assert [(e.version, e.update_type, e.removed) for e in changes] == [
        (1, "Full", []),
        (2, "Differential", ["B"]),
    ]
    assert [e.entries for e in recorded(lab, charger, ChargePoint.LocalListCleared)] == [2]


async def test_offline_the_local_list_decides_and_unknown_tags_fail(lab: Lab) -> None:
    lab.bridge.station_settings.online_wait = 0.2  # offline is the point here: do not wait for the CSMS
    charger = await booted_charger(lab)
    await lab.run(
        charger,
        LocalAuthList(
            list_version=1,
            update_type="Full",
            entries=[
                LocalAuthListEntry(id_tag="LOCAL-OK", status="Accepted"),
                LocalAuthListEntry(id_tag="LOCAL-BLOCKED", status="Blocked"),
            ],
        ),
    )
    await lab.csms.stop()
    await offline(lab, charger)

    ok = await lab.run(charger, Authorize(id_tag="LOCAL-OK"))
    blocked = await lab.run(charger, Authorize(id_tag="LOCAL-BLOCKED"))
    unknown = await lab.run(charger, Authorize(id_tag="NOBODY"))
    assert (ok["status"], ok["result"]["status"]) == ("completed", "Accepted")
    assert (blocked["status"], blocked["result"]["status"]) == ("completed", "Blocked")
    assert (unknown["status"], unknown["error"]["code"]) == ("failed", "charger_not_connected")
    assert frames_of(lab, charger, ok["id"]) == frames_of(lab, charger, blocked["id"]) == []
    assert [(e.id_tag, e.status, e.source) for e in recorded(lab, charger, ChargePoint.Authorized)] == [
        ("LOCAL-OK", "Accepted", "local"),
        ("LOCAL-BLOCKED", "Blocked", "local"),
    ]

    await lab.run(charger, configure(LocalAuthorizeOffline="false"))
    refused = await lab.run(charger, Authorize(id_tag="LOCAL-OK"))
    assert (refused["status"], refused["error"]["code"]) == ("failed", "charger_not_connected")
    await lab.run(charger, configure(LocalAuthorizeOffline="true"))
    await lab.run(charger, ClearLocalAuthList())
    forgotten = await lab.run(charger, Authorize(id_tag="LOCAL-OK"))
    assert (forgotten["status"], forgotten["error"]["code"]) == ("failed", "charger_not_connected")
    await lab.run(charger, configure(AllowOfflineTxForUnknownId="true"))
    anyone = await lab.run(charger, Authorize(id_tag="NOBODY"))
    assert (anyone["status"], anyone["result"]["status"]) == ("completed", "Accepted")


async def test_offline_the_authorization_cache_decides_until_it_is_reset(lab: Lab) -> None:
    lab.bridge.station_settings.online_wait = 0.2  # offline is the point here: do not wait for the CSMS
    lab.csms.behaviour.rejected_tags.add("STOLEN")
    charger = await booted_charger(lab)
    await lab.run(charger, Authorize(id_tag="REGULAR"))
    await lab.run(charger, Authorize(id_tag="STOLEN"))
    await lab.csms.stop()
    await offline(lab, charger)

    regular = await lab.run(charger, Authorize(id_tag="REGULAR"))
    stolen = await lab.run(charger, Authorize(id_tag="STOLEN"))
    assert (regular["status"], regular["result"]["status"]) == ("completed", "Accepted")
    assert (stolen["status"], stolen["result"]["status"]) == ("completed", "Invalid")
    assert frames_of(lab, charger, regular["id"]) == []
    reset = await lab.run(charger, CacheReset())
    assert reset["result"] == {"msg": "authorization cache cleared", "cleared_entries": 2}
    forgotten = await lab.run(charger, Authorize(id_tag="REGULAR"))
    assert (forgotten["status"], forgotten["error"]["code"]) == ("failed", "charger_not_connected")
    assert [e.entries for e in recorded(lab, charger, ChargePoint.AuthCacheCleared)] == [2]


async def test_local_pre_authorize_answers_a_listed_tag_without_asking_the_csms(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, configure(LocalPreAuthorize="true"))
    await lab.run(
        charger,
        LocalAuthList(list_version=1, update_type="Full", entries=[LocalAuthListEntry(id_tag="FLEET-7")]),
    )
    at = mark(lab, CP)
    listed = await lab.run(charger, Authorize(id_tag="FLEET-7"))
    unlisted = await lab.run(charger, Authorize(id_tag="GUEST"))
    assert (listed["result"]["status"], unlisted["result"]["status"]) == ("Accepted", "Accepted")
    asked = await received(lab, CP, at, ["Authorize"])
    assert asked[0].payload == {"id_tag": "GUEST"}


# --- proxy-message ------------------------------------------------------------------------------------


async def test_a_proxied_data_transfer_returns_the_csms_answer(lab: Lab) -> None:
    charger = await booted_charger(lab)
    message = check_proxy_message(
        ProxyMessage(
            action="data_transfer",
            payload={"vendor_id": "com.example", "message_id": "ping", "data": "hello"},
        ),
        OcppVersion.V16,
    )
    at = mark(lab, CP)
    outcome = await lab.run(charger, message)
    assert outcome["status"] == "completed", outcome
    assert outcome["result"]["response"] == {
        "message_type": "CALLRESULT",
        "payload": {"status": "Accepted", "data": "hello"},
    }
    (sent,) = await received(lab, CP, at, ["DataTransfer"])
    assert sent.payload == {"vendor_id": "com.example", "message_id": "ping", "data": "hello"}
    assert frames_of(lab, charger, outcome["id"]) == [
        ("cp_to_csms", "DataTransfer"),
        ("csms_to_cp", "DataTransfer"),
    ]


async def test_an_unvalidated_malformed_proxy_message_returns_the_csms_callerror(lab: Lab) -> None:
    charger = await booted_charger(lab)
    message = check_proxy_message(
        ProxyMessage(action="StatusNotification", payload={"connector_id": 1}, validate_payload=False),
        OcppVersion.V16,
    )
    outcome = await lab.run(charger, message)
    assert outcome["status"] == "completed", outcome
    response = outcome["result"]["response"]
    assert response["message_type"] == "CALLERROR"
    assert response["error_code"] in VIOLATIONS
    # Sending a malformed call is what this test asks for, so the CSMS rightly counts one schema
    # violation; clear it, or the lab's teardown (which fails on any violation) would fail this test.
    ((identity, raw),) = lab.csms.violations
    assert identity == CP
    assert response["error_code"] in raw
    lab.csms.violations.clear()
    assert lab.station(charger).cp.connectors[1].status == "Available"


# --- the meter ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("brand", "model", "power_w", "phases"),
    [("abb", "terra-184", 50_000, 1), ("abb", "terra-ac-w22", 11_000, 3)],
    ids=["dc", "ac"],
)
async def test_the_meter_integrates_power_into_a_monotone_register_with_consistent_volts_and_amps(
    lab: Lab, brand: str, model: str, power_w: float, phases: int
) -> None:
    charger = await booted_charger(lab, brand=brand, model=model)
    await charging(lab, charger, power_w=power_w)
    rows = await more_meter_values(lab, CP, 0, 5)
    stopped = await lab.run(charger, StopTransaction(connector_id=1))
    assert stopped["status"] == "completed"

    registers = [r["Energy.Active.Import.Register"] for r in rows]
    assert all(value.isdigit() for value in registers), registers  # whole Wh
    energy = [int(value) for value in registers]
    assert energy == sorted(energy)
    assert energy[-1] > energy[0]
    start = lab.csms.messages(CP, "StartTransaction")[0].payload["meter_start"]
    stop = lab.csms.messages(CP, "StopTransaction")[0].payload["meter_stop"]
    assert start <= energy[0]
    assert energy[-1] <= stop
    for r in rows:
        volts, amps, watts = float(r["Voltage"]), float(r["Current.Import"]), float(r["Power.Active.Import"])
        assert watts == power_w
        assert volts * amps * phases == pytest.approx(watts, abs=0.005 * volts * phases + 0.05 * amps)
    if phases == 3:
        assert {float(r["Voltage"]) for r in rows} == {230.0}
    hours = (rows[-1]["timestamp"] - rows[0]["timestamp"]).total_seconds() / 3600
    assert energy[-1] - energy[0] == pytest.approx(power_w * hours, rel=0.05, abs=3)
    soc = [float(r["SoC"]) for r in rows]
    assert soc == sorted(soc)
    assert soc[-1] > soc[0]
