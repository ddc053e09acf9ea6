"""OCPP 2.0.1 display messages (block O) a station holds: what the CSMS set with SetDisplayMessage, kept
on the ChargePoint aggregate (events DisplayMessageSet / DisplayMessageCleared) until cleared."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DisplayMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: int
    priority: str  # AlwaysFront, InFront, NormalCycle
    format: str  # ASCII, HTML, URI, UTF8
    content: str
    language: str | None = None
    state: str | None = None  # shown only in this station state: Charging, Faulted, Idle, Unavailable
    start: str | None = None  # ISO-8601, as the CSMS sent it
    end: str | None = None
    transaction_id: str | None = None  # shown only during this transaction
