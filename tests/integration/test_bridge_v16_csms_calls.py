"""Calls the CSMS makes to an OCPP 1.6 charger: answered as a real charger would, followed up with the
messages the specification asks for, and recorded in the ledger (the CSMS's CALL and our answer).
Also: the connection dropped by the CSMS, and the CSMS down for a while.

Sequences leave out Heartbeat and MeterValues; `settled()` ends a sequence with a triggered
`Status 0 ...` once everything before it is done (see tests.integration.v16_support).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v16 import call

from domain.chargepoint import ChargePoint
from domain.commands import Authorize, InjectFault, PlugConnector, StopTransaction
from gateway.context import Context
from ocpp_bridge.core import configuration
from ocpp_bridge.lab.csms import Behaviour
from tests.integration.v16_support import (
    booted_charger,
    charging,
    fresh_sample,
    ledger_answers,
    ledger_until,
    mark,
    meter_values,
    more_meter_values,
    offline,
    received,
    recorded,
    sequence,
    settled,
)
from tests.lab import Lab, running_lab

CP = "CP-1"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def profile(purpose: str, limit: float, unit: str = "W", transaction_id: int | None = None) -> dict[str, Any]:
    return {
        "charging_profile_id": 7,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute" if transaction_id is None else "Relative",
        **({} if transaction_id is None else {"transaction_id": transaction_id}),
        "charging_schedule": {
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        },
    }


async def power_settles_at(lab: Lab, connector_id: int = 1) -> float:
    return float((await fresh_sample(lab, CP, connector_id))["Power.Active.Import"])


# --- remote start and stop --------------------------------------------------------------------------


async def test_an_accepted_remote_start_prepares_starts_and_charges(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1", connector_id=2))
    assert answer.status == "Accepted"
    _, start, _ = await received(lab, CP, at, ["Status 2 Preparing", "StartTransaction", "Status 2 Charging"])
    assert (start.payload["connector_id"], start.payload["id_tag"]) == (2, "REMOTE-1")
    assert ledger_answers(lab, charger, "RemoteStartTransaction") == [{"status": "Accepted"}]
    (started,) = recorded(lab, charger, ChargePoint.TransactionStarted)
    assert (started.connector_id, started.id_tag, started.command_id) == (2, "REMOTE-1", None)


async def test_with_authorize_remote_tx_requests_a_remote_start_authorizes_first(lab: Lab) -> None:
    lab.csms.behaviour.rejected_tags.add("REMOTE-BAD")
    charger = await booted_charger(lab)
    changed = await lab.csms.call(CP, call.ChangeConfiguration(key="AuthorizeRemoteTxRequests", value="true"))
    assert changed.status == "Accepted"
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1"))  # any free connector
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 1 Preparing", "Authorize", "StartTransaction", "Status 1 Charging"])

    at = mark(lab, CP)
    refused = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-BAD", connector_id=2))
    assert refused.status == "Accepted"  # "will try": the CSMS's own Authorize answer then refuses it
    await settled(lab, CP)
    assert sequence(lab, CP, at) == ["Status 2 Preparing", "Authorize", "Status 0 Available"]
    assert len(recorded(lab, charger, ChargePoint.TransactionStarted)) == 1


async def test_a_remote_start_on_a_busy_or_faulted_connector_is_rejected(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await charging(lab, charger, connector_id=1)
    await lab.run(charger, InjectFault(connector_id=2, fault_type="PowerSwitchFailure"))
    at = mark(lab, CP)
    busy = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1", connector_id=1))
    faulted = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1", connector_id=2))
    anywhere = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1"))
    assert (busy.status, faulted.status, anywhere.status) == ("Rejected", "Rejected", "Rejected")
    await settled(lab, CP)
    assert sequence(lab, CP, at) == ["Status 0 Available"]
    assert ledger_answers(lab, charger, "RemoteStartTransaction") == [{"status": "Rejected"}] * 3


async def test_a_remote_stop_stops_with_reason_remote_and_an_unknown_id_is_rejected(lab: Lab) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    unknown = await lab.csms.call(CP, call.RemoteStopTransaction(transaction_id=999))
    assert unknown.status == "Rejected"
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.RemoteStopTransaction(transaction_id=int(transaction_id)))
    assert answer.status == "Accepted"
    stop, _ = await received(lab, CP, at, ["StopTransaction Remote", "Status 1 Finishing"])
    assert stop.payload["transaction_id"] == int(transaction_id)
    assert ledger_answers(lab, charger, "RemoteStopTransaction") == [
        {"status": "Rejected"},
        {"status": "Accepted"},
    ]
    assert [e.reason for e in recorded(lab, charger, ChargePoint.TransactionStopped)] == ["Remote"]


# --- reset ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "reason"), [("Soft", "SoftReset"), ("Hard", "HardReset")])
async def test_a_reset_stops_transactions_reconnects_and_boots_again(
    lab: Lab, kind: str, reason: str
) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.Reset(type=kind))
    assert answer.status == "Accepted"
    stop, *_ = await received(
        lab,
        CP,
        at,
        [
            f"StopTransaction {reason}",
            "Status 1 Finishing",
            "BootNotification",
            "Status 0 Available",
            "Status 1 Finishing",
            "Status 2 Available",
        ],
    )
    assert stop.payload["transaction_id"] == int(transaction_id)
    assert lab.csms.connects[CP] == 2
    assert [e.reason for e in recorded(lab, charger, ChargePoint.TransactionStopped)] == [reason]
    assert [e.reason for e in recorded(lab, charger, ChargePoint.Disconnected)] == ["rebooting"]
    assert [e.status for e in recorded(lab, charger, ChargePoint.BootAnswered)] == ["Accepted", "Accepted"]


# --- configuration ----------------------------------------------------------------------------------


async def test_change_and_get_configuration_answer_per_key(lab: Lab) -> None:
    charger = await booted_charger(lab)
    changes = [
        ("HeartbeatInterval", "30", "Accepted"),
        ("NumberOfConnectors", "4", "Rejected"),
        ("MeterValueSampleInterval", "often", "Rejected"),
        ("WebSocketPingInterval", "30", "RebootRequired"),
        ("NoSuchKey", "1", "NotSupported"),
    ]
    for key, value, expected in changes:
        answer = await lab.csms.call(CP, call.ChangeConfiguration(key=key, value=value))
        assert answer.status == expected, key
    assert lab.station(charger).heartbeat_interval == 30

    answer = await lab.csms.call(
        CP, call.GetConfiguration(key=["HeartbeatInterval", "NumberOfConnectors", "NoSuchKey"])
    )
    assert answer.configuration_key == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "30"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    assert answer.unknown_key == ["NoSuchKey"]
    everything = await lab.csms.call(CP, call.GetConfiguration())
    assert [k["key"] for k in everything.configuration_key] == list(configuration.KEYS)
    assert everything.unknown_key is None

    assert [
        (e.key, e.value, e.command_id) for e in recorded(lab, charger, ChargePoint.ConfigurationChanged)
    ] == [
        ("HeartbeatInterval", "30", None),
        ("WebSocketPingInterval", "30", None),
    ]
    assert ledger_answers(lab, charger, "ChangeConfiguration") == [{"status": s} for _, _, s in changes]


async def test_the_boot_interval_becomes_the_heartbeat_interval_key(context: Context) -> None:
    async with running_lab(context, Behaviour(heartbeat_interval=25)) as lab:
        charger = await booted_charger(lab)
        answer = await lab.csms.call(CP, call.GetConfiguration(key=["HeartbeatInterval"]))
        assert answer.configuration_key == [{"key": "HeartbeatInterval", "readonly": False, "value": "25"}]
        assert lab.station(charger).heartbeat_interval == 25


# --- trigger message ----------------------------------------------------------------------------------


async def test_trigger_message_sends_the_requested_message_after_its_answer(context: Context) -> None:
    # A heartbeat interval of an hour: no periodic Heartbeat is likely to pass for the triggered one.
    async with running_lab(context, Behaviour(heartbeat_interval=3600)) as lab:
        charger = await booted_charger(lab)
        transaction_id = await charging(lab, charger)

        async def trigger(requested: str, connector_id: int | None = None) -> str:
            answer = await lab.csms.call(
                CP, call.TriggerMessage(requested_message=requested, connector_id=connector_id)
            )
            return answer.status

        at = mark(lab, CP)
        assert await trigger("StatusNotification", 1) == "Accepted"
        await received(lab, CP, at, ["Status 1 Charging"])
        at = mark(lab, CP)
        assert await trigger("StatusNotification") == "Accepted"
        await received(lab, CP, at, ["Status 0 Available", "Status 1 Charging", "Status 2 Available"])

        at = mark(lab, CP)
        assert await trigger("MeterValues", 1) == "Accepted"
        await lab.csms.wait_for(lambda: any(r["context"] == "Trigger" for r in meter_values(lab, CP, at)))
        (triggered,) = [r for r in meter_values(lab, CP, at) if r["context"] == "Trigger"]
        assert (triggered["connector_id"], triggered["transaction_id"]) == (1, int(transaction_id))

        at = mark(lab, CP)
        assert await trigger("Heartbeat") == "Accepted"
        await received(lab, CP, at, ["Heartbeat"], skip=("MeterValues",))
        at = mark(lab, CP)
        assert await trigger("BootNotification") == "Accepted"
        await received(lab, CP, at, ["BootNotification"])
        at = mark(lab, CP)
        assert await trigger("DiagnosticsStatusNotification") == "Accepted"
        (diagnostics,) = await received(lab, CP, at, ["DiagnosticsStatusNotification"])
        assert diagnostics.payload == {"status": "Idle"}

        assert await trigger("StatusNotification", 9) == "Rejected"
        assert [a["status"] for a in ledger_answers(lab, charger, "TriggerMessage")] == ["Accepted"] * 6 + [
            "Rejected"
        ]


# --- unlock, availability -------------------------------------------------------------------------------


async def test_unlock_connector_stops_the_transaction_and_an_unknown_connector_is_not_supported(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    unknown = await lab.csms.call(CP, call.UnlockConnector(connector_id=9))
    assert unknown.status == "NotSupported"
    at = mark(lab, CP)
    idle = await lab.csms.call(CP, call.UnlockConnector(connector_id=2))
    assert idle.status == "Unlocked"
    answer = await lab.csms.call(CP, call.UnlockConnector(connector_id=1))
    assert answer.status == "Unlocked"
    stop, _ = await received(lab, CP, at, ["StopTransaction UnlockCommand", "Status 1 Finishing"])
    assert stop.payload["transaction_id"] == int(transaction_id)
    assert ledger_answers(lab, charger, "UnlockConnector") == [
        {"status": "NotSupported"},
        {"status": "Unlocked"},
        {"status": "Unlocked"},
    ]


async def test_an_inoperative_connector_is_unavailable_until_made_operative(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.ChangeAvailability(connector_id=2, type="Inoperative"))
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 2 Unavailable"])
    plug = await lab.run(charger, PlugConnector(connector_id=2))
    assert (plug["status"], plug["error"]["code"]) == ("failed", "connector_unavailable")
    remote = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-1", connector_id=2))
    assert remote.status == "Rejected"

    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.ChangeAvailability(connector_id=2, type="Operative"))
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 2 Available"])
    assert [
        (e.connector_id, e.operative) for e in recorded(lab, charger, ChargePoint.AvailabilityChanged)
    ] == [
        (2, False),
        (2, True),
    ]


async def test_during_a_transaction_inoperative_is_scheduled_for_when_it_ends(lab: Lab) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.ChangeAvailability(connector_id=0, type="Inoperative"))
    assert answer.status == "Scheduled"
    await settled(lab, CP)
    # Connector 2 is free and goes at once; connector 1 and the charger as a whole wait for the transaction.
    assert sequence(lab, CP, at) == ["Status 2 Unavailable", "Status 0 Available"]
    assert lab.station(charger).cp.connectors[1].transaction_id == transaction_id

    at = mark(lab, CP)
    await lab.csms.call(CP, call.RemoteStopTransaction(transaction_id=int(transaction_id)))
    await received(lab, CP, at, ["StopTransaction Remote", "Status 1 Unavailable", "Status 0 Unavailable"])

    at = mark(lab, CP)
    await lab.csms.call(CP, call.Reset(type="Soft"))  # the change outlives a reboot
    await received(
        lab,
        CP,
        at,
        ["BootNotification", "Status 0 Unavailable", "Status 1 Unavailable", "Status 2 Unavailable"],
    )
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.ChangeAvailability(connector_id=0, type="Operative"))
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 0 Available", "Status 1 Finishing", "Status 2 Available"])


# --- smart charging ------------------------------------------------------------------------------------


async def test_a_charging_profile_caps_the_power_until_cleared(lab: Lab) -> None:
    charger = await booted_charger(lab)
    no_transaction = await lab.csms.call(
        CP, call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile("TxProfile", 10_000))
    )
    assert no_transaction.status == "Rejected"
    transaction_id = int(await charging(lab, charger, power_w=50_000))
    wrong_transaction = await lab.csms.call(
        CP,
        call.SetChargingProfile(
            connector_id=1,
            cs_charging_profiles=profile("TxProfile", 10_000, transaction_id=transaction_id + 1),
        ),
    )
    assert wrong_transaction.status == "Rejected"

    capped = await lab.csms.call(
        CP,
        call.SetChargingProfile(
            connector_id=1, cs_charging_profiles=profile("TxProfile", 10_000, transaction_id=transaction_id)
        ),
    )
    assert capped.status == "Accepted"
    assert await power_settles_at(lab) == 10_000
    schedule = await lab.csms.call(CP, call.GetCompositeSchedule(connector_id=1, duration=600))
    assert schedule.status == "Accepted"
    assert schedule.charging_schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 10_000}]

    cleared = await lab.csms.call(CP, call.ClearChargingProfile(connector_id=1))
    assert cleared.status == "Accepted"
    assert await power_settles_at(lab) == 50_000
    nothing = await lab.csms.call(CP, call.ClearChargingProfile(connector_id=1))
    assert nothing.status == "Unknown"

    # Amperes on a DC charger are taken at 400 V; a charger-wide profile must be on connector 0.
    wrong_connector = await lab.csms.call(
        CP,
        call.SetChargingProfile(
            connector_id=1, cs_charging_profiles=profile("ChargePointMaxProfile", 16, "A")
        ),
    )
    assert wrong_connector.status == "Rejected"
    charger_wide = await lab.csms.call(
        CP,
        call.SetChargingProfile(
            connector_id=0, cs_charging_profiles=profile("ChargePointMaxProfile", 16, "A")
        ),
    )
    assert charger_wide.status == "Accepted"
    assert await power_settles_at(lab) == 6_400
    limits = [(e.connector_id, e.limit_w) for e in recorded(lab, charger, ChargePoint.ChargingLimitChanged)]
    assert limits == [(1, 10_000), (1, None), (1, 6_400), (2, 6_400)]  # each connector follows its own


async def test_a_zero_limit_suspends_the_evse_and_a_tx_profile_ends_with_its_transaction(lab: Lab) -> None:
    charger = await booted_charger(lab)
    transaction_id = int(await charging(lab, charger, power_w=50_000))
    at = mark(lab, CP)
    paused = await lab.csms.call(
        CP,
        call.SetChargingProfile(
            connector_id=1, cs_charging_profiles=profile("TxProfile", 0, transaction_id=transaction_id)
        ),
    )
    assert paused.status == "Accepted"
    await received(lab, CP, at, ["Status 1 SuspendedEVSE"])
    assert await power_settles_at(lab) == 0.0

    at = mark(lab, CP)
    await lab.csms.call(CP, call.RemoteStopTransaction(transaction_id=transaction_id))
    await received(lab, CP, at, ["StopTransaction Remote", "Status 1 Finishing"])
    assert lab.station(charger).cp.connectors[1].limit_w is None
    at = mark(lab, CP)
    await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="REMOTE-2", connector_id=1))
    await received(lab, CP, at, ["StartTransaction", "Status 1 Charging"])
    assert await power_settles_at(lab) == 50_000


# --- local list, cache, data transfer -----------------------------------------------------------------


async def test_send_local_list_and_get_local_list_version(lab: Lab) -> None:
    charger = await booted_charger(lab)
    assert (await lab.csms.call(CP, call.GetLocalListVersion())).list_version == 0
    full = await lab.csms.call(
        CP,
        call.SendLocalList(
            list_version=3,
            update_type="Full",
            local_authorization_list=[
                {"id_tag": "A", "id_tag_info": {"status": "Accepted"}},
                {"id_tag": "B", "id_tag_info": {"status": "Blocked"}},
            ],
        ),
    )
    assert full.status == "Accepted"
    assert (await lab.csms.call(CP, call.GetLocalListVersion())).list_version == 3
    stale = await lab.csms.call(
        CP, call.SendLocalList(list_version=3, update_type="Differential", local_authorization_list=[])
    )
    assert stale.status == "VersionMismatch"
    removal = await lab.csms.call(
        CP,
        call.SendLocalList(
            list_version=4, update_type="Differential", local_authorization_list=[{"id_tag": "B"}]
        ),
    )
    assert removal.status == "Accepted"
    assert {tag: e.status for tag, e in lab.station(charger).cp.local_list.items()} == {"A": "Accepted"}
    assert (await lab.csms.call(CP, call.GetLocalListVersion())).list_version == 4

    await lab.csms.call(CP, call.ChangeConfiguration(key="LocalAuthListEnabled", value="false"))
    disabled = await lab.csms.call(CP, call.SendLocalList(list_version=5, update_type="Full"))
    assert disabled.status == "NotSupported"
    changes = recorded(lab, charger, ChargePoint.LocalListChanged)
    assert [(e.version, e.update_type, e.removed) for e in changes] == [
        (3, "Full", []),
        (4, "Differential", ["B"]),
    ]
    assert [a["status"] for a in ledger_answers(lab, charger, "SendLocalList")] == [
        "Accepted",
        "VersionMismatch",
        "Accepted",
        "NotSupported",
    ]


async def test_clear_cache_empties_the_authorization_cache(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, Authorize(id_tag="CACHED"))
    assert lab.station(charger).cp.auth_cache == {"CACHED": "Accepted"}
    answer = await lab.csms.call(CP, call.ClearCache())
    assert answer.status == "Accepted"
    assert lab.station(charger).cp.auth_cache == {}
    assert [e.entries for e in recorded(lab, charger, ChargePoint.AuthCacheCleared)] == [1]


async def test_data_transfer_answers_unknown_vendor_id_for_other_vendors(lab: Lab) -> None:
    charger = await booted_charger(lab)
    unknown = await lab.csms.call(CP, call.DataTransfer(vendor_id="com.example.other", data="x"))
    assert unknown.status == "UnknownVendorId"
    ours = await lab.csms.call(CP, call.DataTransfer(vendor_id="ocpp-ledger", message_id="echo", data="hi"))
    assert (ours.status, ours.data) == ("Accepted", "hi")
    assert ledger_answers(lab, charger, "DataTransfer") == [
        {"status": "UnknownVendorId"},
        {"status": "Accepted", "data": "hi"},
    ]


# --- the connection -----------------------------------------------------------------------------------


async def test_after_the_csms_drops_the_socket_the_charger_reconnects_boots_and_the_transaction_goes_on(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    before = await more_meter_values(lab, CP, 0, 2)
    at = mark(lab, CP)
    await lab.csms.drop(CP)
    await received(
        lab, CP, at, ["BootNotification", "Status 0 Available", "Status 1 Charging", "Status 2 Available"]
    )
    assert lab.csms.connects[CP] == 2
    (dropped,) = recorded(lab, charger, ChargePoint.Disconnected)
    assert dropped.reason.startswith("connection closed (")
    assert "1011" in dropped.reason  # the CSMS's close code
    assert 0.5 <= dropped.retry_in_seconds <= 1.0  # backoff: the first retry after 0.5-1 x backoff_initial

    after = await more_meter_values(lab, CP, at, 2)
    assert {r["transaction_id"] for r in after} == {int(transaction_id)}
    energy = [int(r["Energy.Active.Import.Register"]) for r in before + after]
    assert energy == sorted(energy)
    assert len(recorded(lab, charger, ChargePoint.TransactionStarted)) == 1


async def test_while_the_csms_is_down_the_charger_backs_off_and_delivers_its_stop_afterwards(
    lab: Lab,
) -> None:
    lab.bridge.station_settings.online_wait = 0.2  # offline is the point here: do not wait for the CSMS
    charger = await booted_charger(lab)
    transaction_id = await charging(lab, charger)
    port = lab.csms.port
    await lab.csms.stop()
    await offline(lab, charger)
    stopped = await lab.run(charger, StopTransaction(connector_id=1))
    assert stopped["status"] == "completed", stopped  # the charger stops at once; the message waits

    def retries() -> list[float] | None:
        delays = [e.retry_in_seconds for e in recorded(lab, charger, ChargePoint.Disconnected)]
        return delays if len(delays) >= 5 else None

    for attempt, delay in enumerate(await ledger_until(lab, retries)):
        ceiling = min(5.0, 2.0**attempt)  # backoff_initial 1 s doubling up to backoff_max 5 s, jittered
        assert ceiling / 2 - 0.001 <= delay <= ceiling + 0.001, (attempt, delay)

    at = mark(lab, CP)
    await lab.csms.start(port=port)
    _, stop, *_ = await received(
        lab,
        CP,
        at,
        [
            "BootNotification",
            "StopTransaction Local",
            "Status 0 Available",
            "Status 1 Finishing",
            "Status 2 Available",
        ],
    )
    assert stop.payload["transaction_id"] == int(transaction_id)
    assert (
        stop.payload["meter_stop"] == recorded(lab, charger, ChargePoint.TransactionStopped)[0].meter_stop_wh
    )
