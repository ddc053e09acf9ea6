"""OCPP 2.0.1 monitoring, the station's part: SetVariableMonitoring, ClearVariableMonitoring,
SetMonitoringBase, SetMonitoringLevel and GetMonitoringReport recorded on the ChargePoint, and the loop
that evaluates the monitors and sends their NotifyEvents. The rules are in v201/monitoring.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.v201 import call

from domain.clock import iso
from domain.monitoring import VariableMonitor
from ocpp_bridge.v201 import monitoring, variables
from ocpp_bridge.v201.device_model import V201DeviceModel
from ocpp_bridge.v201.monitoring import Alert, Watch
from ocpp_bridge.v201.rules import DeviceVariable

TICK_S = 1.0  # how often (simulated seconds) thresholds and deltas are evaluated while monitors exist


class V201Monitoring(V201DeviceModel):
    """The station's variable monitors (kept as ChargePoint events) and their NotifyEvents."""

    _watches: dict[int, Watch]
    _monitors_changed: asyncio.Event

    def monitor_state(self) -> tuple[dict[int, Watch], asyncio.Event]:
        if not hasattr(self, "_monitors_changed"):
            self._watches, self._monitors_changed = {}, asyncio.Event()
        return self._watches, self._monitors_changed

    def device_model(self) -> list[DeviceVariable]:
        rows = super().device_model()
        rows += [
            DeviceVariable("MonitoringCtrlr", "Enabled", "true", "boolean"),
            DeviceVariable(
                "MonitoringCtrlr",
                "ActiveMonitoringBase",
                self.cp.monitoring_base,
                "OptionList",
                values_list=",".join(monitoring.BASES),
            ),
            DeviceVariable(
                "MonitoringCtrlr", "ActiveMonitoringLevel", str(self.cp.monitoring_level), "integer"
            ),
        ]
        for action, items in monitoring.ITEMS_PER_MESSAGE.items():
            rows += [
                DeviceVariable("MonitoringCtrlr", "ItemsPerMessage", str(items), "integer", instance=action),
                DeviceVariable(
                    "MonitoringCtrlr",
                    "BytesPerMessage",
                    str(variables.BYTES_PER_MESSAGE),
                    "integer",
                    instance=action,
                ),
            ]
        return rows

    @staticmethod
    def check_monitor_items(action: str, count: int) -> None:
        limit = monitoring.ITEMS_PER_MESSAGE[action]
        if count > limit:
            raise OccurrenceConstraintViolationError(
                description=f"{action} takes at most {limit} items (MonitoringCtrlr.ItemsPerMessage)",
                details={"items": count},
            )

    # --- the CSMS's calls -------------------------------------------------------------------------------

    def set_variable_monitoring(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.check_monitor_items("SetVariableMonitoring", len(items))
        results = []
        for item in items:
            found = self.find_variable(item["component"], item["variable"])
            status, monitor = monitoring.set_monitor(
                item, found, self.cp.monitors, self.cp.monitor_serial + 1
            )
            row = found[1]
            if monitor is not None and row is not None:
                self.cp.monitor_set(monitor)
                # A (replaced) monitor starts afresh; a delta counts from the value it was set on.
                self.monitor_state()[0][monitor.id] = monitoring.start_watch(monitor, row.value)
            results.append(
                {
                    "id": None if monitor is None else monitor.id,
                    "status": status,
                    "type": item["type"],
                    "severity": item["severity"],
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        self.monitors_changed()
        return results

    def clear_variable_monitoring(self, ids: list[int]) -> list[dict[str, Any]]:
        self.check_monitor_items("ClearVariableMonitoring", len(ids))
        results = monitoring.clear_results(ids, self.cp.monitors)
        cleared = [r["id"] for r in results if r["status"] == "Accepted"]
        if cleared:
            self.cp.monitors_cleared(cleared)
        self.monitors_changed()
        return results

    def set_monitoring_base(self, base: str) -> str:
        if base not in monitoring.BASES:
            return "NotSupported"
        self.cp.monitoring_base_set(base)
        cleared = monitoring.cleared_by_base(base, self.cp.monitors)
        if cleared:
            self.cp.monitors_cleared(cleared)
        self.monitors_changed()
        return "Accepted"

    def set_monitoring_level(self, severity: int) -> str:
        if not 0 <= severity <= 9:
            return "Rejected"
        self.cp.monitoring_level_set(severity)
        self.monitors_changed()
        return "Accepted"

    def get_monitoring_report(
        self,
        request_id: int,
        component_variables: list[dict[str, Any]] | None,
        criteria: list[str] | None,
        message_id: str,
    ) -> str:
        return self.send_in_chunks(
            monitoring.report(self.cp.monitors, component_variables, criteria),
            message_id,
            "GetMonitoringReport",
            lambda seq_no, chunk, tbc: call.NotifyMonitoringReport(
                request_id=request_id,
                seq_no=seq_no,
                generated_at=iso(self.clock.now()),
                monitor=chunk,
                tbc=tbc,
            ),
        )

    def monitors_changed(self) -> None:
        self.record()
        self.monitor_state()[1].set()

    # --- evaluation -------------------------------------------------------------------------------------

    def connected_loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        """What runs beside the heartbeat while the station is connected (each concern adds its own)."""
        return [self._monitor_loop]

    async def _heartbeat_loop(self) -> None:
        loops = [asyncio.create_task(loop()) for loop in self.connected_loops()]
        try:
            await super()._heartbeat_loop()
        finally:
            for task in loops:
                task.cancel()
            for task in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _monitor_loop(self) -> None:
        watches, changed = self.monitor_state()
        while True:
            changed.clear()
            if not self.cp.monitors:
                await changed.wait()  # nothing to evaluate: no cost for a charger without monitors
                continue
            await self.evaluate_monitors()
            delay = TICK_S
            dues = [w.next_due for w in watches.values() if w.next_due is not None]
            if dues:
                delay = max(0.0, min(delay, min(dues) - self.clock.now().timestamp()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), self.clock.real_seconds(delay))

    async def evaluate_monitors(self) -> None:
        watches, _ = self.monitor_state()
        now = self.clock.now().timestamp()
        rows = self.device_model()
        alerts: list[Alert] = []
        for monitor in sorted(self.cp.monitors.values(), key=lambda m: m.id):
            row = next((r for r in rows if monitoring.watches(monitor, r)), None)
            if row is None or not self.monitor_active(monitor):
                watches.pop(monitor.id, None)
                continue
            alert, watches[monitor.id] = monitoring.evaluate(
                monitor, row.value, watches.get(monitor.id, Watch()), now
            )
            if alert is not None and monitoring.reported(alert, self.cp.monitoring_level):
                alerts.append(alert)
        for gone in set(watches) - set(self.cp.monitors):
            del watches[gone]
        if alerts and self.online.is_set():
            with contextlib.suppress(Exception):  # a CSMS that fails a NotifyEvent does not stop the loop
                await self.notify_event([self.alert_event(a) for a in alerts])

    def monitor_active(self, monitor: VariableMonitor) -> bool:
        """A transaction monitor watches only while a transaction runs on its EVSE (any, for the station)."""
        if not monitor.transaction:
            return True
        return self.transaction_of(monitor) is not None

    def transaction_of(self, monitor: VariableMonitor) -> str | None:
        scope = self.scope(monitor.evse or 0)
        return next((t for n in scope if (t := self.state(n).transaction_id) is not None), None)

    def alert_event(self, alert: Alert) -> dict[str, Any]:
        monitor = alert.monitor
        evse = None if monitor.evse is None else {"id": monitor.evse, "connector_id": monitor.connector}
        return {
            "event_id": next(self._event_ids),
            "timestamp": iso(self.clock.now()),
            "trigger": alert.trigger,
            "actual_value": alert.actual_value[: variables.REPORTING_VALUE_SIZE],
            "cleared": True if alert.cleared else None,
            "transaction_id": self.transaction_of(monitor) if monitor.transaction else None,
            "variable_monitoring_id": monitor.id,
            "event_notification_type": monitor.origin,
            "component": {"name": monitor.component, "evse": evse},
            "variable": {"name": monitor.variable, "instance": monitor.instance},
        }
