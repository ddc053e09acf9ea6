"""OCPP 2.0.1 CSMS-initiated calls: RequestStart/StopTransaction, Reset, TriggerMessage, UnlockConnector,
ChangeAvailability, Set/ClearChargingProfile."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ocpp.v201 import call

from ocpp_bridge.station import FollowUp
from ocpp_bridge.v201 import tx_points
from ocpp_bridge.v201.commands import V201Commands
from ocpp_bridge.v201.rules import limit_watts


class V201CsmsCalls(V201Commands):
    """Answers to CSMS-initiated calls: immediate, with follow-ups through the intent worker."""

    def _usable(self, connector_id: int) -> bool:
        state = self.cp.connectors.get(connector_id)
        return (
            state is not None
            and state.fault is None
            and not self.cp.charger_fault
            and state.operative
            and not state.stop_authorized
            and not self.authorized_transaction(connector_id)
        )

    def request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None,
        charging_profile: dict[str, Any] | None,
        message_id: str,
    ) -> tuple[str, str | None]:
        if not self.online.is_set():
            return "Rejected", None
        if charging_profile is not None and charging_profile.get("charging_profile_purpose") != "TxProfile":
            return "Rejected", None
        candidates = [
            n for n in ([evse_id] if evse_id is not None else list(self.cp.connectors)) if self._usable(n)
        ]
        # An EV already waiting for authorization first (cable plugged in before the remote start).
        waiting = [n for n in candidates if self.state(n).transaction_id is not None]
        idle = [n for n in candidates if self.state(n).transaction_id is None]
        if not waiting and not idle:
            return "Rejected", None
        target = (waiting or idle)[0]
        tag = str(id_token["id_token"])
        self.token_type_used(tag, str(id_token["type"]))

        async def follow_up() -> None:
            if charging_profile is not None:
                limit = limit_watts(charging_profile.get("charging_schedule"), self.charger.spec.current_type)
                self.settle(target)
                self.cp.charging_limit_changed(target, limit)
                self.cp.charging_profile_installed(int(charging_profile["id"]), target, "TxProfile")
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

        self.enqueue(FollowUp(message_id, follow_up, "RequestStartTransaction"))
        return "Accepted", self.state(target).transaction_id

    def request_stop(self, transaction_id: str, message_id: str) -> str:
        for n, state in self.cp.connectors.items():
            if state.transaction_id == transaction_id:

                async def follow_up(n: int = n) -> None:
                    if self.state(n).transaction_id == transaction_id:
                        await self.end_transaction(n, "RemoteStop", "Remote")

                self.enqueue(FollowUp(message_id, follow_up, "RequestStopTransaction"))
                return "Accepted"
        return "Rejected"

    def reset(self, kind: str, evse_id: int | None, message_id: str) -> str:
        if evse_id is not None and evse_id not in self.cp.connectors:
            return "Rejected"
        scope = evse_id or 0
        if kind == "OnIdle" and self.busy(scope):
            self.cp.reset_scheduled(scope)
            self.record()
            return "Scheduled"
        self.enqueue(FollowUp(message_id, self.reset_follow_up(scope), f"Reset {kind}"))
        return "Accepted"

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
                await self.call(call.LogStatusNotification(status="Idle"))

        elif requested == "FirmwareStatusNotification":

            async def run() -> None:
                await self.call(call.FirmwareStatusNotification(status="Idle"))

        else:
            return "NotImplemented"
        self.enqueue(FollowUp(message_id, run, f"TriggerMessage {requested}"))
        return "Accepted"

    def unlock(self, evse_id: int, connector_id: int) -> str:
        if evse_id not in self.cp.connectors or connector_id != 1:
            return "UnknownConnector"
        if self.authorized_transaction(evse_id):
            return "OngoingAuthorizedTransaction"
        return "Unlocked"

    def change_availability(
        self, operational_status: str, evse: dict[str, Any] | None, message_id: str
    ) -> str:
        evse_id = 0 if evse is None else int(evse["id"])
        if evse is not None and (
            evse_id not in self.cp.connectors or evse.get("connector_id") not in (None, 1)
        ):
            return "Rejected"
        operative = operational_status == "Operative"
        targets = list(self.cp.connectors) if evse_id == 0 else [evse_id]
        if operative:
            for n in targets:
                if self.state(n).scheduled_operative is not None:
                    self.cp.availability_scheduled(n, None)
        scheduled = [n for n in targets if not operative and self.state(n).transaction_id is not None]
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
        return "Scheduled" if scheduled else "Accepted"

    def set_charging_profile(self, evse_id: int, profile: dict[str, Any], message_id: str) -> str:
        purpose = profile.get("charging_profile_purpose")
        if evse_id != 0 and evse_id not in self.cp.connectors:
            return "Rejected"
        if purpose == "ChargingStationExternalConstraints":
            return "Rejected"  # set by an external system, never by the CSMS
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "Rejected"
        if purpose == "TxProfile":
            if evse_id == 0:
                return "Rejected"
            running = self.state(evse_id).transaction_id
            if running is None or profile.get("transaction_id") not in (None, running):
                return "Rejected"
        limit = limit_watts(profile.get("charging_schedule"), self.charger.spec.current_type)
        if limit is None:
            return "Rejected"
        targets = list(self.cp.connectors) if evse_id == 0 else [evse_id]
        for n in targets:
            self.settle(n)
        self.cp.charging_limit_changed(evse_id, limit)
        self.cp.charging_profile_installed(int(profile["id"]), evse_id, str(purpose))
        self.record()
        self.enqueue(FollowUp(message_id, self._charging_follow_up(targets), "SetChargingProfile"))
        return "Accepted"

    def _charging_follow_up(self, targets: list[int]) -> Callable[[], Awaitable[None]]:
        async def follow_up() -> None:
            for n in targets:
                await self.update_charging(n)

        return follow_up

    def clear_charging_profile(
        self, profile_id: int | None, criteria: dict[str, Any] | None, message_id: str
    ) -> str:
        """Profiles are kept as one limit per connector: clearing any profile of a connector lifts it."""
        if profile_id is not None:
            known = self.cp.profiles.get(profile_id)
            if known is None:
                return "Unknown"
            self.cp.charging_profiles_removed([profile_id])
            scope = known.evse_id
        else:
            criteria = criteria or {}
            scope, purpose = criteria.get("evse_id") or 0, criteria.get("charging_profile_purpose")
            matched = [
                pid
                for pid, profile in self.cp.profiles.items()
                if scope in (0, profile.evse_id) and purpose in (None, profile.purpose)
            ]
            if matched:
                self.cp.charging_profiles_removed(matched)
            limited = [n for n in self.scope(scope) if self.cp.connectors[n].limit_w is not None]
            if not matched and (purpose is not None or not limited):
                return "Unknown"
        targets = self.scope(scope)
        for n in targets:
            self.settle(n)
            self.cp.charging_limit_changed(n, None)
        self.record()
        self.enqueue(FollowUp(message_id, self._charging_follow_up(targets), "ClearChargingProfile"))
        return "Accepted"
