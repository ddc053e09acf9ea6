"""Reservations, the rules both OCPP versions share (1.6 Reservation profile §5.13/§5.3, 2.0.1 block H):
what a ReserveNow / CancelReservation is answered, which connector a reservation holds, who may start a
transaction where, and which reservations have expired. Pure: the charger's state and the time come in.

A reservation of one connector (2.0.1: one EVSE) makes it Reserved: only the reserved id tag, or a tag with
the same parent (2.0.1: group) id tag, may start there. A reservation of connector 0 (2.0.1: no evseId)
holds no connector of its own, but keeps one free connector for its holder as long as it lasts: any other
tag may take a free connector only if enough stay free for the charger-wide reservations of others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from domain.chargepoint import ChargePoint
from domain.clock import iso
from domain.failures import FailureCode
from domain.reservations import Reservation
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.guards import faulted


class ReserveStatus(StrEnum):
    """ReserveNow's answer (the same values in 1.6 and 2.0.1)."""

    ACCEPTED = "Accepted"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    REJECTED = "Rejected"
    UNAVAILABLE = "Unavailable"


def _free(cp: ChargePoint, connector_id: int) -> bool:
    """No transaction, no cable, no fault, operative: a driver could start here now."""
    state = cp.connectors[connector_id]
    return state.transaction_id is None and not state.plugged and state.operative and not faulted(cp, state)


def reservation_on(held: Iterable[Reservation], connector_id: int) -> Reservation | None:
    """The reservation that holds this connector (not a charger-wide one)."""
    return next((r for r in held if r.connector_id == connector_id), None)


def _unreserved_free(cp: ChargePoint, excluding: int | None = None) -> list[int]:
    held = [r for r in cp.reservations.values() if r.reservation_id != excluding]
    return [n for n in cp.connectors if _free(cp, n) and reservation_on(held, n) is None]


def _charger_wide(cp: ChargePoint, excluding: int | None = None) -> list[Reservation]:
    return [r for r in cp.reservations.values() if r.connector_id == 0 and r.reservation_id != excluding]


def reserve_answer(
    cp: ChargePoint,
    reservation: Reservation,
    now: datetime,
    *,
    enabled: bool = True,
    charger_wide_supported: bool,
    connector_exists: bool | None = None,
) -> ReserveStatus:
    """ReserveNow: Accepted (a reservation with the same id is replaced), or why not.

    Rejected: reservations disabled, an unknown connector, connector 0 without charger-wide support
    (1.6 ReserveConnectorZeroSupported, 2.0.1 ReservationCtrlr.NonEvseSpecific), an expiry not in the
    future. Faulted / Unavailable: the connector (connector 0: every connector) is. Occupied: it has a
    transaction or a cable, is reserved by another reservation, or taking it would leave too few free
    connectors for the charger-wide reservations (connector 0: no free connector left for it)."""
    n = reservation.connector_id
    if not enabled or iso(now) >= reservation.expires_at:
        return ReserveStatus.REJECTED
    if n == 0:
        if not charger_wide_supported:
            return ReserveStatus.REJECTED
        targets = list(cp.connectors)
    elif not (n in cp.connectors if connector_exists is None else connector_exists):
        return ReserveStatus.REJECTED
    else:
        targets = [n]
    states = [cp.connectors[t] for t in targets]
    if all(faulted(cp, s) for s in states):
        return ReserveStatus.FAULTED
    if all(not s.operative or faulted(cp, s) for s in states):
        return ReserveStatus.UNAVAILABLE
    replaced = reservation.reservation_id
    free = _unreserved_free(cp, excluding=replaced)
    wide = len(_charger_wide(cp, excluding=replaced))
    if n == 0:
        return ReserveStatus.ACCEPTED if len(free) > wide else ReserveStatus.OCCUPIED
    if n not in free or len(free) - 1 < wide:
        return ReserveStatus.OCCUPIED
    return ReserveStatus.ACCEPTED


def cancel_answer(cp: ChargePoint, reservation_id: int) -> str:
    """CancelReservation: Accepted for a reservation the charger holds, Rejected for an unknown id."""
    return "Accepted" if reservation_id in cp.reservations else "Rejected"


def parent_of(cp: ChargePoint, id_tag: str) -> str | None:
    """The parent id tag (2.0.1: group id token) the charger knows for a tag: from its local
    authorization list, else from the CSMS's last Authorize answer for it."""
    entry = cp.local_list.get(id_tag)
    if entry is not None and entry.parent_id_tag is not None:
        return entry.parent_id_tag
    return cp.token_parents.get(id_tag)


def held_by(reservation: Reservation, id_tag: str, parent_id_tag: str | None) -> bool:
    """Whether the tag (with its parent) is the reservation's holder: the same tag, or the same parent
    (1.6 §5.13: the incoming idTag or its parent matches the reservation's idTag or parentIdTag)."""
    theirs = {reservation.id_tag, reservation.parent_id_tag} - {None}
    return id_tag in theirs or (parent_id_tag is not None and parent_id_tag in theirs)


def reservation_for_start(cp: ChargePoint, connector_id: int, id_tag: str) -> Reservation | None:
    """The reservation a transaction of this tag on this connector uses (and ends): the connector's own,
    else a charger-wide one the tag holds. Raises connector_reserved when the connector is not the tag's
    to take: reserved for someone else, or the last free connector(s) kept for charger-wide reservations
    of others."""
    parent = parent_of(cp, id_tag)
    own = reservation_on(cp.reservations.values(), connector_id)
    if own is not None:
        if held_by(own, id_tag, parent):
            return own
        raise CommandError(
            FailureCode.CONNECTOR_RESERVED,
            f"connector {connector_id} is reserved (reservation {own.reservation_id}) for another id tag",
        )
    wide = _charger_wide(cp)
    mine = next((r for r in wide if held_by(r, id_tag, parent)), None)
    if mine is not None:
        return mine
    others = len(wide)
    free = _unreserved_free(cp)
    left = len(free) - (1 if connector_id in free else 0)
    if others and left < others:
        raise CommandError(
            FailureCode.CONNECTOR_RESERVED,
            f"the free connectors are kept for {others} reservation(s) of the whole charger",
        )
    return None


def reserved_first(cp: ChargePoint, connector_ids: Iterable[int], id_tag: str) -> list[int]:
    """The connectors in order, the one reserved for this tag (or its parent) first: a remote start
    without a connector goes where the driver's reservation is."""
    parent = parent_of(cp, id_tag)

    def theirs(n: int) -> bool:
        own = reservation_on(cp.reservations.values(), n)
        return own is not None and held_by(own, id_tag, parent)

    return sorted(connector_ids, key=lambda n: not theirs(n))


def refusal(cp: ChargePoint, connector_id: int, id_tag: str) -> CommandError | None:
    """Why this tag may not start on this connector (connector_reserved), or None."""
    try:
        reservation_for_start(cp, connector_id, id_tag)
    except CommandError as refused:
        return refused
    return None


def may_start(cp: ChargePoint, connector_id: int, id_tag: str) -> bool:
    return refusal(cp, connector_id, id_tag) is None


def refuse_before_authorize(cp: ChargePoint, connector_id: int, id_tag: str) -> None:
    """A start-session's check before the cable goes in: raises connector_reserved when the tag surely
    may not start here. A reservation for a parent / group whose tag's parent is not known yet waits
    for the Authorize answer, which may name it (then the start decides)."""
    if parent_of(cp, id_tag) is None and any(r.parent_id_tag for r in cp.reservations.values()):
        return
    reservation_for_start(cp, connector_id, id_tag)


UNUSABLE = ("Faulted", "Unavailable")


def removed_by_status(cp: ChargePoint, connector_id: int, status: str) -> list[Reservation]:
    """The reservations a status ends: a connector that becomes Faulted or Unavailable loses its
    reservation (1.6 §5.13; 2.0.1 H01, ReservationStatusUpdate Removed), and the charger-wide ones end
    when the charger itself (connector 0) does, or no connector is left that is neither."""
    if status not in UNUSABLE:
        return []
    held = list(cp.reservations.values())
    ended = [r for r in held if connector_id != 0 and r.connector_id == connector_id]
    if connector_id == 0 or all(c.status in UNUSABLE for c in cp.connectors.values()):
        ended += [r for r in held if r.connector_id == 0]
    return ended


def expired(cp: ChargePoint, now: datetime) -> list[Reservation]:
    """The reservations whose expiry has come, oldest expiry first."""
    moment = iso(now)
    return sorted((r for r in cp.reservations.values() if r.expires_at <= moment), key=lambda r: r.expires_at)


def next_expiry(cp: ChargePoint) -> str | None:
    """When the next reservation expires (ISO-8601), if any: the expiry timer's next deadline."""
    return min((r.expires_at for r in cp.reservations.values()), default=None)


def normalised_time(text: str) -> str:
    """A CSMS's timestamp (any ISO-8601 form) as the charger records its own (UTC, ms, 'Z'), so that
    recorded times compare as text."""
    return iso(datetime.fromisoformat(text))
