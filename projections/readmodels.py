"""The read side of one process: every projection's runner, how they are woken, and read barriers.

Runners wake on saves made in this process, on PostgreSQL NOTIFY from other processes (SQLite has none:
it is polled), and whenever a reader asks for a position they have not reached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from domain.clock import Clock
from domain.ledger import Ledger
from infra.health import StoreMonitor
from infra.listen import Listener
from infra.sql import Database
from projections.analytics import AnalyticsProjection, create_views
from projections.auto_stop import AutoStopPolicy, AutoStopProjection
from projections.charger_status import ChargerStatusProjection
from projections.chargers import ChargersProjection
from projections.commands import CommandsProjection
from projections.group import ProjectionGroup
from projections.jobs import JobsProjection
from projections.locations import LocationsProjection
from projections.message_log import MessageLogProjection
from projections.meter_samples import MeterSamplesProjection
from projections.metrics import READ_MODELS
from projections.runner import Projection, ProjectionRunner, create_tables
from projections.tokens import TokensProjection

log = logging.getLogger(__name__)
T = TypeVar("T")


def default_projections() -> list[Projection]:
    return [
        LocationsProjection(),
        ChargersProjection(),
        CommandsProjection(),
        TokensProjection(),
        JobsProjection(),
        ChargerStatusProjection(),
        MessageLogProjection(),
        AutoStopProjection(),
        AnalyticsProjection(),
        MeterSamplesProjection(),
    ]


REBUILD_BATCH = 20_000


class ReadModels:
    def __init__(
        self,
        ledger: Ledger,
        projections: Iterable[Projection] | None = None,
        poll_seconds: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self.ledger = ledger
        self.db = Database(ledger)
        self.projections = {p.name: p for p in (projections or default_projections())}
        self.runners = {
            name: ProjectionRunner(ledger, self.db, p, poll_seconds=poll_seconds)
            for name, p in self.projections.items()
        }
        # One thread and one transaction per batch for all of them (projections.group).
        self.group = ProjectionGroup(ledger, self.db, list(self.runners.values()), poll_seconds=poll_seconds)
        self.auto_stop = AutoStopPolicy(ledger, self.db, self.runners["auto_stop"], clock or Clock())
        self._listener = Listener(self.db, self.wake)
        self.store = StoreMonitor(self.db)
        ledger.on_saved(lambda _position: self.wake())

    def create_tables(self) -> None:
        create_tables(self.db, self.projections.values())
        create_views(self.db)

    def start(self) -> None:
        self.group.start()
        self.auto_stop.start()
        self._listener.start()
        self.store.start()
        READ_MODELS.watch(self)  # /metrics reports the lag of the runners started here

    def stop(self) -> None:
        READ_MODELS.unwatch(self)
        self.store.stop()
        self._listener.stop()
        self.auto_stop.stop()
        self.group.stop()

    def wake(self) -> None:
        self.group.wake()

    def catch_up(self) -> None:
        """Process everything now, in the calling thread (CLI, tests)."""
        self.group.catch_up()
        for runner in self.runners.values():
            if runner.error is not None:  # left out of the group's batches until it succeeds alone
                runner.catch_up()
                runner.error = None

    def current_position(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def wait_for(self, position: int, names: Iterable[str], timeout: float) -> bool:
        return all(self.runners[name].wait_for(position, timeout) for name in names)

    def barrier(self, names: Iterable[str], timeout: float) -> bool:
        """Wait until the named read models include everything committed before this call, so that a
        client reads its own writes (and everyone else's), whichever process it talks to."""
        return self.wait_for(self.current_position(), names, timeout)

    def wait_until(self, name: str, check: Callable[[], T | None], timeout: float) -> T | None:
        """Re-run `check` each time the named read model moves, until it returns something or the
        timeout passes (used to wait for a command's outcome)."""
        runner = self.runners[name]
        deadline = time.monotonic() + timeout
        while True:
            seen = runner.position
            result = check()
            remaining = deadline - time.monotonic()
            if result is not None or remaining <= 0:
                return result
            runner.wake(wanted=True)
            runner.wait_for_change(seen, min(remaining, 0.5))

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Empty one read model and rebuild it from the first event; returns the position reached.

        On PostgreSQL it is one transaction: a serving gateway keeps answering from the old rows until the
        new ones commit. SQLite has a single writer, so there it goes batch by batch (the gateway keeps
        accepting commands; reads of that model see it refill)."""
        runner = self.runners[name]
        if self.db.dialect == "postgres":
            return runner.rebuild_in_one_transaction(progress)
        # Batches of 20,000 instead of the steady state's 2,000: fewer commits, each writing index pages
        # that many rows share (1M events: 19.5k/s against 14k/s). Each holds the single writer about a
        # second, which the gateway's writes wait out (SQLite's busy timeout).
        return runner.rebuild_in_batches(REBUILD_BATCH, progress)

    def lag(self) -> dict[str, int]:
        head = self.current_position()
        return {name: head - runner.position for name, runner in self.runners.items()}
