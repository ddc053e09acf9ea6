"""Reservations a charger holds (OCPP 1.6 Reservation profile, 2.0.1 block H): the value the ChargePoint
aggregate keeps per reservation id, rebuilt from its ReservationMade / ReservationEnded events."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ReservationEnd(StrEnum):
    """Why a reservation ended."""

    USED = "Used"  # its holder started a transaction with it
    CANCELLED = "Cancelled"  # CancelReservation
    EXPIRED = "Expired"  # its expiryDate passed (2.0.1 ReservationStatusUpdate Expired)
    REPLACED = "Replaced"  # a ReserveNow with the same id replaced it
    REMOVED = "Removed"  # its connector became Faulted or Unavailable (2.0.1 ReservationStatusUpdate Removed)


class Reservation(BaseModel):
    model_config = ConfigDict(frozen=True)

    reservation_id: int
    connector_id: int  # 0: any connector (1.6 connectorId 0, 2.0.1 without evseId)
    id_tag: str
    expires_at: str  # simulated clock, ISO-8601 UTC
    parent_id_tag: str | None = None  # 1.6 parentIdTag, 2.0.1 groupIdToken
    connector_type: str | None = None  # 2.0.1 connectorType


def with_reservation(held: Mapping[int, Reservation], reservation: Reservation) -> dict[int, Reservation]:
    return {**held, reservation.reservation_id: reservation}


def without_reservation(held: Mapping[int, Reservation], reservation_id: int) -> dict[int, Reservation]:
    return {k: v for k, v in held.items() if k != reservation_id}
