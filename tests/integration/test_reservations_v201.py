"""OCPP 2.0.1 reservations (block H) against the test CSMS: ReserveNow makes an EVSE Reserved, only the
holder's token (or its group) starts there (TransactionEvent with reservationId), CancelReservation gives
it back, and an expired reservation is reported (ReservationStatusUpdate Expired) and Available again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from ocpp.v201 import call

from domain.chargepoint import ChargePoint
from domain.clock import iso
from domain.commands import StartSession
from gateway.context import Context
from tests.integration.test_bridge_v201 import CS, boot, mark, since, story, until
from tests.integration.v16_support import ledger_answers, ledger_until, offline, recorded
from tests.lab import Lab, running_lab


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def token(tag: str) -> dict[str, Any]:
    return {"id_token": tag, "type": "ISO14443"}


def reserve(
    lab: Lab, reservation_id: int, evse_id: int | None, tag: str = "TAG-R", seconds: float = 3600
) -> Any:
    return call.ReserveNow(
        id=reservation_id,
        expiry_date_time=iso(lab.clock.now() + timedelta(seconds=seconds)),
        id_token=token(tag),
        evse_id=evse_id,
    )


async def test_a_reserved_evse_starts_only_for_its_holder_with_the_reservation_id(lab: Lab) -> None:
    charger = await boot(lab)
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 21, evse_id=2))).status == "Accepted"
    await until(lab, lambda: "Status:2:Reserved" in story(lab, at))

    refused = await lab.run(charger, StartSession(id_tag="TAG-OTHER", evse_id=2))
    assert refused["error"]["code"] == "connector_reserved"
    remote = await lab.csms.call(
        CS, call.RequestStartTransaction(id_token=token("TAG-OTHER"), remote_start_id=1, evse_id=2)
    )
    assert remote.status == "Rejected"

    at = mark(lab)
    started = await lab.run(charger, StartSession(id_tag="TAG-R", evse_id=2))
    assert started["status"] == "completed", started
    events = [m.payload for m in since(lab, at) if m.action == "TransactionEvent"]
    assert [e.get("reservation_id") for e in events if e.get("id_token")] == [21]
    assert story(lab, at)[0] == "Status:2:Occupied"
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert (ended.reservation_id, ended.reason) == (21, "Used")


async def test_the_answers_a_real_station_gives(lab: Lab) -> None:
    charger = await boot(lab)
    assert (await lab.csms.call(CS, reserve(lab, 1, evse_id=7))).status == "Rejected"
    assert (await lab.csms.call(CS, reserve(lab, 2, evse_id=1))).status == "Accepted"
    assert (await lab.csms.call(CS, reserve(lab, 3, evse_id=1, tag="TAG-X"))).status == "Occupied"
    assert (await lab.csms.call(CS, reserve(lab, 4, evse_id=None))).status == "Accepted"  # any EVSE
    assert (await lab.csms.call(CS, reserve(lab, 5, evse_id=None))).status == "Occupied"  # none left
    disabled = await lab.csms.call(
        CS,
        call.SetVariables(
            set_variable_data=[
                {
                    "component": {"name": "ReservationCtrlr"},
                    "variable": {"name": "Enabled"},
                    "attribute_value": "false",
                }
            ]
        ),
    )
    assert disabled.set_variable_result[0]["attribute_status"] == "Accepted"
    assert (await lab.csms.call(CS, reserve(lab, 6, evse_id=2))).status == "Rejected"
    statuses = [a["status"] for a in ledger_answers(lab, charger, "ReserveNow")]
    assert statuses == ["Rejected", "Accepted", "Occupied", "Accepted", "Occupied", "Rejected"]


async def test_cancel_gives_the_evse_back_and_an_unknown_id_is_rejected(lab: Lab) -> None:
    await boot(lab)
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 8, evse_id=1))).status == "Accepted"
    await until(lab, lambda: "Status:1:Reserved" in story(lab, at))
    assert (await lab.csms.call(CS, call.CancelReservation(reservation_id=99))).status == "Rejected"
    assert (await lab.csms.call(CS, call.CancelReservation(reservation_id=8))).status == "Accepted"
    await until(lab, lambda: story(lab, at)[-1:] == ["Status:1:Available"])
    assert "ReservationStatusUpdate" not in story(lab, at)  # cancelling is no status update


async def test_an_expired_reservation_is_reported_and_the_evse_available(lab: Lab) -> None:
    charger = await boot(lab)
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 9, evse_id=1, seconds=30))).status == "Accepted"
    await until(lab, lambda: story(lab, at)[-1:] == ["Status:1:Available"])
    assert story(lab, at) == ["Status:1:Reserved", "ReservationStatusUpdate", "Status:1:Available"]
    (update,) = [m.payload for m in since(lab, at) if m.action == "ReservationStatusUpdate"]
    assert update == {"reservation_id": 9, "reservation_update_status": "Expired"}
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert ended.reason == "Expired"


async def test_an_expiry_the_csms_fails_to_take_still_ends_the_reservation(lab: Lab) -> None:
    charger = await boot(lab)
    lab.csms.behaviour.failing_actions["ReservationStatusUpdate"] = 1
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 10, evse_id=2, seconds=30))).status == "Accepted"
    await until(lab, lambda: story(lab, at)[-1:] == ["Status:2:Available"])
    assert story(lab, at) == ["Status:2:Reserved", "ReservationStatusUpdate", "Status:2:Available"]
    assert lab.station(charger).cp.reservations == {}
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert ended.reason == "Expired"


async def test_a_remote_start_without_an_evse_goes_to_the_holders_reservation(lab: Lab) -> None:
    await boot(lab)
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 11, evse_id=2))).status == "Accepted"
    await until(lab, lambda: "Status:2:Reserved" in story(lab, at))
    at = mark(lab)
    answer = await lab.csms.call(CS, call.RequestStartTransaction(id_token=token("TAG-R"), remote_start_id=5))
    assert answer.status == "Accepted"
    await until(lab, lambda: any(m.action == "TransactionEvent" for m in since(lab, at)))
    first = next(m.payload for m in since(lab, at) if m.action == "TransactionEvent")
    assert (first["evse"]["id"], first.get("reservation_id")) == (2, 11)


async def test_an_evse_made_inoperative_loses_its_reservation_and_says_removed(lab: Lab) -> None:
    charger = await boot(lab)
    at = mark(lab)
    assert (await lab.csms.call(CS, reserve(lab, 12, evse_id=1))).status == "Accepted"
    changed = await lab.csms.call(
        CS, call.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
    )
    assert changed.status == "Accepted"
    await until(lab, lambda: "ReservationStatusUpdate" in story(lab, at))
    updates = [m.payload for m in since(lab, at) if m.action == "ReservationStatusUpdate"]
    assert updates == [{"reservation_id": 12, "reservation_update_status": "Removed"}]
    assert [s for s in story(lab, at) if s.startswith("Status")] == [
        "Status:1:Reserved",
        "Status:1:Unavailable",
    ]
    (ended,) = recorded(lab, charger, ChargePoint.ReservationEnded)
    assert ended.reason == "Removed"


async def test_the_device_model_tells_a_csms_what_reservations_it_takes(lab: Lab) -> None:
    await boot(lab)
    names = [("Available", "true"), ("Enabled", "true"), ("NonEvseSpecific", "true")]
    answer = await lab.csms.call(
        CS,
        call.GetVariables(
            get_variable_data=[
                {"component": {"name": "ReservationCtrlr"}, "variable": {"name": name}} for name, _ in names
            ]
        ),
    )
    got = [(r["variable"]["name"], r["attribute_value"]) for r in answer.get_variable_result]
    assert got == names


async def test_a_token_of_the_reservations_group_starts_there(lab: Lab) -> None:
    charger = await boot(lab)
    lab.csms.behaviour.parent_tags["TAG-C"] = "FLEET"
    at = mark(lab)
    fleet = call.ReserveNow(
        id=16,
        expiry_date_time=iso(lab.clock.now() + timedelta(hours=1)),
        id_token=token("TAG-R"),
        evse_id=1,
        group_id_token={"id_token": "FLEET", "type": "Central"},
    )
    assert (await lab.csms.call(CS, fleet)).status == "Accepted"
    await until(lab, lambda: "Status:1:Reserved" in story(lab, at))

    stranger = await lab.run(charger, StartSession(id_tag="TAG-D", evse_id=1))
    assert stranger["error"]["code"] == "connector_reserved"
    assert lab.station(charger).cp.connectors[1].transaction_id is None  # ended, the cable out again
    at = mark(lab)
    member = await lab.run(charger, StartSession(id_tag="TAG-C", evse_id=1))
    assert member["status"] == "completed", member
    events = [m.payload for m in since(lab, at) if m.action == "TransactionEvent"]
    assert [e.get("reservation_id") for e in events if e.get("id_token")] == [16]


async def test_a_reservation_that_expires_offline_is_available_at_the_next_boot(lab: Lab) -> None:
    lab.bridge.station_settings.online_wait = 0.2
    charger = await boot(lab)
    at = mark(lab)
    # Five simulated minutes: 3 s of real time, long enough to be offline before it expires.
    assert (await lab.csms.call(CS, reserve(lab, 17, evse_id=1, seconds=300))).status == "Accepted"
    await until(lab, lambda: "Status:1:Reserved" in story(lab, at))
    port = lab.csms.port
    await lab.csms.stop()
    await offline(lab, charger)
    await ledger_until(lab, lambda: recorded(lab, charger, ChargePoint.ReservationEnded) or None)
    at = mark(lab)
    await lab.csms.start(port=port)
    await until(lab, lambda: "Status:1:Available" in story(lab, at))
    assert lab.csms.messages(CS, "ReservationStatusUpdate") == []  # not kept offline
    assert recorded(lab, charger, ChargePoint.ReservationEnded)[0].reason == "Expired"
