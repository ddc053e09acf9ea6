"""OCPP 2.0.1 block H, reservations: ReserveNow (an EVSE, or any EVSE without evseId), CancelReservation,
and a reservation's expiry with its ReservationStatusUpdate (the rules: ocpp_bridge.core.reservations).
A reserved EVSE reports connectorStatus Reserved; the holder's TransactionEvent carries reservationId."""

from __future__ import annotations

import contextlib
from typing import Any

from ocpp.v201 import call

from domain.reservations import Reservation, ReservationEnd
from ocpp_bridge.core import reservations
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.reservations import ReserveStatus
from ocpp_bridge.reservation_expiry import ReservationExpiry
from ocpp_bridge.station import FollowUp
from ocpp_bridge.v201.device_model import V201DeviceModel


class V201Reservations(ReservationExpiry, V201DeviceModel):
    """ReserveNow and CancelReservation: answered at once, the statuses as follow-ups."""

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
        touched = [reservation.connector_id]
        replaced = self.cp.reservations.get(reservation_id)
        if replaced is not None:  # the same id again: the new one replaces it (H01.FR.02)
            self.cp.reservation_ended(reservation_id, ReservationEnd.REPLACED.value)
            touched.insert(0, replaced.connector_id)
        self.cp.reservation_made(reservation)
        self.record()
        self.reservations_changed.set()
        self.enqueue(FollowUp(message_id, lambda: self._report_reservations(touched), "ReserveNow"))
        return answer.value

    def cancel_reservation(self, reservation_id: int, message_id: str) -> str:
        answer = reservations.cancel_answer(self.cp, reservation_id)
        if answer != "Accepted":
            return answer
        evse_id = self.cp.reservations[reservation_id].connector_id
        self.cp.reservation_ended(reservation_id, ReservationEnd.CANCELLED.value)
        self.record()
        self.reservations_changed.set()
        self.enqueue(FollowUp(message_id, lambda: self._report_reservations([evse_id]), "CancelReservation"))
        return answer

    async def expire_reservations(self) -> None:
        """Each expired reservation ends on record, is reported Expired, and its EVSE is Available."""
        ended = reservations.expired(self.cp, self.clock.now())
        for reservation in ended:
            self.cp.reservation_ended(reservation.reservation_id, ReservationEnd.EXPIRED.value)
        self.record()
        for reservation in ended:
            with contextlib.suppress(CommandError):  # offline: the status update is not kept
                await self.call(
                    call.ReservationStatusUpdate(
                        reservation_id=reservation.reservation_id, reservation_update_status="Expired"
                    )
                )
        await self._report_reservations([r.connector_id for r in ended])

    async def _report_reservations(self, evse_ids: list[int]) -> None:
        for n in dict.fromkeys(evse_ids):
            if n in self.cp.connectors:
                await self.refresh_status(n)
