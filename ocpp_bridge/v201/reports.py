"""OCPP 2.0.1 reports (B07 GetBaseReport, B08 GetReport): which variables a report holds, and how it is
cut into NotifyReport messages of DeviceDataCtrlr.ItemsPerMessage items each."""

from __future__ import annotations

from typing import Any, TypeVar

from ocpp_bridge.v201.rules import DeviceVariable

T = TypeVar("T")
CRITERIA = ("Active", "Available", "Enabled", "Problem")


def chunks(items: list[T], per_message: int) -> list[list[T]]:
    """The items in order, at most per_message in each message (seqNo is the index, tbc all but last)."""
    return [items[i : i + per_message] for i in range(0, len(items), per_message)]


def base_report(rows: list[DeviceVariable], report_base: str) -> list[DeviceVariable]:
    if report_base == "ConfigurationInventory":
        return [r for r in rows if r.mutability == "ReadWrite"]
    if report_base == "SummaryInventory":
        return [r for r in rows if r.variable == "AvailabilityState"]
    return rows


def component_key(row: DeviceVariable) -> tuple[str, int | None, int | None]:
    return row.component, row.evse, row.connector


def meets_criteria(
    rows: list[DeviceVariable], criteria: list[str]
) -> set[tuple[str, int | None, int | None]]:
    """The components that have one of the criteria's variables (Active, Available, ...) set to true."""
    return {
        component_key(r)
        for r in rows
        if r.variable in criteria and r.instance is None and r.value.lower() == "true"
    }


def wanted(row: DeviceVariable, component_variable: dict[str, Any]) -> bool:
    """A componentVariable names the row: its component (and EVSE, if given), and its variable if given."""
    return names(component_variable, row.component, row.evse, row.connector, row.variable, row.instance)


def names(
    component_variable: dict[str, Any],
    component: str,
    evse: int | None,
    connector: int | None,
    variable: str,
    instance: str | None,
) -> bool:
    """A componentVariable names this variable (of GetReport, GetMonitoringReport)."""
    asked = component_variable["component"]
    if asked.get("name") != component or asked.get("instance") is not None:
        return False
    asked_evse = asked.get("evse")
    if asked_evse is not None and (
        asked_evse.get("id") != evse or asked_evse.get("connector_id") not in (None, connector)
    ):
        return False
    asked_variable = component_variable.get("variable")
    if asked_variable is None:
        return True
    return asked_variable.get("name") == variable and asked_variable.get("instance") in (None, instance)


def report(
    rows: list[DeviceVariable],
    component_variables: list[dict[str, Any]] | None,
    criteria: list[str] | None,
) -> list[DeviceVariable]:
    """A GetReport's variables: those its componentVariables name (all without), of the components that
    meet one of its criteria (all without)."""
    selected = rows
    if component_variables:
        selected = [r for r in selected if any(wanted(r, cv) for cv in component_variables)]
    if criteria:
        components = meets_criteria(rows, criteria)
        selected = [r for r in selected if component_key(r) in components]
    return selected
