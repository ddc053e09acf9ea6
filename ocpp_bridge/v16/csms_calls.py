"""OCPP 1.6 CSMS-initiated calls: RemoteStart/Stop, Reset, TriggerMessage, UnlockConnector,
ChangeAvailability, SendLocalList, Change/GetConfiguration."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from domain.connector_state import LocalListEntry
from ocpp_bridge.core import configuration
from ocpp_bridge.core.diagnostics import upload_status_now
from ocpp_bridge.core.firmware import firmware_status_now
from ocpp_bridge.core.smart_charging.answers import remote_start_profile
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v16 import csms_answers as answers
from ocpp_bridge.v16.commands import V16Commands
from ocpp_bridge.v16.rules import FIRMWARE


class V16CsmsCalls(V16Commands):
    """Answers to CSMS-initiated calls: immediate, with follow-ups through the intent worker."""

    def remote_start(
        self, id_tag: str, connector_id: int | None, charging_profile: dict[str, Any] | None, message_id: str
    ) -> str:
        target = answers.remote_start_target(self.cp, connector_id, id_tag)
        if target is None:
            return "Rejected"
        if charging_profile:  # a TxProfile for the transaction about to start (Rejected: no start)
            store, rejection = remote_start_profile(
                self.profile_store, self.profile_facts(), target, charging_profile
            )
            if rejection is not None:
                return "Rejected"
            self.adopt_profiles(store)
            self.record()

        async def follow_up() -> None:
            try:
                await self.plug(target)
                authorize = self.config_bool("AuthorizeRemoteTxRequests")
                if authorize and await self.authorize_tag(id_tag) != "Accepted":
                    return
                await self.start_transaction(target, id_tag)
            finally:
                if self.state(target).transaction_id is None:
                    self.drop_unbound_profiles(target)

        self.enqueue(FollowUp(message_id, follow_up, "RemoteStartTransaction"))
        return "Accepted"

    def remote_stop(self, transaction_id: int, message_id: str) -> str:
        target = answers.remote_stop_target(self.cp, transaction_id)
        if target is None:
            return "Rejected"

        async def follow_up() -> None:
            await self.stop_transaction(target, "Remote")

        self.enqueue(FollowUp(message_id, follow_up, "RemoteStopTransaction"))
        return "Accepted"

    def reset(self, kind: str, message_id: str) -> str:
        async def follow_up() -> None:
            reason = "SoftReset" if kind == "Soft" else "HardReset"
            for n, state in list(self.cp.connectors.items()):
                if state.transaction_id is not None:
                    await self.stop_transaction(n, reason)
            self.record()
            self.reboot()

        self.enqueue(FollowUp(message_id, follow_up, "Reset"))
        return "Accepted"

    def trigger(self, requested: str, connector_id: int | None, message_id: str) -> str:
        answer = answers.trigger_answer(self.cp, requested, connector_id)
        if answer != "Accepted":
            return answer

        async def follow_up() -> None:
            if requested == "BootNotification":
                await self.call(
                    call.BootNotification(
                        charge_point_model=self.charger.spec.model_name[:20],
                        charge_point_vendor=self.charger.spec.vendor_name[:20],
                        charge_point_serial_number=self.identity[:25],
                        firmware_version=self.cp.firmware_version or FIRMWARE,
                    )
                )
            elif requested == "Heartbeat":
                await self.heartbeat()
            elif requested == "StatusNotification":
                if connector_id in (None, 0):  # the charger itself; without a connector id, every one
                    await self.report_charger_status()
                if connector_id is None:
                    targets = list(self.cp.connectors)
                else:
                    targets = [] if connector_id == 0 else [connector_id]
                for n in targets:
                    await self.status_notification(
                        n, self.state(n).status, self.state(n).error_code, force=True
                    )
            elif requested == "MeterValues":
                targets = [connector_id] if connector_id else list(self.cp.connectors)
                for n in targets:
                    await self.send_meter_values(n, self.settle(n), "Trigger")
            elif requested == "DiagnosticsStatusNotification":
                # A GetLog's upload (it has a requestId) reports through LogStatusNotification.
                log = self.cp.upload_request_id is not None
                status = "Idle" if log else upload_status_now(self.cp.upload_status)
                await self.call(call.DiagnosticsStatusNotification(status=status))
            elif requested == "FirmwareStatusNotification":
                # A signed update (it has a requestId) reports through SignedFirmwareStatusNotification.
                signed = self.cp.firmware_request_id is not None
                status = "Idle" if signed else firmware_status_now(self.cp.firmware_status)
                await self.call(call.FirmwareStatusNotification(status=status))

        self.enqueue(FollowUp(message_id, follow_up, f"TriggerMessage {requested}"))
        return "Accepted"

    def unlock(self, connector_id: int, message_id: str) -> str:
        answer = answers.unlock_answer(self.cp, connector_id)
        if answer == "Unlocked" and self.state(connector_id).transaction_id is not None:

            async def follow_up() -> None:
                await self.stop_transaction(connector_id, "UnlockCommand")

            self.enqueue(FollowUp(message_id, follow_up, "UnlockConnector"))
        return answer

    def change_availability(self, connector_id: int, kind: str, message_id: str) -> str:
        """Accepted, or Scheduled when a transaction runs on a connector concerned: the change is on
        record at once (it survives a reboot) and such a connector becomes Unavailable when its
        transaction ends."""
        operative = kind == "Operative"
        answer = answers.availability_answer(self.cp, connector_id, operative)
        if answer == "Rejected":
            return answer
        targets = list(self.cp.connectors) if connector_id == 0 else [connector_id]
        self.cp.availability_changed(connector_id, operative)
        self.record()

        async def follow_up() -> None:
            await self.report_charger_status(force=False)
            for n in targets:
                if not self.faulted(n):
                    await self.status_notification(n, self.resting_status(n))

        self.enqueue(FollowUp(message_id, follow_up, "ChangeAvailability"))
        return answer

    def send_local_list(
        self, list_version: int, update_type: str, entries: list[dict[str, Any]] | None
    ) -> str:
        enabled = self.config_bool("LocalAuthListEnabled")
        answer = answers.local_list_answer(self.cp, enabled, list_version, update_type)
        if answer != "Accepted":
            return answer
        kept = [
            LocalListEntry(
                id_tag=e["id_tag"],
                status=e["id_tag_info"]["status"],
                expiry_date=e["id_tag_info"].get("expiry_date"),
                parent_id_tag=e["id_tag_info"].get("parent_id_tag"),
            )
            for e in entries or []
            if e.get("id_tag_info")
        ]
        removed = [e["id_tag"] for e in entries or [] if not e.get("id_tag_info")]
        self.cp.local_list_changed(list_version, update_type, kept, removed, None)
        self.record()
        return "Accepted"

    def change_configuration(self, key: str, value: str) -> str:
        status, resolved = configuration.decide_change(key, value)
        if resolved is not None and status in ("Accepted", "RebootRequired"):
            self.apply_configuration(resolved.name, configuration.normalise(resolved, value))
            self.record()
        return status

    def get_configuration(self, keys: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        names = keys or list(configuration.KEYS)
        known, unknown = [], []
        for name in names:
            key = configuration.KEYS.get(name)
            if key is None:
                unknown.append(name)
            else:
                known.append({"key": name, "readonly": key.readonly, "value": self.config(name)})
        return known, unknown
