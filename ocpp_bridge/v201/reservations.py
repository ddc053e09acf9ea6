"""OCPP 2.0.1 block H, reservations: ReserveNow (an EVSE, or any EVSE without evseId), CancelReservation,
and a reservation's expiry with its ReservationStatusUpdate (the rules: ocpp_bridge.core.reservations).
A reserved EVSE reports connectorStatus Reserved; the holder's TransactionEvent carries reservationId."""

from __future__ import annotations

import contextlib
from typing import Any

from ocpp.v201 import call

from domain.reservations import Reservation
from ocpp_bridge.core import reservations
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.reservations import ReserveStatus
from ocpp_bridge.runtime.reservations import ReservingStation
from ocpp_bridge.v201.device_model import V201DeviceModel
from ocpp_bridge.v201.rules import DeviceVariable


class V201Reservations(ReservingStation, V201DeviceModel):
    """ReserveNow and CancelReservation: answered at once, the statuses as follow-ups."""

    def device_model(self) -> list[DeviceVariable]:
        """With ReservationCtrlr.Available (Enabled and NonEvseSpecific are configuration keys)."""
        return [*super().device_model(), DeviceVariable("ReservationCtrlr", "Available", "true", "boolean")]

    def reserve_now(
        self,
        reservation_id: int,
        expiry_date_time: str,
        id_token: dict[str, Any],
        evse_id: int | None,
        connector_type: str | None,
        group_id_token: dict[str, Any] | None,
        message_id: str,
    ) -> str:
        tag = str(id_token["id_token"])
        reservation = Reservation(
            reservation_id=reservation_id,
            connector_id=0 if evse_id is None else evse_id,
            id_tag=tag,
            expires_at=reservations.normalised_time(expiry_date_time),
            parent_id_tag=None if group_id_token is None else str(group_id_token["id_token"]),
            connector_type=connector_type,
        )
        answer = reservations.reserve_answer(
            self.cp,
            reservation,
            self.clock.now(),
            enabled=self.config_bool("ReservationEnabled"),
            charger_wide_supported=self.config_bool("ReserveConnectorZeroSupported"),
            connector_exists=evse_id is None or evse_id in self.cp.connectors,
        )
        if answer is not ReserveStatus.ACCEPTED:
            return answer.value
        self.token_type_used(tag, str(id_token["type"]))
        self.hold(reservation, message_id)
        return answer.value

    async def status_notification(
        self, connector_id: int, status: str, error_code: str = "NoError", *, force: bool = False
    ) -> bool:
        """An EVSE that becomes Faulted or Unavailable loses its reservation: ReservationStatusUpdate
        Removed."""
        changed = await super().status_notification(connector_id, status, error_code, force=force)
        await self._report_update(self.end_removed(connector_id, status), "Removed")
        return changed

    async def _report_update(self, ended: list[Reservation], update: str) -> None:
        for reservation in ended:
            with contextlib.suppress(CommandError):  # offline: the status update is not kept
                await self.call(
                    call.ReservationStatusUpdate(
                        reservation_id=reservation.reservation_id, reservation_update_status=update
                    )
                )

    def authorized_status(self, answer: Any) -> str:
        self.note_parent((answer.id_token_info.get("group_id_token") or {}).get("id_token"))
        return super().authorized_status(answer)

    async def expire_reservations(self) -> None:
        """Each expired reservation ends on record, is reported Expired, and its EVSE is Available."""
        ended = self.end_expired()
        await self._report_update(ended, "Expired")
        await self.report_reservations([r.connector_id for r in ended])

    async def report_reservations(self, evse_ids: list[int]) -> None:
        for n in dict.fromkeys(evse_ids):
            if n in self.cp.connectors:
                await self.refresh_status(n)
