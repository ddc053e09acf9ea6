"""OCPP 1.6 Reservation profile against the test CSMS: ReserveNow makes a connector Reserved, only its
holder starts there (StartTransaction with the reservationId), CancelReservation and expiry give it back
(Available), and a reservation survives the bridge taking the charger up again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from ocpp.v16 import call

from domain.chargepoint import ChargePoint
from domain.clock import iso
from domain.commands import ClearFault, InjectFault, PlugConnector, StartSession
from gateway.context import Context
from ocpp_bridge.core import configuration
from tests.integration.v16_support import (
    booted_charger,
    ledger_answers,
    ledger_until,
    mark,
    received,
    recorded,
    sequence,
    settled,
)
from tests.lab import Lab, running_lab

CP = "CP-1"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def expiry(lab: Lab, seconds: float = 3600) -> str:
    return iso(lab.clock.now() + timedelta(seconds=seconds))


def reserve(lab: Lab, connector_id: int, id_tag: str = "TAG-R", reservation_id: int = 1) -> call.ReserveNow:
    return call.ReserveNow(
        connector_id=connector_id, expiry_date=expiry(lab), id_tag=id_tag, reservation_id=reservation_id
    )


async def test_a_reserved_connector_starts_only_for_its_holder_with_the_reservation_id(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, reserve(lab, 2, reservation_id=11))
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 2 Reserved"])

    # Someone else: our start-session is refused before the cable goes in, a remote start is Rejected.
    refused = await lab.run(charger, StartSession(id_tag="TAG-OTHER", connector_id=2))
    assert refused["status"] == "failed"
    assert refused["error"]["code"] == "connector_reserved"
    remote = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="TAG-OTHER", connector_id=2))
    assert remote.status == "Rejected"

    at = mark(lab, CP)
    started = await lab.run(charger, StartSession(id_tag="TAG-R", connector_id=2))
    assert started["status"] == "completed", started
    # The cable in changes nothing on a reserved connector: Reserved until the holder's transaction starts.
    _, start, _ = await received(lab, CP, at, ["Authorize", "StartTransaction", "Status 2 Charging"])
    assert start.payload["reservation_id"] == 11
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert (ended.reservation_id, ended.reason) == (11, "Used")
    assert lab.station(charger).cp.reservations == {}


async def test_a_remote_start_without_a_connector_avoids_one_reserved_for_another(lab: Lab) -> None:
    await booted_charger(lab)
    at = mark(lab, CP)
    assert (await lab.csms.call(CP, reserve(lab, 1))).status == "Accepted"
    await received(lab, CP, at, ["Status 1 Reserved"])
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.RemoteStartTransaction(id_tag="TAG-OTHER"))
    assert answer.status == "Accepted"
    _, start, _ = await received(lab, CP, at, ["Status 2 Preparing", "StartTransaction", "Status 2 Charging"])
    assert start.payload["connector_id"] == 2
    assert "reservation_id" not in start.payload


async def test_the_answers_a_real_charger_gives(lab: Lab) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, PlugConnector(connector_id=1))
    assert (await lab.csms.call(CP, reserve(lab, 1))).status == "Occupied"
    assert (await lab.csms.call(CP, reserve(lab, 7))).status == "Rejected"
    past = call.ReserveNow(connector_id=2, expiry_date=expiry(lab, -60), id_tag="T", reservation_id=2)
    assert (await lab.csms.call(CP, past)).status == "Rejected"
    assert (await lab.csms.call(CP, reserve(lab, 2, reservation_id=3))).status == "Accepted"
    assert (await lab.csms.call(CP, reserve(lab, 2, id_tag="TAG-X", reservation_id=4))).status == "Occupied"
    changed = await lab.csms.call(
        CP, call.ChangeConfiguration(key="ReserveConnectorZeroSupported", value="false")
    )
    assert changed.status == "Accepted"
    assert (await lab.csms.call(CP, reserve(lab, 0, reservation_id=5))).status == "Rejected"
    statuses = [a["status"] for a in ledger_answers(lab, charger, "ReserveNow")]
    assert statuses == ["Occupied", "Rejected", "Rejected", "Accepted", "Occupied", "Rejected"]


async def test_cancel_gives_the_connector_back_and_an_unknown_id_is_rejected(lab: Lab) -> None:
    charger = await booted_charger(lab)
    assert (await lab.csms.call(CP, reserve(lab, 1, reservation_id=8))).status == "Accepted"
    assert (await lab.csms.call(CP, call.CancelReservation(reservation_id=99))).status == "Rejected"
    at = mark(lab, CP)
    assert (await lab.csms.call(CP, call.CancelReservation(reservation_id=8))).status == "Accepted"
    await settled(lab, CP)
    assert sequence(lab, CP, at)[-2:] == ["Status 1 Available", "Status 0 Available"]
    assert [e.reason for e in recorded(lab, charger, ChargePoint.ReservationEnded)] == ["Cancelled"]
    assert ledger_answers(lab, charger, "CancelReservation") == [
        {"status": "Rejected"},
        {"status": "Accepted"},
    ]


async def test_a_reservation_expires_on_the_simulated_clock(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    soon = call.ReserveNow(connector_id=1, expiry_date=expiry(lab, 30), id_tag="TAG-R", reservation_id=9)
    assert (await lab.csms.call(CP, soon)).status == "Accepted"
    await received(lab, CP, at, ["Status 1 Reserved", "Status 1 Available"])
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert (ended.reservation_id, ended.reason) == (9, "Expired")
    started = await lab.run(charger, StartSession(id_tag="TAG-OTHER", connector_id=1))
    assert started["status"] == "completed", started


async def test_a_reservation_survives_the_bridge_taking_the_charger_up_again(lab: Lab) -> None:
    charger = await booted_charger(lab)
    assert (await lab.csms.call(CP, reserve(lab, 1, reservation_id=12))).status == "Accepted"
    await ledger_until(lab, lambda: True if recorded(lab, charger, ChargePoint.ReservationMade) else None)
    await lab.bridge.remove_station(charger, "test: bridge restart")
    await lab.bridge.add_station(charger)
    await asyncio.wait_for(lab.station(charger).reported.wait(), 10)  # booted and reported again
    assert lab.station(charger).cp.reservations[12].id_tag == "TAG-R"
    refused = await lab.run(charger, StartSession(id_tag="TAG-OTHER", connector_id=1))
    assert refused["error"]["code"] == "connector_reserved"


async def test_a_holder_whose_start_the_csms_fails_keeps_the_reservation(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    assert (await lab.csms.call(CP, reserve(lab, 1, reservation_id=13))).status == "Accepted"
    await received(lab, CP, at, ["Status 1 Reserved"])
    attempts = int(configuration.KEYS["TransactionMessageAttempts"].default)
    lab.csms.behaviour.failing_actions["StartTransaction"] = attempts
    failed = await lab.run(charger, StartSession(id_tag="TAG-R", connector_id=1))
    assert failed["error"]["code"] == "csms_error"
    await settled(lab, CP)
    assert lab.station(charger).cp.reservations[13].id_tag == "TAG-R"  # not used: no transaction
    assert lab.station(charger).cp.connectors[1].status == "Reserved"
    assert recorded(lab, charger, ChargePoint.ReservationEnded) == []


async def test_a_fault_on_a_reserved_connector_ends_the_reservation(lab: Lab) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    assert (await lab.csms.call(CP, reserve(lab, 1, reservation_id=14))).status == "Accepted"
    await received(lab, CP, at, ["Status 1 Reserved"])
    await lab.run(charger, InjectFault(connector_id=1, fault_type="PowerSwitchFailure"))
    await lab.run(charger, ClearFault(connector_id=1))
    await settled(lab, CP)
    assert sequence(lab, CP, at) == [
        "Status 1 Reserved",
        "Status 1 Faulted PowerSwitchFailure",
        "Status 1 Available",
        "Status 0 Available",
    ]
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert (ended.reservation_id, ended.reason) == (14, "Removed")


async def test_a_tag_whose_parent_the_authorize_answer_names_starts_on_a_parents_reservation(
    lab: Lab,
) -> None:
    charger = await booted_charger(lab)
    lab.csms.behaviour.parent_tags["TAG-C"] = "FLEET"
    at = mark(lab, CP)
    fleet = call.ReserveNow(
        connector_id=1, expiry_date=expiry(lab), id_tag="TAG-R", reservation_id=15, parent_id_tag="FLEET"
    )
    assert (await lab.csms.call(CP, fleet)).status == "Accepted"
    await received(lab, CP, at, ["Status 1 Reserved"])

    at = mark(lab, CP)
    stranger = await lab.run(charger, StartSession(id_tag="TAG-D", connector_id=1))
    assert stranger["error"]["code"] == "connector_reserved"  # after its Authorize: no parent named
    await settled(lab, CP)
    assert sequence(lab, CP, at) == ["Authorize", "Status 0 Available"]  # Reserved throughout

    at = mark(lab, CP)
    member = await lab.run(charger, StartSession(id_tag="TAG-C", connector_id=1))
    assert member["status"] == "completed", member
    _, start, _ = await received(lab, CP, at, ["Authorize", "StartTransaction", "Status 1 Charging"])
    assert start.payload["reservation_id"] == 15
