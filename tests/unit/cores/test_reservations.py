"""Reservations (ocpp_bridge.core.reservations): what ReserveNow and CancelReservation are answered, who
may start where while a reservation holds, and when it expires. The same rules on 1.6 and 2.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.chargepoint import ChargePoint
from domain.connector_state import LocalListEntry
from domain.failures import FailureCode
from domain.reservations import Reservation, ReservationEnd
from ocpp_bridge.core import reservations
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.reservations import ReserveStatus
from tests.unit.cores.charger import BREAKDOWNS, break_down, charge_point

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = "2026-01-01T13:00:00.000Z"


def reservation(
    reservation_id: int = 1, connector_id: int = 1, id_tag: str = "TAG-A", **more: str
) -> Reservation:
    return Reservation(
        reservation_id=reservation_id, connector_id=connector_id, id_tag=id_tag, expires_at=LATER, **more
    )


def answer(
    cp: ChargePoint, r: Reservation, *, charger_wide: bool = True, enabled: bool = True
) -> ReserveStatus:
    return reservations.reserve_answer(cp, r, NOW, enabled=enabled, charger_wide_supported=charger_wide)


def reserved(cp: ChargePoint, r: Reservation) -> ChargePoint:
    assert answer(cp, r) is ReserveStatus.ACCEPTED
    cp.reservation_made(r)
    return cp


# --- ReserveNow ---------------------------------------------------------------------------------------


def test_a_free_connector_is_reserved() -> None:
    assert answer(charge_point(), reservation()) is ReserveStatus.ACCEPTED


def test_unknown_connector_disabled_reservations_and_past_expiry_are_rejected() -> None:
    cp = charge_point()
    assert answer(cp, reservation(connector_id=9)) is ReserveStatus.REJECTED
    assert answer(cp, reservation(), enabled=False) is ReserveStatus.REJECTED
    past = reservation().model_copy(update={"expires_at": "2026-01-01T11:59:59.000Z"})
    assert answer(cp, past) is ReserveStatus.REJECTED


def test_connector_zero_needs_charger_wide_support() -> None:
    cp = charge_point()
    assert answer(cp, reservation(connector_id=0), charger_wide=False) is ReserveStatus.REJECTED
    assert answer(cp, reservation(connector_id=0)) is ReserveStatus.ACCEPTED


@pytest.mark.parametrize(
    ("breakdown", "status"),
    [("connector fault", "Faulted"), ("charger fault", "Faulted"), ("inoperative", "Unavailable")],
)
def test_a_faulted_or_unavailable_connector_says_so(breakdown: str, status: str) -> None:
    cp = charge_point()
    break_down(cp, 1, breakdown)
    assert answer(cp, reservation()) == status


def test_a_connector_with_a_cable_a_transaction_or_another_reservation_is_occupied() -> None:
    cp = charge_point()
    cp.cable_plugged(1, None)
    assert answer(cp, reservation()) is ReserveStatus.OCCUPIED
    cp.transaction_started(2, "7", "TAG-B", 0, "t", "Accepted", None, None, None)
    assert answer(cp, reservation(connector_id=2)) is ReserveStatus.OCCUPIED
    other = reserved(charge_point(), reservation(reservation_id=5, id_tag="TAG-B"))
    assert answer(other, reservation(reservation_id=6, id_tag="TAG-A")) is ReserveStatus.OCCUPIED
    assert answer(other, reservation(reservation_id=6, id_tag="TAG-B")) is ReserveStatus.OCCUPIED  # same tag


def test_the_same_id_again_replaces_the_reservation() -> None:
    cp = reserved(charge_point(), reservation(reservation_id=5))
    assert answer(cp, reservation(reservation_id=5, id_tag="TAG-B")) is ReserveStatus.ACCEPTED
    assert answer(cp, reservation(reservation_id=5, connector_id=2)) is ReserveStatus.ACCEPTED


def test_charger_wide_reservations_need_a_free_connector_each() -> None:
    cp = reserved(charge_point(2), reservation(reservation_id=1, connector_id=0, id_tag="TAG-A"))
    assert answer(cp, reservation(reservation_id=2, connector_id=0, id_tag="TAG-B")) is ReserveStatus.ACCEPTED
    cp.reservation_made(reservation(reservation_id=2, connector_id=0, id_tag="TAG-B"))
    assert answer(cp, reservation(reservation_id=3, connector_id=0, id_tag="TAG-C")) is ReserveStatus.OCCUPIED
    # Nor may a connector be reserved if the charger-wide ones would be left without one.
    assert answer(cp, reservation(reservation_id=3, connector_id=1, id_tag="TAG-C")) is ReserveStatus.OCCUPIED


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_connector_zero_on_a_broken_charger(breakdown: str) -> None:
    cp = charge_point(1)
    break_down(cp, 1, breakdown)
    expected = "Unavailable" if breakdown == "inoperative" else "Faulted"
    assert answer(cp, reservation(connector_id=0)) == expected


# --- CancelReservation ------------------------------------------------------------------------------------


def test_cancel_accepts_a_held_reservation_and_rejects_an_unknown_id() -> None:
    cp = reserved(charge_point(), reservation(reservation_id=5))
    assert reservations.cancel_answer(cp, 5) == "Accepted"
    assert reservations.cancel_answer(cp, 6) == "Rejected"


# --- who may start where ---------------------------------------------------------------------------


def refused(cp: ChargePoint, connector_id: int, id_tag: str) -> str:
    with pytest.raises(CommandError) as raised:
        reservations.reservation_for_start(cp, connector_id, id_tag)
    assert raised.value.code is FailureCode.CONNECTOR_RESERVED
    return raised.value.message


def test_only_the_holder_starts_on_a_reserved_connector_and_uses_the_reservation() -> None:
    cp = reserved(charge_point(), reservation(reservation_id=5, connector_id=1, id_tag="TAG-A"))
    assert "reserved (reservation 5)" in refused(cp, 1, "TAG-B")
    assert reservations.reservation_for_start(cp, 1, "TAG-A") == cp.reservations[5]
    assert reservations.reservation_for_start(cp, 2, "TAG-B") is None  # the other connector is free
    assert not reservations.may_start(cp, 1, "TAG-B")


def test_a_tag_with_the_reservations_parent_is_a_holder() -> None:
    cp = charge_point()
    cp.local_list_changed(
        1, "Full", [LocalListEntry(id_tag="TAG-C", status="Accepted", parent_id_tag="FLEET")], [], None
    )
    reserved(cp, reservation(reservation_id=5, id_tag="TAG-A", parent_id_tag="FLEET"))
    assert reservations.reservation_for_start(cp, 1, "TAG-C") == cp.reservations[5]
    refused(cp, 1, "TAG-D")  # no parent known


def test_a_charger_wide_reservation_keeps_the_last_free_connector_for_its_holder() -> None:
    cp = reserved(charge_point(2), reservation(reservation_id=5, connector_id=0, id_tag="TAG-A"))
    assert reservations.reservation_for_start(cp, 1, "TAG-B") is None  # connector 2 stays free for TAG-A
    cp.transaction_started(1, "7", "TAG-B", 0, "t", "Accepted", None, None, None)
    assert "kept for 1 reservation" in refused(cp, 2, "TAG-C")
    assert reservations.reservation_for_start(cp, 2, "TAG-A") == cp.reservations[5]


# --- expiry and restart ------------------------------------------------------------------------------------


def test_reservations_expire_at_their_expiry_date_oldest_first() -> None:
    cp = charge_point()
    cp.reservation_made(
        reservation(reservation_id=1, connector_id=1).model_copy(update={"expires_at": LATER})
    )
    early = "2026-01-01T12:30:00.000Z"
    cp.reservation_made(
        reservation(reservation_id=2, connector_id=2).model_copy(update={"expires_at": early})
    )
    assert reservations.next_expiry(cp) == early
    assert reservations.expired(cp, NOW) == []
    assert [r.reservation_id for r in reservations.expired(cp, NOW + timedelta(minutes=30))] == [2]
    assert [r.reservation_id for r in reservations.expired(cp, NOW + timedelta(hours=2))] == [2, 1]
    assert reservations.next_expiry(charge_point()) is None


def test_a_csms_timestamp_is_recorded_as_the_charger_records_its_own() -> None:
    assert reservations.normalised_time("2026-01-01T14:00:00+01:00") == LATER
    assert reservations.normalised_time("2026-01-01T13:00:00Z") == LATER


def test_reservations_survive_a_restart_and_end_on_record() -> None:
    cp = charge_point()
    cp.reservation_made(reservation(reservation_id=1))
    cp.reservation_made(reservation(reservation_id=2, connector_id=2))
    cp.reservation_ended(1, ReservationEnd.USED.value)
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, ChargePoint)
    assert rebuilt.reservations == {2: reservation(reservation_id=2, connector_id=2)}


def test_a_start_without_a_connector_goes_where_the_tags_reservation_is() -> None:
    cp = reserved(charge_point(3), reservation(reservation_id=5, connector_id=2, id_tag="TAG-A"))
    assert reservations.reserved_first(cp, [1, 2, 3], "TAG-A") == [2, 1, 3]
    assert reservations.reserved_first(cp, [1, 2, 3], "TAG-B") == [1, 2, 3]


@pytest.mark.parametrize("status", ["Faulted", "Unavailable"])
def test_a_connector_that_becomes_unusable_loses_its_reservation(status: str) -> None:
    cp = reserved(charge_point(2), reservation(reservation_id=5, connector_id=1))
    cp.reservation_made(reservation(reservation_id=6, connector_id=0, id_tag="TAG-W"))
    assert reservations.removed_by_status(cp, 1, "Preparing") == []
    assert reservations.removed_by_status(cp, 1, status) == [cp.reservations[5]]
    assert reservations.removed_by_status(cp, 0, status) == [cp.reservations[6]]  # the charger itself
    for n in (1, 2):  # no connector left: the charger-wide one goes too
        cp.status_changed(n, status, "NoError", None, None)
    assert reservations.removed_by_status(cp, 2, status) == [cp.reservations[6]]


def test_a_parent_the_csms_named_in_an_authorize_answer_admits_the_tag() -> None:
    cp = reserved(charge_point(), reservation(reservation_id=5, id_tag="TAG-A", parent_id_tag="FLEET"))
    reservations.refuse_before_authorize(cp, 1, "TAG-C")  # its parent is not known yet: Authorize decides
    refused(cp, 1, "TAG-C")
    cp.token_parent_learned("TAG-C", "FLEET")
    assert reservations.reservation_for_start(cp, 1, "TAG-C") == cp.reservations[5]
    cp.token_parent_learned("TAG-C", None)  # a later answer without a parent
    assert reservations.refusal(cp, 1, "TAG-C") is not None


def test_without_a_parent_in_play_a_stranger_is_refused_before_the_cable_goes_in() -> None:
    cp = reserved(charge_point(), reservation(reservation_id=5, id_tag="TAG-A"))
    with pytest.raises(CommandError):
        reservations.refuse_before_authorize(cp, 1, "TAG-B")
