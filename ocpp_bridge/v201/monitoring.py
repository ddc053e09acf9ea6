"""OCPP 2.0.1 monitoring (N02-N08), pure: the answer to each SetVariableMonitoring item, which monitors a
SetMonitoringBase keeps, ClearVariableMonitoring's answers, the monitors a GetMonitoringReport lists, and
what a monitor reports when its variable crosses a threshold, moves by its delta, or its period comes."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from domain.monitoring import VariableMonitor
from ocpp_bridge.v201.reports import names
from ocpp_bridge.v201.rules import DeviceVariable

THRESHOLDS = ("UpperThreshold", "LowerThreshold")
PERIODIC = ("Periodic", "PeriodicClockAligned")
TYPES = (*THRESHOLDS, "Delta", *PERIODIC)
NUMERIC = ("integer", "decimal")
# GetMonitoringReport's monitoringCriteria → the monitor types each names.
CRITERIA = {"ThresholdMonitoring": THRESHOLDS, "DeltaMonitoring": ("Delta",), "PeriodicMonitoring": PERIODIC}
BASES = ("All", "FactoryDefault", "HardWiredOnly")
ITEMS_PER_MESSAGE = {"SetVariableMonitoring": 20, "ClearVariableMonitoring": 20}


def supported_types(data_type: str) -> tuple[str, ...]:
    """Numbers can have thresholds; any value can be watched for a change or sent periodically."""
    return TYPES if data_type in NUMERIC else ("Delta", *PERIODIC)


def set_monitor(
    item: dict[str, Any],
    found: tuple[str, DeviceVariable | None],
    monitors: dict[int, VariableMonitor],
    next_id: int,
) -> tuple[str, VariableMonitor | None]:
    """One SetVariableMonitoring item: its status, and the monitor to store if Accepted. `found` is the
    device model's lookup of its component and variable (status, row)."""
    status, row = found
    if row is None:
        return status, None
    kind, value, severity = str(item["type"]), float(item["value"]), int(item["severity"])
    if kind not in supported_types(row.data_type):
        return "UnsupportedMonitorType", None
    if not 0 <= severity <= 9 or not math.isfinite(value):
        return "Rejected", None
    if (kind in PERIODIC and value <= 0) or (kind == "Delta" and value < 0):
        return "Rejected", None
    if kind in THRESHOLDS and row.max_limit is not None and value > row.max_limit:
        return "Rejected", None  # beyond what the variable can reach
    wanted_id = item.get("id")
    if wanted_id is not None and (wanted_id not in monitors or monitors[wanted_id].origin != "CustomMonitor"):
        return "Rejected", None  # only an existing custom monitor can be replaced
    monitor = VariableMonitor(
        id=next_id if wanted_id is None else int(wanted_id),
        component=row.component,
        evse=row.evse,
        connector=row.connector,
        variable=row.variable,
        instance=row.instance,
        type=kind,
        value=value,
        severity=severity,
        transaction=bool(item.get("transaction", False)),
    )
    same = (place(monitor), kind, severity)
    if any(o.id != monitor.id and (place(o), o.type, o.severity) == same for o in monitors.values()):
        return "Duplicate", None
    return "Accepted", monitor


def place(monitor: VariableMonitor) -> tuple[str, int | None, int | None, str, str | None]:
    return monitor.component, monitor.evse, monitor.connector, monitor.variable, monitor.instance


def watches(monitor: VariableMonitor, row: DeviceVariable) -> bool:
    return place(monitor) == (row.component, row.evse, row.connector, row.variable, row.instance)


def cleared_by_base(base: str, monitors: dict[int, VariableMonitor]) -> list[int]:
    """The monitors SetMonitoringBase removes: FactoryDefault and HardWiredOnly drop the custom ones
    (N03.FR.04); All keeps everything."""
    if base == "All":
        return []
    return sorted(i for i, m in monitors.items() if m.origin == "CustomMonitor")


def clear_results(ids: list[int], monitors: dict[int, VariableMonitor]) -> list[dict[str, Any]]:
    """ClearVariableMonitoring: Accepted for a custom monitor, Rejected for another, NotFound."""
    results = []
    for monitor_id in ids:
        monitor = monitors.get(monitor_id)
        status = "NotFound" if monitor is None else "Accepted"
        if monitor is not None and monitor.origin != "CustomMonitor":
            status = "Rejected"
        results.append({"id": monitor_id, "status": status})
    return results


def report(
    monitors: dict[int, VariableMonitor],
    component_variables: list[dict[str, Any]] | None,
    criteria: list[str] | None,
) -> list[dict[str, Any]]:
    """GetMonitoringReport: the monitors asked for, grouped per variable (NotifyMonitoringReport's
    MonitoringDataType), in monitor id order."""
    kinds = {t for c in criteria or list(CRITERIA) for t in CRITERIA.get(c, ())}
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for monitor in sorted(monitors.values(), key=lambda m: m.id):
        if monitor.type not in kinds:
            continue
        if component_variables and not any(names(cv, *place(monitor)) for cv in component_variables):
            continue
        evse = None if monitor.evse is None else {"id": monitor.evse, "connector_id": monitor.connector}
        group = groups.setdefault(
            place(monitor),
            {
                "component": {"name": monitor.component, "evse": evse},
                "variable": {"name": monitor.variable, "instance": monitor.instance},
                "variable_monitoring": [],
            },
        )
        group["variable_monitoring"].append(
            {
                "id": monitor.id,
                "transaction": monitor.transaction,
                "value": monitor.value,
                "type": monitor.type,
                "severity": monitor.severity,
            }
        )
    return list(groups.values())


# --- evaluation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """What a monitor remembers between evaluations (the shell keeps it in memory: after a restart a
    threshold still crossed alerts again, once)."""

    reference: str | None = None  # Delta: the value last reported
    tripped: bool = False  # a threshold: crossed and not yet back
    next_due: float | None = None  # periodic: when it reports next (epoch seconds)


@dataclass(frozen=True)
class Alert:
    """A NotifyEvent's EventData a monitor raises (the shell adds eventId and timestamp)."""

    monitor: VariableMonitor
    trigger: str  # Alerting, Delta, Periodic
    actual_value: str
    cleared: bool = False


def start_watch(monitor: VariableMonitor, value: str) -> Watch:
    """What a monitor remembers when it is set: a delta counts from the value it was set on."""
    return Watch(reference=value) if monitor.type == "Delta" else Watch()


def evaluate(monitor: VariableMonitor, value: str, watch: Watch, now: float) -> tuple[Alert | None, Watch]:
    """Evaluate one monitor on its variable's value now; the alert, if any, and what it remembers."""
    if monitor.type in PERIODIC:
        due = watch.next_due if watch.next_due is not None else first_due(monitor, now)
        if now < due:
            return None, replace(watch, next_due=due)
        step = monitor.value
        following = due + step * (math.floor((now - due) / step) + 1)
        return Alert(monitor, "Periodic", value), replace(watch, next_due=following)
    if monitor.type == "Delta":
        if watch.reference is None:
            return None, replace(watch, reference=value)
        if not moved(watch.reference, value, monitor.value):
            return None, watch
        return Alert(monitor, "Delta", value), replace(watch, reference=value)
    number = as_number(value)
    if number is None:
        return None, watch
    crossed = number > monitor.value if monitor.type == "UpperThreshold" else number < monitor.value
    if crossed == watch.tripped:
        return None, watch
    return Alert(monitor, "Alerting", value, cleared=not crossed), replace(watch, tripped=crossed)


def first_due(monitor: VariableMonitor, now: float) -> float:
    """Periodic: one period from now; PeriodicClockAligned: the next multiple of the period (UTC)."""
    if monitor.type == "Periodic":
        return now + monitor.value
    return next_aligned(now, monitor.value)


def next_aligned(now: float, interval: float) -> float:
    """The first multiple of the interval after now (seconds since the epoch, UTC)."""
    return (math.floor(now / interval) + 1) * interval


def moved(reference: str, value: str, delta: float) -> bool:
    """A number moved by at least the delta; any other value changed."""
    before, after = as_number(reference), as_number(value)
    if before is None or after is None:
        return reference != value
    return abs(after - before) >= delta and after != before


def as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def reported(alert: Alert, level: int) -> bool:
    """The monitoring level filters by severity: 0 (Danger) is the most severe, 9 (Debug) the least."""
    return alert.monitor.severity <= level
