"""OCPP 2.0.1 CSMS-initiated calls: RequestStart/StopTransaction, Reset, TriggerMessage, UnlockConnector,
ChangeAvailability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ocpp.v201 import call

from ocpp_bridge.core.certificates.keys import SigningUse
from ocpp_bridge.core.diagnostics import upload_status_now
from ocpp_bridge.core.firmware import firmware_status_now
from ocpp_bridge.core.smart_charging.answers import remote_start_profile
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v201 import csms_answers as answers
from ocpp_bridge.v201 import tx_points
from ocpp_bridge.v201.commands import V201Commands

# TriggerMessage of a new key and SignCertificate (2.0.1 A02/A03): its certificate's use.
SIGN_TRIGGERS = {
    "SignChargingStationCertificate": SigningUse.CHARGING_STATION,
    "SignV2GCertificate": SigningUse.V2G,
}


class V201CsmsCalls(V201Commands):
    """Answers to CSMS-initiated calls: immediate, with follow-ups through the intent worker."""

    trigger_signing: Callable[[SigningUse, str], str]  # ocpp_bridge.runtime.station_certificates

    def request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None,
        charging_profile: dict[str, Any] | None,
        message_id: str,
    ) -> tuple[str, str | None]:
        tag = str(id_token["id_token"])
        target = answers.request_start_target(
            self.cp, evse_id, charging_profile, online=self.online.is_set(), id_tag=tag
        )
        if target is None:
            return "Rejected", None
        if charging_profile is not None:  # a TxProfile for the transaction it starts (Rejected: no start)
            store, rejection = remote_start_profile(
                self.profile_store, self.profile_facts(), target, charging_profile
            )
            if rejection is not None:
                return "Rejected", None
            self.adopt_profiles(store)
        self.token_type_used(tag, str(id_token["type"]))
        self.record()

        async def start() -> None:
            if self.config_bool("AuthorizeRemoteTxRequests") and await self.authorize_tag(tag) != "Accepted":
                return
            start_points, _ = tx_points.configured(self.cp.config)
            if (
                not tx_points.starts(start_points, plugged=False, authorized=True)
                and not self.state(target).plugged
            ):
                await self.plug(
                    target
                )  # the transaction starts with the cable (TxStartPoint): it comes first
            _, status = await self.authorize_transaction(
                target, tag, "RemoteStart", remote_start_id=remote_start_id, record_tag=True
            )
            if status != "Accepted":
                if self.config_bool("StopTransactionOnInvalidId"):
                    await self.end_transaction(target, "Deauthorized", "DeAuthorized")
                return
            if not self.state(target).plugged:
                await self.plug(target)  # the driver plugs in right away

        async def follow_up() -> None:
            try:
                await start()
            finally:
                if self.state(target).transaction_id is None:
                    self.drop_unbound_profiles(target)

        self.enqueue(FollowUp(message_id, follow_up, "RequestStartTransaction"))
        return "Accepted", self.state(target).transaction_id

    def request_stop(self, transaction_id: str, message_id: str) -> str:
        target = answers.request_stop_target(self.cp, transaction_id)
        if target is None:
            return "Rejected"

        async def follow_up() -> None:
            if self.state(target).transaction_id == transaction_id:
                await self.end_transaction(target, "RemoteStop", "Remote")

        self.enqueue(FollowUp(message_id, follow_up, "RequestStopTransaction"))
        return "Accepted"

    def reset(self, kind: str, evse_id: int | None, message_id: str) -> str:
        answer = answers.reset_answer(self.cp, kind, evse_id)
        scope = evse_id or 0
        if answer == "Scheduled":
            self.cp.reset_scheduled(scope)
            self.record()
        elif answer == "Accepted":
            self.enqueue(FollowUp(message_id, self.reset_follow_up(scope), f"Reset {kind}"))
        return answer

    def trigger(self, requested: str, evse: dict[str, Any] | None, message_id: str) -> str:
        evse_id = None if evse is None else int(evse["id"])
        if evse is not None and (
            evse_id not in self.cp.connectors or evse.get("connector_id") not in (None, 1)
        ):
            return "Rejected"
        targets = [evse_id] if evse_id is not None else list(self.cp.connectors)
        run: Callable[[], Awaitable[None]]
        if requested == "BootNotification":
            if self.cp.boot_status == "Accepted":
                return "Rejected"  # F06.FR.17: not once the boot was accepted

            async def run() -> None:
                self.boot_reason = "Triggered"
                self._boot_now.set()

        elif requested == "Heartbeat":
            run = self.heartbeat
        elif requested == "StatusNotification":
            if evse_id is None:
                return "Rejected"

            async def run() -> None:
                status, code = self.connector_status(evse_id)
                await self.status_notification(evse_id, status, code, force=True)

        elif requested == "MeterValues":

            async def run() -> None:
                for n in targets:
                    await self.send_meter_values(n, self.settle(n), "Trigger")

        elif requested == "TransactionEvent":
            running = [n for n in targets if self.state(n).transaction_id is not None]
            if not running:
                return "Rejected"

            async def run() -> None:
                for n in running:
                    async with self.tx_lock:
                        reading = self.settle(n)
                        await self._send(
                            n,
                            "Updated",
                            "Trigger",
                            charging_state=self.charging_state(n),
                            meter=self.meter_value(
                                reading, "Trigger", self.measurands("MeterValuesSampledData")
                            ),
                        )

        elif requested == "LogStatusNotification":

            async def run() -> None:
                status = upload_status_now(self.cp.upload_status)
                request_id = None if status == "Idle" else self.cp.upload_request_id
                await self.call(call.LogStatusNotification(status=status, request_id=request_id))

        elif requested == "FirmwareStatusNotification":

            async def run() -> None:
                status = firmware_status_now(self.cp.firmware_status)
                request_id = None if status == "Idle" else self.cp.firmware_request_id
                await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id))

        elif requested in SIGN_TRIGGERS:  # ocpp_bridge.runtime.station_certificates
            return self.trigger_signing(SIGN_TRIGGERS[requested], message_id)
        else:
            return "NotImplemented"
        self.enqueue(FollowUp(message_id, run, f"TriggerMessage {requested}"))
        return "Accepted"

    def unlock(self, evse_id: int, connector_id: int) -> str:
        return answers.unlock_answer(self.cp, evse_id, connector_id)

    def change_availability(
        self, operational_status: str, evse: dict[str, Any] | None, message_id: str
    ) -> str:
        operative = operational_status == "Operative"
        answer, scheduled = answers.availability_plan(self.cp, evse, operative)
        if answer == "Rejected":
            return answer
        evse_id = 0 if evse is None else int(evse["id"])
        targets = self.scope(evse_id)
        if operative:
            for n in targets:
                if self.state(n).scheduled_operative is not None:
                    self.cp.availability_scheduled(n, None)
        for n in scheduled:
            self.cp.availability_scheduled(n, False)
        if not scheduled:
            self.cp.availability_changed(evse_id, operative)
        else:
            for n in targets:
                if n not in scheduled:
                    self.cp.availability_changed(n, operative)
        self.record()
        self.enqueue(FollowUp(message_id, self.availability_follow_up(evse_id), "ChangeAvailability"))
        return answer
