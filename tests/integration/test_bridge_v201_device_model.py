"""OCPP 2.0.1 device model against the test CSMS (schema validation on): variables that change what the
station does (TxStartPoint, TxStopPoint), GetReport, monitoring."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from domain.commands import Authorize, PlugConnector, StopTransaction, UnplugConnector
from tests.integration.test_bridge_v201 import CS, boot, lab, mark, story, tx
from tests.lab import Lab

__all__ = ["lab"]  # the fixture


def variable(component: str, name: str, value: str | None = None, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"component": {"name": component}, "variable": {"name": name}, **more}
    if value is not None:
        data["attribute_value"] = value
    return data


async def set_variables(lab: Lab, *items: dict[str, Any]) -> list[str]:
    answer = await lab.csms.call(CS, call.SetVariables(set_variable_data=list(items)))
    return [r["attribute_status"] for r in answer.set_variable_result]


async def test_tx_start_point_authorized_starts_the_transaction_at_authorization(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(
        lab,
        variable("TxCtrlr", "TxStartPoint", "Authorized"),
        variable("TxCtrlr", "TxStopPoint", "Authorized"),
        variable("TxCtrlr", "TxStartPoint", "ParkingBayOccupancy"),
        variable("TxCtrlr", "TxStopPoint", "Whenever"),
    ) == ["Accepted", "Accepted", "Rejected", "Rejected"]
    start = mark(lab)
    plugged = await lab.run(charger, PlugConnector(evse_id=1))
    assert plugged["result"]["transaction_id"] is None  # the cable alone starts nothing
    authorized = await lab.run(charger, Authorize(evse_id=1, id_tag="TAG-1"))
    assert authorized["result"]["status"] == "Accepted"
    [started] = [e for e in tx(lab) if e["event_type"] == "Started"]
    assert started["id_token"]["id_token"] == "TAG-1"
    assert started["transaction_info"]["transaction_id"] == authorized["result"]["transaction_id"]
    stopped = await lab.run(charger, StopTransaction(evse_id=1))
    assert stopped["result"]["msg"] == "transaction ended"  # the stop authorization ends it
    await lab.run(charger, UnplugConnector(evse_id=1))
    assert story(lab, start) == [
        "Status:1:Occupied",
        "Authorize",
        "TE:Started:Authorized:EVConnected",
        "TE:Updated:ChargingStateChanged:Charging",
        "TE:Ended:StopAuthorized:EVConnected",
        "Status:1:Available",
    ]
    assert tx(lab)[-1]["transaction_info"]["stopped_reason"] == "Local"


async def test_tx_start_point_authorized_without_a_cable(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(lab, variable("TxCtrlr", "TxStartPoint", "Authorized")) == ["Accepted"]
    start = mark(lab)
    await lab.run(charger, Authorize(evse_id=2, id_tag="TAG-2"))
    await lab.run(charger, PlugConnector(evse_id=2))
    assert story(lab, start)[:4] == [
        "Authorize",
        "TE:Started:Authorized:Idle",
        "Status:2:Occupied",
        "TE:Updated:CablePluggedIn:EVConnected",
    ]
    [started] = [e for e in tx(lab) if e["event_type"] == "Started"]
    assert (started["id_token"]["id_token"], started["evse"]["id"]) == ("TAG-2", 2)
