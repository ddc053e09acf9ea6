"""Typed reads of the ledger's stored events, for assertions."""

from __future__ import annotations

from typing import TypeVar

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.ledger import Ledger

E = TypeVar("E", bound=Aggregate.Event)


def events_of(ledger: Ledger, cls: type[E]) -> list[E]:
    """Every stored event of this class, in ledger order."""
    notifications = ledger.recorder.select_notifications(1, 10_000_000, topics=[get_topic(cls)])
    events = [ledger.mapper.to_domain_event(n) for n in notifications]
    typed = [e for e in events if isinstance(e, cls)]
    assert len(typed) == len(events), "a topic decoded to another class"
    return typed
