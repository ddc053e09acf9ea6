"""The bridge's group-commit writer: a submission someone waits for is saved at once, with everything
submitted before it; events nobody waits for wait a little for company, and are saved all the same."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

from domain.ledger import Ledger
from ocpp_bridge.runtime.writer import EventWriter


class RecordingLedger:
    """Keeps each save's events, in order (a stand-in for the ledger's save)."""

    def __init__(self) -> None:
        self.saves: list[tuple[Any, ...]] = []
        self.saved = threading.Event()

    def save(self, *events: Any) -> None:
        self.saves.append(events)
        self.saved.set()


def writer(ledger: RecordingLedger, gather_seconds: float) -> EventWriter:
    w = EventWriter(cast(Ledger, ledger), gather_seconds=gather_seconds)
    w.start()
    return w


async def test_an_awaited_submission_is_saved_at_once_with_the_events_queued_before_it() -> None:
    ledger = RecordingLedger()
    w = writer(ledger, gather_seconds=3600)  # nothing would be saved for an hour unless awaited
    w.submit(["frame in", "status"])
    await asyncio.wait_for(w.submit(["frame out"]), timeout=5)
    assert ledger.saves == [("frame in", "status", "frame out")]
    await w.close()


async def test_events_nobody_waits_for_are_saved_after_the_gathering_time() -> None:
    ledger = RecordingLedger()
    w = writer(ledger, gather_seconds=0.01)
    commit = w.submit(["frame in"])
    assert await asyncio.to_thread(ledger.saved.wait, 5)
    assert ledger.saves == [("frame in",)]
    await asyncio.wait_for(commit, timeout=5)  # resolved by that save
    await w.close()


async def test_closing_saves_what_nobody_waited_for() -> None:
    ledger = RecordingLedger()
    w = writer(ledger, gather_seconds=3600)
    w.submit(["a"])
    w.submit(["b"])
    await asyncio.wait_for(w.close(), timeout=5)
    assert ledger.saves == [("a", "b")]


async def test_a_callback_on_a_submission_counts_as_waiting_for_it() -> None:
    ledger = RecordingLedger()
    w = writer(ledger, gather_seconds=3600)
    done = asyncio.Event()
    w.submit(["x"]).add_done_callback(lambda _future: done.set())
    await asyncio.wait_for(done.wait(), timeout=5)
    assert ledger.saves == [("x",)]
    await w.close()
