"""OCPP 2.0.1 display messages (ocpp_bridge.v201.display_messages): what SetDisplayMessage,
GetDisplayMessages and ClearDisplayMessage are answered, and how the messages are reported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.chargepoint import ChargePoint
from ocpp_bridge.v201 import display_messages as displays
from tests.unit.cores.charger import charge_point

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def info(message_id: int = 1, **changes: Any) -> dict[str, Any]:
    message = {"format": changes.pop("format", "UTF8"), "content": "Welcome", "language": "en"}
    return {"id": message_id, "priority": "NormalCycle", "message": message, **changes}


def holding(*infos: dict[str, Any]) -> ChargePoint:
    cp = charge_point()
    for i in infos:
        message = displays.from_message_info(i)
        assert displays.set_answer(cp, message) == "Accepted"
        cp.display_message_set(message)
    return cp


def test_a_plain_text_message_is_accepted_and_reported_as_it_was_set() -> None:
    sent = info(4, state="Charging", start_date_time="2026-01-01T00:00:00Z")
    cp = holding(sent)
    assert displays.message_info(cp.display_messages[4]) == sent


@pytest.mark.parametrize(
    ("changes", "answer"),
    [
        ({"format": "HTML"}, "NotSupportedMessageFormat"),
        ({"format": "URI"}, "NotSupportedMessageFormat"),
        ({"priority": "Urgent"}, "NotSupportedPriority"),
        ({"state": "Unavailable"}, "NotSupportedState"),
        ({"transaction_id": "not-running"}, "UnknownTransaction"),
    ],
)
def test_what_the_display_cannot_show_says_why(changes: dict[str, Any], answer: str) -> None:
    assert displays.set_answer(charge_point(), displays.from_message_info(info(**changes))) == answer


def test_a_message_for_a_running_transaction_is_accepted_and_ends_with_it() -> None:
    cp = charge_point()
    cp.transaction_started(1, "tx-1", "TAG", 0, "t", "Accepted", None, None, None)
    message = displays.from_message_info(info(transaction_id="tx-1"))
    assert displays.set_answer(cp, message) == "Accepted"
    cp.display_message_set(message)
    assert displays.current(cp, NOW) == [message]
    cp.transaction_stopped(1, "tx-1", 10, "Local", "t", None)
    assert displays.current(cp, NOW) == []


def test_a_full_store_rejects_a_new_id_but_replaces_a_known_one() -> None:
    cp = holding(*(info(n) for n in range(displays.MAX_MESSAGES)))
    assert displays.set_answer(cp, displays.from_message_info(info(99))) == "Rejected"
    assert displays.set_answer(cp, displays.from_message_info(info(3, priority="AlwaysFront"))) == "Accepted"


def test_a_message_past_its_end_is_no_longer_in_force() -> None:
    cp = holding(info(1, end_date_time="2026-01-01T11:00:00Z"), info(2, end_date_time="2026-01-01T13:00:00Z"))
    assert [m.message_id for m in displays.current(cp, NOW)] == [2]


def test_get_selects_by_ids_priority_and_state_together() -> None:
    cp = holding(info(1), info(2, priority="InFront"), info(3, priority="InFront", state="Idle"))
    everything = displays.current(cp, NOW)
    assert [m.message_id for m in displays.selected(everything)] == [1, 2, 3]
    assert [m.message_id for m in displays.selected(everything, ids=[3, 1])] == [1, 3]
    assert [m.message_id for m in displays.selected(everything, priority="InFront")] == [2, 3]
    assert [m.message_id for m in displays.selected(everything, priority="InFront", state="Idle")] == [3]
    assert displays.selected(everything, ids=[9]) == []


def test_reports_come_in_pieces_with_tbc_on_all_but_the_last() -> None:
    cp = holding(*(info(n) for n in range(5)))
    pieces = displays.notifications(7, displays.selected(displays.current(cp, NOW)), per_message=2)
    assert [(p["request_id"], len(p["message_info"]), p["tbc"]) for p in pieces] == [
        (7, 2, True),
        (7, 2, True),
        (7, 1, False),
    ]


def test_clear_accepts_a_held_message_and_says_unknown_otherwise() -> None:
    cp = holding(info(1))
    assert (displays.clear_answer(cp, 1), displays.clear_answer(cp, 2)) == ("Accepted", "Unknown")


def test_messages_survive_a_restart() -> None:
    cp = holding(info(1), info(2))
    cp.display_message_cleared(1)
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, ChargePoint)
    assert list(rebuilt.display_messages) == [2]
