"""The OCPP 2.0.1 variable monitors a charge point keeps (N: SetVariableMonitoring, SetMonitoringBase,
SetMonitoringLevel, ClearVariableMonitoring), kept by the ChargePoint aggregate's events so that they
survive a restart of the bridge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

DEFAULT_MONITORING_LEVEL = 9  # every severity is reported (0 Danger … 9 Debug)


class VariableMonitor(BaseModel):
    """A monitor on one variable of the device model: what it watches for, how severe it is."""

    model_config = ConfigDict(frozen=True)

    id: int
    component: str
    evse: int | None = None
    connector: int | None = None
    variable: str
    instance: str | None = None  # the variable's
    type: str  # UpperThreshold, LowerThreshold, Delta, Periodic, PeriodicClockAligned
    value: float
    severity: int
    transaction: bool = False  # active only while a transaction runs
    origin: str = "CustomMonitor"  # the eventNotificationType of its events


class MonitoringState:
    """The monitors, the monitoring level and base, as the ChargePoint holds them (its events are in
    domain/chargepoint.py). Class defaults: a charge point recorded before monitoring has none of them."""

    if TYPE_CHECKING:  # annotated for the type checker only: the aggregate makes annotations fields
        monitors: dict[int, VariableMonitor]
    monitors = {}  # replaced, never mutated
    monitor_serial = 0  # the last monitor id handed out
    monitoring_level = DEFAULT_MONITORING_LEVEL
    monitoring_base = "All"
