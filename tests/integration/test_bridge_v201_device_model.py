"""OCPP 2.0.1 device model against the test CSMS (schema validation on): variables that change what the
station does (TxStartPoint, TxStopPoint), GetReport, monitoring."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.v201 import call

from domain.commands import (
    Authorize,
    InjectFault,
    PlugConnector,
    PowerUpdate,
    StopSession,
    StopTransaction,
    UnplugConnector,
)
from domain.protocol import FaultType
from gateway.context import Context
from tests.integration.test_bridge_v201 import (
    CS,
    boot,
    charging_session,
    lab,
    mark,
    restartable_lab,
    story,
    tx,
    until,
)
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
    assert await set_variables(
        lab,
        variable("TxCtrlr", "TxStartPoint", "Authorized"),
        variable("TxCtrlr", "EVConnectionTimeOut", "0"),  # the cable may take its time
    ) == ["Accepted", "Accepted"]
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


async def test_remote_start_with_tx_start_point_power_path_closed(lab: Lab) -> None:
    await boot(lab)
    assert await set_variables(lab, variable("TxCtrlr", "TxStartPoint", "PowerPathClosed")) == ["Accepted"]
    start = mark(lab)
    answer = await lab.csms.call(
        CS,
        call.RequestStartTransaction(
            id_token={"id_token": "REMOTE-1", "type": "Central"}, remote_start_id=11, evse_id=1
        ),
    )
    assert answer.status == "Accepted"
    await until(lab, lambda: any(e["transaction_info"].get("charging_state") == "Charging" for e in tx(lab)))
    assert story(lab, start)[:3] == [
        "Status:1:Occupied",
        "TE:Started:RemoteStart:EVConnected",
        "TE:Updated:ChargingStateChanged:Charging",
    ]
    [started] = [e for e in tx(lab) if e["event_type"] == "Started"]
    assert (started["transaction_info"]["remote_start_id"], started["id_token"]["id_token"]) == (
        11,
        "REMOTE-1",
    )


async def test_power_path_closed_authorization_first_then_the_cable(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(
        lab,
        variable("TxCtrlr", "TxStartPoint", "PowerPathClosed"),
        variable("TxCtrlr", "EVConnectionTimeOut", "0"),
    ) == ["Accepted", "Accepted"]
    start = mark(lab)
    authorized = await lab.run(charger, Authorize(evse_id=1, id_tag="TAG-1"))
    assert authorized["result"]["msg"] == "id token Accepted; the transaction starts with the cable"
    assert tx(lab) == []
    plugged = await lab.run(charger, PlugConnector(evse_id=1))
    assert plugged["status"] == "completed"
    await until(lab, lambda: any(e["transaction_info"].get("charging_state") == "Charging" for e in tx(lab)))
    assert story(lab, start)[:4] == [
        "Authorize",
        "Status:1:Occupied",
        "TE:Started:CablePluggedIn:EVConnected",
        "TE:Updated:ChargingStateChanged:Charging",
    ]
    [started] = [e for e in tx(lab) if e["event_type"] == "Started"]
    assert started["id_token"]["id_token"] == "TAG-1"
    assert lab.station(charger).state(1).pre_authorized is None


async def test_power_path_closed_authorization_lapses_after_ev_connection_timeout(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(
        lab,
        variable("TxCtrlr", "TxStartPoint", "PowerPathClosed"),
        variable("TxCtrlr", "EVConnectionTimeOut", "5"),
    ) == ["Accepted", "Accepted"]
    await lab.run(charger, Authorize(evse_id=1, id_tag="TAG-1"))
    station = lab.station(charger)
    await until(lab, lambda: station.state(1).pre_authorized is None)  # re-checked at each heartbeat
    await lab.run(charger, PlugConnector(evse_id=1))
    assert tx(lab) == []  # the cable alone does not close the power path


async def test_no_cable_within_ev_connection_timeout_ends_the_transaction(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(
        lab,
        variable("TxCtrlr", "TxStartPoint", "Authorized"),
        variable("TxCtrlr", "EVConnectionTimeOut", "5"),
    ) == ["Accepted", "Accepted"]
    start = mark(lab)
    authorized = await lab.run(charger, Authorize(evse_id=1, id_tag="TAG-1"))
    await until(lab, lambda: any(e["event_type"] == "Ended" for e in tx(lab)))
    assert story(lab, start) == ["Authorize", "TE:Started:Authorized:Idle", "TE:Ended:EVConnectTimeout:Idle"]
    ended = tx(lab)[-1]
    assert ended["transaction_info"]["transaction_id"] == authorized["result"]["transaction_id"]
    assert ended["transaction_info"]["stopped_reason"] == "Timeout"
    assert lab.station(charger).state(1).transaction_id is None


async def test_clock_aligned_meter_values_follow_aligned_data_interval(lab: Lab) -> None:
    charger = await boot(lab)
    assert await set_variables(
        lab,
        variable("AlignedDataCtrlr", "Interval", "60"),
        variable("AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register,Power.Active.Import"),
    ) == ["Accepted", "Accepted"]

    def clock_values() -> list[dict[str, Any]]:
        return [
            m.payload
            for m in lab.csms.messages(CS, "MeterValues")
            if m.payload["meter_value"][0]["sampled_value"][0]["context"] == "Sample.Clock"
        ]

    await until(lab, lambda: {p["evse_id"] for p in clock_values()} == {1, 2})
    sampled = clock_values()[0]["meter_value"][0]["sampled_value"]
    assert [v["measurand"] for v in sampled] == ["Energy.Active.Import.Register", "Power.Active.Import"]
    await charging_session(lab, charger)
    await until(lab, lambda: any(e["trigger_reason"] == "MeterValueClock" for e in tx(lab)))
    clock = next(e for e in tx(lab) if e["trigger_reason"] == "MeterValueClock")
    assert (clock["event_type"], clock["evse"]["id"]) == ("Updated", 1)
    assert {v["context"] for v in clock["meter_value"][0]["sampled_value"]} == {"Sample.Clock"}


async def reports_of(lab: Lab, request_id: int) -> list[dict[str, Any]]:
    def done() -> bool:
        return any(
            m.payload["request_id"] == request_id and not m.payload["tbc"]
            for m in lab.csms.messages(CS, "NotifyReport")
        )

    await until(lab, done)
    return [m.payload for m in lab.csms.messages(CS, "NotifyReport") if m.payload["request_id"] == request_id]


async def test_get_report_with_criteria_and_component_variables(lab: Lab) -> None:
    charger = await boot(lab)
    await lab.run(charger, InjectFault(evse_id=2, fault_type=FaultType.GROUND_FAILURE))
    answer = await lab.csms.call(CS, call.GetReport(request_id=7, component_criteria=["Problem"]))
    assert answer.status == "Accepted"
    [only] = await reports_of(lab, 7)
    assert (only["seq_no"], only["tbc"]) == (0, False)
    assert {(d["component"]["name"], d["component"]["evse"]["id"]) for d in only["report_data"]} == {
        ("EVSE", 2)
    }
    problem = next(d for d in only["report_data"] if d["variable"]["name"] == "Problem")
    assert problem["variable_attribute"][0]["value"] == "true"

    wanted = [
        {"component": {"name": "DeviceDataCtrlr"}},
        {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}},
    ]
    answer = await lab.csms.call(CS, call.GetReport(request_id=8, component_variable=wanted))
    assert answer.status == "Accepted"
    [only] = await reports_of(lab, 8)
    values = {
        (d["variable"]["name"], d["variable"].get("instance")): d["variable_attribute"][0]["value"]
        for d in only["report_data"]
    }
    assert values == {
        ("SecurityProfile", None): "0",
        ("ItemsPerMessage", "GetReport"): "10",
        ("ItemsPerMessage", "GetVariables"): "50",
        ("ItemsPerMessage", "SetVariables"): "50",
        ("BytesPerMessage", "GetReport"): "65000",
        ("BytesPerMessage", "GetVariables"): "65000",
        ("BytesPerMessage", "SetVariables"): "65000",
        ("ConfigurationValueSize", None): "500",
        ("ReportingValueSize", None): "2500",
    }

    every = await lab.csms.call(CS, call.GetReport(request_id=9, component_criteria=["Available"]))
    assert every.status == "Accepted"
    chunks = await reports_of(lab, 9)
    assert [c["seq_no"] for c in chunks] == list(range(len(chunks)))
    assert [c["tbc"] for c in chunks] == [True] * (len(chunks) - 1) + [False]
    assert all(len(c["report_data"]) <= 10 for c in chunks)
    assert len(chunks) >= 2
    nothing = await lab.csms.call(CS, call.GetReport(request_id=10, component_criteria=["Active"]))
    assert nothing.status == "EmptyResultSet"


async def test_get_variables_over_items_per_message_is_a_callerror(lab: Lab) -> None:
    await boot(lab)
    many = [variable("OCPPCommCtrlr", "HeartbeatInterval")] * 51
    with pytest.raises(OccurrenceConstraintViolationError):
        await lab.csms.call(CS, call.GetVariables(get_variable_data=many))
    values = await lab.csms.call(
        CS,
        call.GetVariables(
            get_variable_data=[
                variable("SecurityCtrlr", "SecurityProfile"),
                {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}},
                variable("SecurityCtrlr", "SecurityProfile", attribute_type="Target"),
            ]
        ),
    )
    assert [(r["attribute_status"], r.get("attribute_value")) for r in values.get_variable_result] == [
        ("Accepted", "0"),
        ("Accepted", "0"),
        ("NotSupportedAttributeType", None),
    ]
    assert await set_variables(lab, variable("SecurityCtrlr", "SecurityProfile", "2")) == ["Rejected"]
    assert await set_variables(
        lab,
        variable(
            "OCPPCommCtrlr",
            "MessageAttempts",
            "5",
            variable={"name": "MessageAttempts", "instance": "TransactionEvent"},
        ),
        variable("OCPPCommCtrlr", "MessageAttemptInterval", "7"),  # the only instance, asked without it
        variable("DeviceDataCtrlr", "ItemsPerMessage", "5"),  # which of the three?
    ) == ["Accepted", "Accepted", "UnknownVariable"]
    station = next(iter(lab.bridge.stations.values()))
    assert (
        station.config("TransactionMessageAttempts"),
        station.config("TransactionMessageRetryInterval"),
    ) == ("5", "7")


def power_monitor(kind: str, value: float, severity: int = 5, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "value": value,
        "severity": severity,
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "Power"},
        **more,
    }


def monitor_events(lab: Lab) -> list[dict[str, Any]]:
    return [
        e
        for m in lab.csms.messages(CS, "NotifyEvent")
        for e in m.payload["event_data"]
        if e.get("variable_monitoring_id") is not None
    ]


async def test_set_variable_monitoring_answers(lab: Lab) -> None:
    await boot(lab)
    answer = await lab.csms.call(
        CS,
        call.SetVariableMonitoring(
            set_monitoring_data=[
                power_monitor("UpperThreshold", 1000),
                power_monitor("UpperThreshold", 2000),  # same type and severity on the same variable
                power_monitor("UpperThreshold", 1000, severity=2),
                power_monitor("Delta", -1),
                power_monitor("Periodic", 60, id=999),  # no such monitor to replace
                {**power_monitor("Delta", 1), "component": {"name": "Nope"}},
                {**power_monitor("Delta", 1), "variable": {"name": "Nope"}},
                {
                    **power_monitor("UpperThreshold", 1),
                    "component": {"name": "ChargingStation"},
                    "variable": {"name": "AvailabilityState"},
                },
            ]
        ),
    )
    results = answer.set_monitoring_result
    assert [r["status"] for r in results] == [
        "Accepted",
        "Duplicate",
        "Accepted",
        "Rejected",
        "Rejected",
        "UnknownComponent",
        "UnknownVariable",
        "UnsupportedMonitorType",
    ]
    first, third = results[0]["id"], results[2]["id"]
    assert first != third

    report = await lab.csms.call(
        CS, call.GetMonitoringReport(request_id=5, monitoring_criteria=["ThresholdMonitoring"])
    )
    assert report.status == "Accepted"
    await until(lab, lambda: lab.csms.messages(CS, "NotifyMonitoringReport"))
    [sent] = [m.payload for m in lab.csms.messages(CS, "NotifyMonitoringReport")]
    assert (sent["request_id"], sent["seq_no"], sent["tbc"]) == (5, 0, False)
    [power] = sent["monitor"]
    assert power["component"] == {"name": "EVSE", "evse": {"id": 1}}
    assert [(v["id"], v["type"], v["value"], v["severity"]) for v in power["variable_monitoring"]] == [
        (first, "UpperThreshold", 1000, 5),
        (third, "UpperThreshold", 1000, 2),
    ]
    none = await lab.csms.call(
        CS, call.GetMonitoringReport(request_id=6, monitoring_criteria=["PeriodicMonitoring"])
    )
    assert none.status == "EmptyResultSet"

    cleared = await lab.csms.call(CS, call.ClearVariableMonitoring(id=[third, 12345]))
    assert [(r["id"], r["status"]) for r in cleared.clear_monitoring_result] == [
        (third, "Accepted"),
        (12345, "NotFound"),
    ]
    assert (await lab.csms.call(CS, call.SetMonitoringLevel(severity=10))).status == "Rejected"
    assert (await lab.csms.call(CS, call.SetMonitoringLevel(severity=4))).status == "Accepted"
    level = await lab.csms.call(
        CS,
        call.GetVariables(get_variable_data=[variable("MonitoringCtrlr", "ActiveMonitoringLevel")]),
    )
    assert level.get_variable_result[0]["attribute_value"] == "4"
    assert (
        await lab.csms.call(CS, call.SetMonitoringBase(monitoring_base="HardWiredOnly"))
    ).status == "Accepted"
    gone = await lab.csms.call(CS, call.GetMonitoringReport(request_id=7))
    assert gone.status == "EmptyResultSet"  # the custom monitors went with the base


async def test_a_threshold_monitor_on_the_power_sends_notify_event(lab: Lab) -> None:
    charger = await boot(lab)
    assert (await lab.csms.call(CS, call.SetMonitoringLevel(severity=5))).status == "Accepted"
    answer = await lab.csms.call(
        CS,
        call.SetVariableMonitoring(
            set_monitoring_data=[
                power_monitor("UpperThreshold", 1000, transaction=True),
                power_monitor("LowerThreshold", 1, severity=9),  # filtered out by the level below
            ]
        ),
    )
    upper = answer.set_monitoring_result[0]["id"]
    transaction_id = await charging_session(lab, charger)
    await until(lab, lambda: monitor_events(lab))
    [alert] = monitor_events(lab)
    assert alert["variable_monitoring_id"] == upper
    assert (alert["trigger"], alert["event_notification_type"]) == ("Alerting", "CustomMonitor")
    assert float(alert["actual_value"]) > 1000
    assert alert["transaction_id"] == transaction_id
    assert alert["component"] == {"name": "EVSE", "evse": {"id": 1}}
    await lab.run(charger, PowerUpdate(evse_id=1, power_w=500))
    await until(lab, lambda: len(monitor_events(lab)) == 2)
    back = monitor_events(lab)[1]
    assert (back["variable_monitoring_id"], back["trigger"], back["cleared"]) == (upper, "Alerting", True)
    assert back["actual_value"] == "500"
    await lab.run(charger, StopSession(evse_id=1))
    assert len(monitor_events(lab)) == 2  # the power only fell further


async def test_a_delta_monitor_reports_a_connector_becoming_occupied(lab: Lab) -> None:
    charger = await boot(lab)
    answer = await lab.csms.call(
        CS,
        call.SetVariableMonitoring(
            set_monitoring_data=[
                {
                    "type": "Delta",
                    "value": 1,
                    "severity": 3,
                    "component": {"name": "Connector", "evse": {"id": 2, "connector_id": 1}},
                    "variable": {"name": "AvailabilityState"},
                }
            ]
        ),
    )
    [result] = answer.set_monitoring_result
    assert result["status"] == "Accepted"
    await lab.run(charger, PlugConnector(evse_id=2))
    await until(lab, lambda: monitor_events(lab))
    [event] = monitor_events(lab)
    assert (event["trigger"], event["actual_value"]) == ("Delta", "Occupied")
    assert event["component"] == {"name": "Connector", "evse": {"id": 2, "connector_id": 1}}


async def test_monitors_survive_a_bridge_restart(context: Context) -> None:
    async with restartable_lab(context) as (lab, restart):
        await boot(lab)
        answer = await lab.csms.call(
            CS, call.SetVariableMonitoring(set_monitoring_data=[power_monitor("Periodic", 30)])
        )
        [result] = answer.set_monitoring_result
        assert (await lab.csms.call(CS, call.SetMonitoringLevel(severity=6))).status == "Accepted"
        await restart()
        await until(lab, lambda: len(lab.csms.messages(CS, "BootNotification")) == 2)
        report = await lab.csms.call(CS, call.GetMonitoringReport(request_id=1))
        assert report.status == "Accepted"
        await until(lab, lambda: lab.csms.messages(CS, "NotifyMonitoringReport"))
        [sent] = [m.payload for m in lab.csms.messages(CS, "NotifyMonitoringReport")]
        [kept] = sent["monitor"][0]["variable_monitoring"]
        assert (kept["id"], kept["type"], kept["value"]) == (result["id"], "Periodic", 30)
        # and it still works: a periodic event every 30 simulated seconds
        await until(lab, lambda: len(monitor_events(lab)) >= 2)
        assert {e["trigger"] for e in monitor_events(lab)} == {"Periodic"}
        level = await lab.csms.call(
            CS,
            call.GetVariables(get_variable_data=[variable("MonitoringCtrlr", "ActiveMonitoringLevel")]),
        )
        assert level.get_variable_result[0]["attribute_value"] == "6"
