"""OCPP 2.0.1 CustomerInformation (ocpp_bridge.v201.customer_information): the answer, what the station
reports it holds about a customer, and the NotifyCustomerInformation pieces."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from domain.connector_state import LocalListEntry
from ocpp_bridge.v201 import customer_information as customers
from tests.unit.cores.charger import charge_point

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
CERTIFICATE = {
    "hash_algorithm": "SHA256",
    "issuer_name_hash": "a",
    "issuer_key_hash": "b",
    "serial_number": "1",
}


def test_the_answer() -> None:
    assert customers.answer(True, False, TOKEN, None, None) == "Accepted"
    assert customers.answer(False, True, None, "customer-7", None) == "Accepted"
    assert customers.answer(False, False, TOKEN, None, None) == "Invalid"  # asks for nothing
    assert customers.answer(True, True, None, None, None) == "Invalid"  # names no one
    assert customers.answer(True, False, None, None, CERTIFICATE) == "Rejected"  # no Plug & Charge


def known(cp: ChargePoint) -> ChargePoint:
    entry = LocalListEntry(id_tag="TAG-1", status="Accepted", parent_id_tag="FLEET")
    cp.local_list_changed(1, "Full", [entry], [], None)
    cp.authorized("TAG-1", "Accepted", "csms", None)
    cp.transaction_started(2, "tx-9", "TAG-1", 120, "2026-01-01T12:00:00.000Z", "Accepted", None, None, None)
    return cp


def test_what_the_station_holds_about_a_token() -> None:
    assert customers.held(known(charge_point()), "TAG-1", None) == [
        "local list: idToken TAG-1 Accepted, group FLEET",
        "authorization cache: idToken TAG-1 Accepted",
        "transaction tx-9 on EVSE 2 since 2026-01-01T12:00:00.000Z, meter start 120 Wh",
    ]


def test_nothing_held_is_said_so() -> None:
    assert customers.held(charge_point(), "TAG-X", None) == ["no data held for idToken TAG-X"]
    assert customers.held(charge_point(), None, "customer-7") == ["no data held for customer customer-7"]


def test_clearing_removes_the_token_from_cache_and_local_list_only() -> None:
    cp = known(charge_point())
    cp.authorized("TAG-2", "Accepted", "csms", None)
    cp.customer_data_cleared("TAG-1")
    assert (list(cp.auth_cache), cp.local_list, cp.local_list_version) == (["TAG-2"], {}, 1)


def test_long_reports_come_in_pieces_of_512_characters() -> None:
    lines = ["x" * 300, "y" * 300, "z" * 300]
    pieces = customers.notifications(5, lines, "2026-01-01T12:00:00.000Z")
    assert [len(p["data"]) for p in pieces] == [512, 390]
    assert [(p["seq_no"], p["tbc"], p["request_id"]) for p in pieces] == [(0, True, 5), (1, False, 5)]
    assert "".join(p["data"] for p in pieces) == "\n".join(lines)
