"""The lab feed in-process on both backends: its buffer holds the latest messages, a stream behind the
buffer reads the ledger itself, and either way every message comes once, in ledger order."""

from __future__ import annotations

from domain import services
from domain.location import LocationDetails
from webui.feed import Feed
from webui.messages import Message


def everything(feed: Feed, after: int, tenant: str) -> list[Message]:
    """Read as a stream does: from the buffer while it reaches back, else from the ledger."""
    accept = lambda m: m.tenant == tenant  # noqa: E731
    messages: list[Message] = []
    position = after
    while position < feed.head:
        taken = feed.take(position, accept, limit=3) or feed.catch_up(position, accept, limit=3)
        batch, position = taken
        messages += batch
    return messages


def test_a_stream_behind_the_buffer_catches_up_from_the_ledger_without_gap_or_duplicate(context) -> None:
    feed = Feed(context.ledger, context.read.db, capacity=4, poll_seconds=0.05)
    feed.open_stream()
    start = feed.head
    for n in range(10):
        context.ledger.transact(
            lambda uow, n=n: services.create_location(uow, "acme", LocationDetails(name=f"L{n}"), "test")
        )
        context.ledger.transact(
            lambda uow, n=n: services.create_location(uow, "other", LocationDetails(name=f"O{n}"), "test")
        )
    head = feed.ledger_head()
    while feed.head < head:
        feed._follow()  # the follower's step, here in the test's thread
    assert feed.take(start, lambda m: True) is None, "the buffer keeps only the latest 4"
    acme = everything(feed, start, "acme")
    assert [m.position for m in acme] == sorted({m.position for m in acme})
    assert len(acme) == 10 and all(m.kind == "fleet" and m.tenant == "acme" for m in acme)
    # From the middle: exactly the rest.
    middle = acme[4].position
    assert everything(feed, middle, "acme") == acme[5:]
    feed.close_stream()
