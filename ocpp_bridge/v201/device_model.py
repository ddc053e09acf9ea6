"""OCPP 2.0.1 device model: the configuration keys as components and variables, Get/SetVariables,
GetBaseReport, SendLocalList, ClearCache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.v201 import call

from domain.clock import iso
from domain.connector_state import LocalListEntry
from ocpp_bridge.core import configuration
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v201 import reports, tx_points, variables
from ocpp_bridge.v201.csms_calls import V201CsmsCalls
from ocpp_bridge.v201.rules import (
    AVAILABILITY_STATES,
    DATA_TYPES,
    MEASURAND_KEYS,
    MEASURAND_UNITS,
    DeviceVariable,
)


class V201DeviceModel(V201CsmsCalls):
    """The device model (Get/SetVariables, GetBaseReport) and the local list and cache."""

    def device_model(self) -> list[DeviceVariable]:
        rows = []
        for key in configuration.KEYS.values():
            if key.component is None or key.variable is None:
                continue
            rows.append(
                DeviceVariable(
                    key.component,
                    key.variable,
                    self.config(key.name),
                    DATA_TYPES[key.kind],
                    mutability="ReadOnly" if key.readonly else "ReadWrite",
                    values_list=",".join(MEASURAND_UNITS) if key.name in MEASURAND_KEYS else None,
                    instance=variables.KEY_INSTANCES.get(key.name),
                    key=key,
                )
            )
        for key, _ in variables.KEYS.values():
            assert key.component is not None
            assert key.variable is not None
            rows.append(
                DeviceVariable(
                    key.component,
                    key.variable,
                    self.variable_value(key),
                    DATA_TYPES[key.kind],
                    mutability="ReadWrite",
                    values_list=",".join(tx_points.SUPPORTED),
                    key=key,
                )
            )
        rows += variables.fixed_rows(self.station_facts())
        station = "Faulted" if self.cp.charger_fault else "Available"
        if all(not c.operative for c in self.cp.connectors.values()):
            station = "Unavailable"
        rows.append(
            DeviceVariable(
                "ChargingStation", "AvailabilityState", station, "OptionList", values_list=AVAILABILITY_STATES
            )
        )
        for n, state in self.cp.connectors.items():
            for component, connector in (("EVSE", None), ("Connector", 1)):
                rows.append(
                    DeviceVariable(
                        component,
                        "AvailabilityState",
                        state.status,
                        "OptionList",
                        evse=n,
                        connector=connector,
                        values_list=AVAILABILITY_STATES,
                    )
                )
        return rows

    def variable_value(self, key: configuration.Key) -> str:
        return self.cp.config.get(key.name, key.default)

    def station_facts(self) -> variables.StationFacts:
        return variables.StationFacts(
            security_profile=self.charger.settings.security_profile,
            organization=self.charger.spec.vendor_name,
            now=iso(self.clock.now()),
            ac=self.charger.spec.current_type == "AC",
            connector_type=self.charger.settings.connector_type,
            power_w={n: self.runtime[n].power_w for n in self.cp.connectors},
            max_power_w=self.charger.spec.max_power_w / max(1, len(self.cp.connectors)),
            problems={
                0: self.cp.charger_fault is not None,
                **{n: c.fault is not None for n, c in self.cp.connectors.items()},
            },
        )

    def find_variable(
        self, component: dict[str, Any], variable: dict[str, Any]
    ) -> tuple[str, DeviceVariable | None]:
        rows = [r for r in self.device_model() if r.matches_component(component)]
        if not rows:
            return "UnknownComponent", None
        for row in rows:
            if row.matches_variable(variable):
                return "Accepted", row
        # A variable asked without its instance: the one of that name, if there is only one.
        named = [r for r in rows if r.variable == variable.get("name")]
        if variable.get("instance") is None and len(named) == 1:
            return "Accepted", named[0]
        return "UnknownVariable", None

    def get_variables(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.check_items("GetVariables", items)
        results = []
        for item in items:
            status, row = self.find_variable(item["component"], item["variable"])
            if row is not None and item.get("attribute_type") not in (None, "Actual"):
                status = "NotSupportedAttributeType"
            results.append(
                {
                    "attribute_status": status,
                    "attribute_type": item.get("attribute_type"),
                    "attribute_value": row.value if row is not None and status == "Accepted" else None,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return results

    def set_variables(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.check_items("SetVariables", items)
        results = []
        for item in items:
            status, row = self.find_variable(item["component"], item["variable"])
            value = str(item["attribute_value"])
            if row is not None:
                key = row.key
                if item.get("attribute_type") not in (None, "Actual"):
                    status = "NotSupportedAttributeType"
                elif key is None or not self.acceptable(key, value):
                    status = "Rejected"
                else:
                    status = "RebootRequired" if key.reboot else "Accepted"
                    self.apply_configuration(key.name, configuration.normalise(key, value))
            results.append(
                {
                    "attribute_status": status,
                    "attribute_type": item.get("attribute_type"),
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        self.record()
        return results

    @staticmethod
    def check_items(action: str, items: list[dict[str, Any]]) -> None:
        """More items than DeviceDataCtrlr.ItemsPerMessage says: the CALLERROR of OCPP-J."""
        limit = variables.ITEMS_PER_MESSAGE[action]
        if len(items) > limit:
            raise OccurrenceConstraintViolationError(
                description=f"{action} takes at most {limit} items (DeviceDataCtrlr.ItemsPerMessage)",
                details={"items": len(items)},
            )

    @staticmethod
    def acceptable(key: configuration.Key, value: str) -> bool:
        if key.name in variables.KEYS:
            return variables.KEYS[key.name][1](value)
        if key.readonly or not configuration.check_value(key, value):
            return False
        members = [m.strip() for m in value.split(",") if m.strip()]
        return key.name not in MEASURAND_KEYS or all(m in MEASURAND_UNITS for m in members)

    def base_report(self, request_id: int, report_base: str, message_id: str) -> str:
        rows = reports.base_report(self.device_model(), report_base)
        return self.send_report(request_id, rows, message_id, f"GetBaseReport {report_base}")

    def get_report(
        self,
        request_id: int,
        component_variables: list[dict[str, Any]] | None,
        criteria: list[str] | None,
        message_id: str,
    ) -> str:
        rows = reports.report(self.device_model(), component_variables, criteria)
        return self.send_report(request_id, rows, message_id, "GetReport")

    def send_report(self, request_id: int, rows: list[DeviceVariable], message_id: str, what: str) -> str:
        """Accepted, and NotifyReport follows in chunks of ItemsPerMessage (EmptyResultSet: nothing)."""
        return self.send_in_chunks(
            [r.report() for r in rows],
            message_id,
            what,
            lambda seq_no, chunk, tbc: call.NotifyReport(
                request_id=request_id,
                generated_at=iso(self.clock.now()),
                seq_no=seq_no,
                report_data=chunk,
                tbc=tbc,
            ),
        )

    def send_in_chunks(
        self,
        items: list[dict[str, Any]],
        message_id: str,
        what: str,
        message: Callable[[int, list[dict[str, Any]], bool], Any],
    ) -> str:
        """A report's answer (EmptyResultSet when it has no items), and the follow-up that sends it in
        ItemsPerMessage chunks: message(seqNo, items, tbc) makes each call."""
        if not items:
            return "EmptyResultSet"
        chunks = reports.chunks(items, variables.ITEMS_PER_MESSAGE["GetReport"])

        async def follow_up() -> None:
            for seq_no, chunk in enumerate(chunks):
                await self.call(message(seq_no, chunk, seq_no < len(chunks) - 1))

        self.enqueue(FollowUp(message_id, follow_up, what))
        return "Accepted"

    def send_local_list(
        self, version_number: int, update_type: str, entries: list[dict[str, Any]] | None
    ) -> str:
        if not self.config_bool("LocalAuthListEnabled"):
            return "Failed"
        if update_type == "Differential" and version_number <= self.cp.local_list_version:
            return "VersionMismatch"
        kept, removed = [], []
        for entry in entries or []:
            token = entry["id_token"]
            self.token_type_used(str(token["id_token"]), str(token["type"]))
            info = entry.get("id_token_info")
            if info is None:
                removed.append(token["id_token"])
                continue
            kept.append(
                LocalListEntry(
                    id_tag=token["id_token"],
                    status=info["status"],
                    expiry_date=info.get("cache_expiry_date_time"),
                    parent_id_tag=(info.get("group_id_token") or {}).get("id_token"),
                )
            )
        self.cp.local_list_changed(
            version_number, update_type, kept, removed if update_type == "Differential" else [], None
        )
        self.record()
        return "Accepted"

    def clear_cache(self) -> str:
        if not self.config_bool("AuthorizationCacheEnabled"):
            return "Rejected"
        self.cp.auth_cache_cleared(len(self.cp.auth_cache), None)
        self.record()
        return "Accepted"
