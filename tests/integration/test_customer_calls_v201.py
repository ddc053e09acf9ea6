"""OCPP 2.0.1 display messages (block O), CustomerInformation (N) and CostUpdated (I) against the test
CSMS: each answer, the NotifyDisplayMessages / NotifyCustomerInformation that follow, and what is kept
(messages survive the bridge taking the station up again; clearing a customer empties cache and list)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v201 import call

from domain.chargepoint import ChargePoint
from domain.commands import Authorize
from gateway.context import Context
from tests.integration.test_bridge_v201 import CS, boot, charging_session, mark, since, until
from tests.integration.v16_support import ledger_until, recorded
from tests.lab import Lab, running_lab


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def message(message_id: int, priority: str = "NormalCycle", fmt: str = "UTF8", **more: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "priority": priority,
        "message": {"format": fmt, "content": f"message {message_id}"},
        **more,
    }


def notified(lab: Lab, action: str, at: int) -> list[dict[str, Any]]:
    return [m.payload for m in since(lab, at) if m.action == action]


async def test_display_messages_are_set_reported_in_pieces_and_cleared(lab: Lab) -> None:
    await boot(lab)
    for n in range(1, 13):  # more than ten: the report comes in two pieces
        answer = await lab.csms.call(
            CS, call.SetDisplayMessage(message=message(n, "InFront" if n % 2 else "NormalCycle"))
        )
        assert answer.status == ("Accepted" if n <= 10 else "Rejected")  # the display holds ten
    refused = [
        await lab.csms.call(CS, call.SetDisplayMessage(message=m))
        for m in (message(1, fmt="HTML"), message(1, state="Unavailable"), message(1, transaction_id="nope"))
    ]
    assert [r.status for r in refused] == [
        "NotSupportedMessageFormat",
        "NotSupportedState",
        "UnknownTransaction",
    ]

    at = mark(lab)
    assert (await lab.csms.call(CS, call.GetDisplayMessages(request_id=3))).status == "Accepted"
    await until(lab, lambda: any(not p.get("tbc") for p in notified(lab, "NotifyDisplayMessages", at)))
    pieces = notified(lab, "NotifyDisplayMessages", at)
    assert [(p["request_id"], len(p["message_info"]), p.get("tbc")) for p in pieces] == [(3, 10, False)]
    at = mark(lab)
    picked = await lab.csms.call(CS, call.GetDisplayMessages(request_id=4, priority="InFront", id=[1, 2, 3]))
    assert picked.status == "Accepted"
    await until(lab, lambda: notified(lab, "NotifyDisplayMessages", at))
    assert [m["id"] for m in notified(lab, "NotifyDisplayMessages", at)[0]["message_info"]] == [1, 3]

    assert (await lab.csms.call(CS, call.ClearDisplayMessage(id=1))).status == "Accepted"
    assert (await lab.csms.call(CS, call.ClearDisplayMessage(id=1))).status == "Unknown"
    at = mark(lab)
    assert (await lab.csms.call(CS, call.GetDisplayMessages(request_id=5, id=[1]))).status == "Unknown"
    assert notified(lab, "NotifyDisplayMessages", at) == []


async def test_display_messages_survive_the_bridge_taking_the_station_up_again(lab: Lab) -> None:
    charger = await boot(lab)
    assert (await lab.csms.call(CS, call.SetDisplayMessage(message=message(7)))).status == "Accepted"
    await ledger_until(lab, lambda: True if recorded(lab, charger, ChargePoint.DisplayMessageSet) else None)
    await lab.bridge.remove_station(charger, "test: bridge restart")
    await lab.bridge.add_station(charger)
    await asyncio.wait_for(lab.station(charger).reported.wait(), 10)  # booted and reported again
    at = mark(lab)
    assert (await lab.csms.call(CS, call.GetDisplayMessages(request_id=1, id=[7]))).status == "Accepted"
    await until(lab, lambda: notified(lab, "NotifyDisplayMessages", at))
    assert (
        notified(lab, "NotifyDisplayMessages", at)[0]["message_info"][0]["message"]["content"] == "message 7"
    )


async def test_customer_information_reports_then_clears_what_the_station_holds(lab: Lab) -> None:
    charger = await boot(lab)
    assert (await lab.run(charger, Authorize(id_tag="TAG-1")))["status"] == "completed"  # in the cache now
    token = {"id_token": "TAG-1", "type": "ISO14443"}
    invalid = await lab.csms.call(
        CS, call.CustomerInformation(request_id=1, report=False, clear=False, id_token=token)
    )
    assert invalid.status == "Invalid"
    at = mark(lab)
    answer = await lab.csms.call(
        CS, call.CustomerInformation(request_id=2, report=True, clear=True, id_token=token)
    )
    assert answer.status == "Accepted"
    await until(lab, lambda: notified(lab, "NotifyCustomerInformation", at))
    (piece,) = notified(lab, "NotifyCustomerInformation", at)
    assert (piece["request_id"], piece["seq_no"], piece.get("tbc")) == (2, 0, False)
    assert piece["data"].splitlines() == [
        "authorization cache: idToken TAG-1 Accepted",
        "cleared: idToken TAG-1 from the authorization cache and the local list",
    ]
    assert "TAG-1" not in lab.station(charger).cp.auth_cache


async def test_cost_updated_is_answered_and_recorded(lab: Lab) -> None:
    charger = await boot(lab)
    transaction_id = await charging_session(lab, charger)
    await lab.csms.call(CS, call.CostUpdated(total_cost=4.2, transaction_id=transaction_id))
    (cost,) = await ledger_until(lab, lambda: recorded(lab, charger, ChargePoint.CostUpdated) or None)
    assert (cost.transaction_id, cost.total_cost) == (transaction_id, 4.2)
