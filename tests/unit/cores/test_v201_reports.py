"""OCPP 2.0.1 GetReport and GetBaseReport: which variables a report holds, and its NotifyReport chunks."""

from __future__ import annotations

from ocpp_bridge.v201.reports import base_report, chunks, report
from ocpp_bridge.v201.rules import DeviceVariable

ROWS = [
    DeviceVariable("OCPPCommCtrlr", "HeartbeatInterval", "60", "integer", mutability="ReadWrite"),
    DeviceVariable("AuthCacheCtrlr", "Enabled", "true", "boolean", mutability="ReadWrite"),
    DeviceVariable("LocalAuthListCtrlr", "Enabled", "false", "boolean", mutability="ReadWrite"),
    DeviceVariable("LocalAuthListCtrlr", "Entries", "10000", "integer"),
    DeviceVariable("ChargingStation", "Problem", "false", "boolean"),
    DeviceVariable("EVSE", "Available", "true", "boolean", evse=1),
    DeviceVariable("EVSE", "Problem", "true", "boolean", evse=1),
    DeviceVariable("EVSE", "Power", "7400", "decimal", evse=1),
    DeviceVariable("EVSE", "Available", "true", "boolean", evse=2),
    DeviceVariable("EVSE", "Problem", "false", "boolean", evse=2),
    DeviceVariable("EVSE", "Power", "0", "decimal", evse=2),
    DeviceVariable("Connector", "AvailabilityState", "Occupied", "OptionList", evse=1, connector=1),
    DeviceVariable("DeviceDataCtrlr", "ItemsPerMessage", "10", "integer", instance="GetReport"),
    DeviceVariable("DeviceDataCtrlr", "ItemsPerMessage", "50", "integer", instance="GetVariables"),
]


def names(rows: list[DeviceVariable]) -> list[str]:
    def evse(r: DeviceVariable) -> str:
        return "" if r.evse is None else f"[{r.evse}]"

    return [f"{r.component}{evse(r)}.{r.variable}" + (f"/{r.instance}" if r.instance else "") for r in rows]


def test_without_filters_a_report_holds_every_variable() -> None:
    assert report(ROWS, None, None) == ROWS
    assert report(ROWS, [], []) == ROWS


def test_a_component_alone_names_all_its_variables_and_an_evse_narrows_it() -> None:
    assert names(report(ROWS, [{"component": {"name": "LocalAuthListCtrlr"}}], None)) == [
        "LocalAuthListCtrlr.Enabled",
        "LocalAuthListCtrlr.Entries",
    ]
    assert names(report(ROWS, [{"component": {"name": "EVSE", "evse": {"id": 2}}}], None)) == [
        "EVSE[2].Available",
        "EVSE[2].Problem",
        "EVSE[2].Power",
    ]


def test_a_variable_without_instance_names_every_instance() -> None:
    wanted = [{"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage"}}]
    assert names(report(ROWS, wanted, None)) == [
        "DeviceDataCtrlr.ItemsPerMessage/GetReport",
        "DeviceDataCtrlr.ItemsPerMessage/GetVariables",
    ]
    one = [
        {
            "component": {"name": "DeviceDataCtrlr"},
            "variable": {"name": "ItemsPerMessage", "instance": "GetVariables"},
        }
    ]
    assert names(report(ROWS, one, None)) == ["DeviceDataCtrlr.ItemsPerMessage/GetVariables"]


def test_criteria_keep_the_components_whose_variable_of_that_name_is_true() -> None:
    assert names(report(ROWS, None, ["Enabled"])) == ["AuthCacheCtrlr.Enabled"]
    assert names(report(ROWS, None, ["Problem"])) == ["EVSE[1].Available", "EVSE[1].Problem", "EVSE[1].Power"]
    assert len(report(ROWS, None, ["Available"])) == 6  # both EVSEs, every variable
    assert report(ROWS, None, ["Active"]) == []  # no component here has Active


def test_criteria_and_component_variables_together_keep_what_both_name() -> None:
    power = [{"component": {"name": "EVSE"}, "variable": {"name": "Power"}}]
    assert names(report(ROWS, power, ["Problem"])) == ["EVSE[1].Power"]
    assert names(report(ROWS, power, ["Problem", "Enabled"])) == ["EVSE[1].Power"]
    assert report(ROWS, [{"component": {"name": "Nope"}}], None) == []


def test_base_reports() -> None:
    assert base_report(ROWS, "FullInventory") == ROWS
    assert names(base_report(ROWS, "ConfigurationInventory")) == [
        "OCPPCommCtrlr.HeartbeatInterval",
        "AuthCacheCtrlr.Enabled",
        "LocalAuthListCtrlr.Enabled",
    ]
    assert names(base_report(ROWS, "SummaryInventory")) == ["Connector[1].AvailabilityState"]


def test_chunks_keep_the_order_and_fill_all_but_the_last() -> None:
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunks(list(range(6)), 3) == [[0, 1, 2], [3, 4, 5]]
    assert chunks([], 3) == []
    assert chunks([1], 10) == [[1]]
