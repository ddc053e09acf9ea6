"""OCPP 1.6 Reservation profile: ReserveNow, CancelReservation, and a reservation's expiry (the rules:
ocpp_bridge.core.reservations). A reserved connector reports Reserved; it is Available again when the
reservation is cancelled or expires, and the holder's StartTransaction carries the reservationId."""

from __future__ import annotations

from typing import Any

from domain.reservations import Reservation
from ocpp_bridge.core import reservations
from ocpp_bridge.core.reservations import ReserveStatus
from ocpp_bridge.runtime.reservations import ReservingStation
from ocpp_bridge.v16.csms_calls import V16CsmsCalls


class V16Reservations(ReservingStation, V16CsmsCalls):
    """ReserveNow and CancelReservation: answered at once, the statuses as follow-ups."""

    def reserve_now(
        self,
        connector_id: int,
        expiry_date: str,
        id_tag: str,
        reservation_id: int,
        parent_id_tag: str | None,
        message_id: str,
    ) -> str:
        reservation = Reservation(
            reservation_id=reservation_id,
            connector_id=connector_id,
            id_tag=id_tag,
            expires_at=reservations.normalised_time(expiry_date),
            parent_id_tag=parent_id_tag,
        )
        answer = reservations.reserve_answer(
            self.cp,
            reservation,
            self.clock.now(),
            enabled=self.config_bool("ReservationEnabled"),
            charger_wide_supported=self.config_bool("ReserveConnectorZeroSupported"),
        )
        if answer is not ReserveStatus.ACCEPTED:
            return answer.value
        self.hold(reservation, message_id)
        return answer.value

    async def status_notification(self, connector_id: int, status: str, *args: Any, **kwargs: Any) -> None:
        """A connector that becomes Faulted or Unavailable loses its reservation."""
        await super().status_notification(connector_id, status, *args, **kwargs)
        self.end_removed(connector_id, status)

    def authorized_status(self, answer: Any) -> str:
        self.note_parent(answer.id_tag_info.get("parent_id_tag"))
        return super().authorized_status(answer)

    async def expire_reservations(self) -> None:
        await self.report_reservations([r.connector_id for r in self.end_expired()])

    async def report_reservations(self, connector_ids: list[int]) -> None:
        """The status of each connector a reservation took or gave back (connector 0: none of its own)."""
        for n in dict.fromkeys(connector_ids):
            if n in self.cp.connectors and not self.faulted(n):
                await self.status_notification(n, self.resting_status(n))
