"""OCPP 2.0.1 block O, display messages: what SetDisplayMessage, GetDisplayMessages and
ClearDisplayMessage are answered, which messages a request selects, and the NotifyDisplayMessages that
report them. Pure: the station's state comes in (the shell: ocpp_bridge.v201.customer_calls).

The station's display shows plain text: ASCII and UTF8 (HTML and URI need a browser it does not have),
every priority, in every state but Unavailable (an Unavailable station turns its display off)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from domain.chargepoint import ChargePoint
from domain.display_messages import DisplayMessage

SUPPORTED_FORMATS = ("ASCII", "UTF8")
SUPPORTED_PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
SUPPORTED_STATES = ("Charging", "Faulted", "Idle")
MAX_MESSAGES = 10  # DisplayMessageCtrlr.DisplayMessages: a message beyond it is Rejected


def from_message_info(info: Mapping[str, Any]) -> DisplayMessage:
    """A MessageInfoType (snake_case, as the ocpp library passes it) as the station keeps it."""
    content = info["message"]
    return DisplayMessage(
        message_id=int(info["id"]),
        priority=str(info["priority"]),
        format=str(content["format"]),
        content=str(content["content"]),
        language=content.get("language"),
        state=info.get("state"),
        start=info.get("start_date_time"),
        end=info.get("end_date_time"),
        transaction_id=info.get("transaction_id"),
    )


def message_info(message: DisplayMessage) -> dict[str, Any]:
    """The MessageInfoType a NotifyDisplayMessages reports the message with."""
    content = {"format": message.format, "content": message.content, "language": message.language}
    info = {
        "id": message.message_id,
        "priority": message.priority,
        "state": message.state,
        "start_date_time": message.start,
        "end_date_time": message.end,
        "transaction_id": message.transaction_id,
        "message": {k: v for k, v in content.items() if v is not None},
    }
    return {k: v for k, v in info.items() if v is not None}


def set_answer(cp: ChargePoint, message: DisplayMessage) -> str:
    """SetDisplayMessage: Accepted (a message with the same id is replaced), or why not:
    NotSupportedMessageFormat, NotSupportedPriority, NotSupportedState, UnknownTransaction (a
    transactionId not running here), Rejected (the station holds MAX_MESSAGES already)."""
    if message.format not in SUPPORTED_FORMATS:
        return "NotSupportedMessageFormat"
    if message.priority not in SUPPORTED_PRIORITIES:
        return "NotSupportedPriority"
    if message.state is not None and message.state not in SUPPORTED_STATES:
        return "NotSupportedState"
    running = {c.transaction_id for c in cp.connectors.values() if c.transaction_id is not None}
    if message.transaction_id is not None and message.transaction_id not in running:
        return "UnknownTransaction"
    if message.message_id not in cp.display_messages and len(cp.display_messages) >= MAX_MESSAGES:
        return "Rejected"
    return "Accepted"


def current(cp: ChargePoint, now: datetime) -> list[DisplayMessage]:
    """The messages still in force: not past their end, and (tied to a transaction) while it runs. A
    message whose time or transaction is over is no longer shown nor reported."""
    running = {c.transaction_id for c in cp.connectors.values() if c.transaction_id is not None}
    return [
        m
        for m in cp.display_messages.values()
        if (m.end is None or datetime.fromisoformat(m.end) > now)
        and (m.transaction_id is None or m.transaction_id in running)
    ]


def selected(
    messages: Iterable[DisplayMessage],
    ids: list[int] | None = None,
    priority: str | None = None,
    state: str | None = None,
) -> list[DisplayMessage]:
    """GetDisplayMessages: the messages that match every criterion given, by id."""
    return sorted(
        (
            m
            for m in messages
            if (not ids or m.message_id in ids)
            and (priority is None or m.priority == priority)
            and (state is None or m.state == state)
        ),
        key=lambda m: m.message_id,
    )


def notifications(request_id: int, messages: list[DisplayMessage], per_message: int) -> list[dict[str, Any]]:
    """The NotifyDisplayMessages payloads reporting the messages, `per_message` a piece, tbc on all but
    the last."""
    size = max(1, per_message)
    chunks = [messages[i : i + size] for i in range(0, len(messages), size)]
    return [
        {
            "request_id": request_id,
            "message_info": [message_info(m) for m in chunk],
            "tbc": i < len(chunks) - 1,
        }
        for i, chunk in enumerate(chunks)
    ]


def clear_answer(cp: ChargePoint, message_id: int) -> str:
    return "Accepted" if message_id in cp.display_messages else "Unknown"
