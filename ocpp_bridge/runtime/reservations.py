"""What both versions' reservations do in the shell: hold an accepted reservation (a ReserveNow with a
known id replaces it), cancel one, and the expiry timer on the simulated clock: a task of the station
that sleeps until the next reservation expires (or the reservations change) and then has the intent
worker expire it, in line with the commands and follow-ups. Reservations are ChargePoint events: after a
restart the timer picks up those still held, and one that expired while the bridge was down expires at
once. The rules are in ocpp_bridge.core.reservations."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from domain.reservations import Reservation, ReservationEnd
from ocpp_bridge.core import reservations
from ocpp_bridge.runtime.station import FollowUp, Station


class ReservingStation(Station):
    """The base of each version's reservations mixin, which says what expiry does and how a connector
    reports the reservations that took or gave it back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reservations_changed = asyncio.Event()
        self._parent_answered: tuple[str | None] | None = None  # what the last Authorize answer named

    def start(self) -> None:
        super().start()
        self._tasks.append(asyncio.create_task(self._expiry_loop(), name=f"{self.identity}-reservations"))

    async def expire_reservations(self) -> None:
        raise NotImplementedError

    async def report_reservations(self, connector_ids: list[int]) -> None:
        raise NotImplementedError

    def hold(self, reservation: Reservation, message_id: str, action: str = "ReserveNow") -> None:
        """An accepted reservation is on record at once; the statuses follow our answer."""
        touched = [reservation.connector_id]
        replaced = self.cp.reservations.get(reservation.reservation_id)
        if replaced is not None:  # the same id again: the new one replaces it (1.6 §5.13, 2.0.1 H01.FR.02)
            self.cp.reservation_ended(reservation.reservation_id, ReservationEnd.REPLACED.value)
            touched.insert(0, replaced.connector_id)
        self.cp.reservation_made(reservation)
        self.record()
        self.reservations_changed.set()
        self.enqueue(FollowUp(message_id, lambda: self.report_reservations(touched), action))

    def cancel_reservation(self, reservation_id: int, message_id: str) -> str:
        """CancelReservation: Accepted (the connector is given back) or Rejected for an unknown id."""
        answer = reservations.cancel_answer(self.cp, reservation_id)
        if answer != "Accepted":
            return answer
        connector_id = self.cp.reservations[reservation_id].connector_id
        self.cp.reservation_ended(reservation_id, ReservationEnd.CANCELLED.value)
        self.record()
        self.reservations_changed.set()
        follow_up = FollowUp(
            message_id, lambda: self.report_reservations([connector_id]), "CancelReservation"
        )
        self.enqueue(follow_up)
        return answer

    def note_parent(self, parent_id_tag: str | None) -> None:
        """The parent (1.6 parentIdTag) or group (2.0.1 groupIdToken) the CSMS's Authorize answer named
        (each version's authorized_status tells it)."""
        self._parent_answered = (parent_id_tag,)

    async def authorize_tag(self, id_tag: str) -> str:
        """Authorize as ever, and keep on record the parent or group the CSMS's answer names (if it
        answered): a reservation for that parent or group then admits the tag."""
        self._parent_answered = None
        status = await super().authorize_tag(id_tag)
        if (
            self._parent_answered is not None
            and self.cp.token_parents.get(id_tag) != self._parent_answered[0]
        ):
            self.cp.token_parent_learned(id_tag, self._parent_answered[0])
            self.record()
        return status

    def end_removed(self, connector_id: int, status: str) -> list[Reservation]:
        """The reservations a connector's new status ends (Faulted, Unavailable), ended on record."""
        ended = reservations.removed_by_status(self.cp, connector_id, status)
        for reservation in ended:
            self.cp.reservation_ended(reservation.reservation_id, ReservationEnd.REMOVED.value)
        if ended:
            self.record()
            self.reservations_changed.set()
        return ended

    def end_expired(self) -> list[Reservation]:
        """The reservations whose expiry has come, ended on record."""
        ended = reservations.expired(self.cp, self.clock.now())
        for reservation in ended:
            self.cp.reservation_ended(reservation.reservation_id, ReservationEnd.EXPIRED.value)
        self.record()
        return ended

    async def _expiry_loop(self) -> None:
        while True:
            self.reservations_changed.clear()
            due = reservations.next_expiry(self.cp)
            wait = None
            if due is not None:
                wait = (datetime.fromisoformat(due) - self.clock.now()).total_seconds()
            if wait is None or wait > 0:
                timeout = None if wait is None else self.clock.real_seconds(wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.reservations_changed.wait(), timeout)
                continue
            done = asyncio.Event()
            self.enqueue(FollowUp(None, self._expire_then(done), "reservation expiry"))
            await done.wait()

    def _expire_then(self, done: asyncio.Event) -> Callable[[], Awaitable[None]]:
        async def expire() -> None:
            try:
                await self.expire_reservations()
            finally:
                done.set()

        return expire
