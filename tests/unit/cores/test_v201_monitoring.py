"""OCPP 2.0.1 monitoring rules: what SetVariableMonitoring answers, what SetMonitoringBase and
ClearVariableMonitoring remove, what GetMonitoringReport lists, and when a monitor raises an event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from domain.monitoring import VariableMonitor
from ocpp_bridge.v201.monitoring import (
    Watch,
    clear_results,
    cleared_by_base,
    evaluate,
    report,
    reported,
    set_monitor,
    start_watch,
)
from ocpp_bridge.v201.rules import DeviceVariable
from tests.unit.cores.charger import charge_point

POWER = DeviceVariable("EVSE", "Power", "0", "decimal", evse=1, max_limit=22_000)
STATE = DeviceVariable("Connector", "AvailabilityState", "Available", "OptionList", evse=1, connector=1)


def item(kind: str, value: float, severity: int = 5, **more: Any) -> dict[str, Any]:
    return {"type": kind, "value": value, "severity": severity, **more}


def monitor(kind: str, value: float, monitor_id: int = 1, **more: Any) -> VariableMonitor:
    status, made = set_monitor(item(kind, value, **more), ("Accepted", POWER), {}, monitor_id)
    assert status == "Accepted"
    assert made is not None
    return made


# --- SetVariableMonitoring ------------------------------------------------------------------------------


def test_a_monitor_is_accepted_with_the_next_id_on_the_variable() -> None:
    status, made = set_monitor(item("UpperThreshold", 7000, transaction=True), ("Accepted", POWER), {}, 4)
    assert status == "Accepted"
    assert made == VariableMonitor(
        id=4,
        component="EVSE",
        evse=1,
        variable="Power",
        type="UpperThreshold",
        value=7000,
        severity=5,
        transaction=True,
    )


def test_unknown_component_or_variable_is_answered_as_the_lookup_says() -> None:
    assert set_monitor(item("Delta", 1), ("UnknownComponent", None), {}, 1) == ("UnknownComponent", None)
    assert set_monitor(item("Delta", 1), ("UnknownVariable", None), {}, 1) == ("UnknownVariable", None)


@pytest.mark.parametrize("kind", ["UpperThreshold", "LowerThreshold"])
def test_thresholds_need_a_number(kind: str) -> None:
    assert set_monitor(item(kind, 1), ("Accepted", STATE), {}, 1) == ("UnsupportedMonitorType", None)
    assert set_monitor(item("Delta", 1), ("Accepted", STATE), {}, 1)[0] == "Accepted"


@pytest.mark.parametrize(
    "bad",
    [
        item("Delta", -1),
        item("Periodic", 0),
        item("PeriodicClockAligned", -60),
        item("Delta", 1, severity=10),
        item("UpperThreshold", 30_000),  # beyond the EVSE's maximum power
        item("Delta", 1, id=9),  # no monitor 9 to replace
    ],
)
def test_values_out_of_range_are_rejected(bad: dict[str, Any]) -> None:
    assert set_monitor(bad, ("Accepted", POWER), {}, 1) == ("Rejected", None)


def test_the_same_type_and_severity_twice_is_a_duplicate_and_an_id_replaces() -> None:
    existing = {1: monitor("UpperThreshold", 7000)}
    assert set_monitor(item("UpperThreshold", 9000), ("Accepted", POWER), existing, 2) == ("Duplicate", None)
    assert (
        set_monitor(item("UpperThreshold", 9000, severity=2), ("Accepted", POWER), existing, 2)[0]
        == "Accepted"
    )
    status, replaced = set_monitor(item("UpperThreshold", 9000, id=1), ("Accepted", POWER), existing, 2)
    assert status == "Accepted"
    assert replaced is not None
    assert (replaced.id, replaced.value) == (1, 9000)


# --- SetMonitoringBase, ClearVariableMonitoring, GetMonitoringReport ----------------------------------------


def test_factory_default_and_hard_wired_only_drop_the_custom_monitors() -> None:
    monitors = {
        1: monitor("Delta", 1),
        2: monitor("Periodic", 60, 2).model_copy(update={"origin": "HardWiredMonitor"}),
    }
    assert cleared_by_base("All", monitors) == []
    assert cleared_by_base("FactoryDefault", monitors) == [1]
    assert cleared_by_base("HardWiredOnly", monitors) == [1]
    assert clear_results([1, 2, 3], monitors) == [
        {"id": 1, "status": "Accepted"},
        {"id": 2, "status": "Rejected"},
        {"id": 3, "status": "NotFound"},
    ]


def test_a_monitoring_report_groups_monitors_per_variable_and_filters_by_criteria() -> None:
    monitors = {
        1: monitor("UpperThreshold", 7000),
        2: monitor("Delta", 100, 2),
        3: monitor("Periodic", 60, 3),
    }
    [power] = report(monitors, None, None)
    assert power["component"] == {"name": "EVSE", "evse": {"id": 1, "connector_id": None}}
    assert [m["id"] for m in power["variable_monitoring"]] == [1, 2, 3]
    [threshold] = report(monitors, None, ["ThresholdMonitoring"])
    assert [m["type"] for m in threshold["variable_monitoring"]] == ["UpperThreshold"]
    [periodic] = report(
        monitors, [{"component": {"name": "EVSE", "evse": {"id": 1}}}], ["PeriodicMonitoring"]
    )
    assert [m["id"] for m in periodic["variable_monitoring"]] == [3]
    assert report(monitors, [{"component": {"name": "EVSE", "evse": {"id": 2}}}], None) == []


# --- evaluation ---------------------------------------------------------------------------------------------


def run(watched: VariableMonitor, values: Sequence[tuple[float, str]]) -> list[tuple[str, str, bool]]:
    """The alerts (trigger, value, cleared) a monitor raises over (time, value) samples."""
    watch, alerts = Watch(), []
    for now, value in values:
        alert, watch = evaluate(watched, value, watch, now)
        if alert is not None:
            alerts.append((alert.trigger, alert.actual_value, alert.cleared))
    return alerts


def test_an_upper_threshold_alerts_once_when_crossed_and_once_when_back() -> None:
    samples = [(t, v) for t, v in enumerate(["0", "6000", "7001", "9000", "7000", "100", "8000"])]
    assert run(monitor("UpperThreshold", 7000), samples) == [
        ("Alerting", "7001", False),
        ("Alerting", "7000", True),
        ("Alerting", "8000", False),
    ]


def test_a_lower_threshold_alerts_below_it() -> None:
    assert run(monitor("LowerThreshold", 10), [(0, "50"), (1, "9.5"), (2, "5"), (3, "11")]) == [
        ("Alerting", "9.5", False),
        ("Alerting", "11", True),
    ]


def test_a_delta_alerts_when_the_value_moved_by_the_delta_since_the_last_report() -> None:
    samples = [(0, "1000"), (1, "1050"), (2, "1100"), (3, "1150"), (4, "1201"), (5, "1201")]
    assert run(monitor("Delta", 100), samples) == [("Delta", "1100", False), ("Delta", "1201", False)]


def test_a_delta_on_a_word_alerts_on_any_change() -> None:
    _, watched = set_monitor(item("Delta", 0), ("Accepted", STATE), {}, 1)
    assert watched is not None
    samples = [(0, "Available"), (1, "Available"), (2, "Occupied"), (3, "Occupied"), (4, "Available")]
    assert run(watched, samples) == [("Delta", "Occupied", False), ("Delta", "Available", False)]


def test_periodic_alerts_every_period_and_skips_missed_ones() -> None:
    samples = [(0, "1"), (59, "2"), (60, "3"), (61, "4"), (120, "5"), (300, "6"), (359, "7"), (360, "8")]
    assert [v for _, v, _ in run(monitor("Periodic", 60), samples)] == ["3", "5", "6", "8"]


def test_periodic_clock_aligned_alerts_at_multiples_of_the_period() -> None:
    samples = [(1000, "a"), (1019, "b"), (1020, "c"), (1079, "d"), (1080, "e")]
    assert [v for _, v, _ in run(monitor("PeriodicClockAligned", 60), samples)] == ["c", "e"]


def test_the_monitoring_level_keeps_severities_up_to_it() -> None:
    alert, _ = evaluate(monitor("Periodic", 1, severity=4), "x", Watch(next_due=0), 0)
    assert alert is not None
    assert reported(alert, 4)
    assert reported(alert, 9)
    assert not reported(alert, 3)


# --- kept on the ChargePoint ---------------------------------------------------------------------------


def test_monitors_level_and_base_are_rebuilt_from_the_events() -> None:
    cp = charge_point()
    assert (cp.monitors, cp.monitor_serial, cp.monitoring_level, cp.monitoring_base) == ({}, 0, 9, "All")
    cp.monitor_set(monitor("UpperThreshold", 7000, 1))
    cp.monitor_set(monitor("Delta", 100, 2))
    cp.monitors_cleared([1])
    cp.monitoring_level_set(4)
    cp.monitoring_base_set("FactoryDefault")
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.monitors == {2: monitor("Delta", 100, 2)}
    assert (rebuilt.monitor_serial, rebuilt.monitoring_level, rebuilt.monitoring_base) == (
        2,
        4,
        "FactoryDefault",
    )
    assert charge_point().monitors == {}  # one charge point's monitors are not another's


def test_a_delta_counts_from_the_value_it_was_set_on() -> None:
    watched = monitor("Delta", 100)
    alert, _ = evaluate(watched, "7150", start_watch(watched, "7000"), 0)
    assert alert is not None
    assert (alert.trigger, alert.actual_value) == ("Delta", "7150")
    assert start_watch(monitor("UpperThreshold", 7000), "9000") == Watch()  # crossed: alerts when evaluated
