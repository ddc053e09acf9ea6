"""The ledger: one eventsourcing Application over every aggregate, and its unit of work.

Every decision runs inside `Ledger.transact`: a unit of work loads aggregates (from the cache when it
can), the decision records events on them, and one `save()` commits all of them or none. A stale cached
aggregate loses on the store's version check; the cache is cleared for everything the unit touched and
the decision runs again on fresh state.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from pydantic import BaseModel

from domain.aggregates import topic
from domain.charger import ChargerSettings, ChargerSpec
from domain.commands import (
    PAYLOAD_TYPES,
    CommandTarget,
    ConfigurationItem,
    LocalAuthListEntry,
    Rejection,
)
from domain.connector_state import ConnectorState, InstalledProfile, LocalListEntry, QueuedMessage
from domain.display_messages import DisplayMessage
from domain.errors import Conflict
from domain.jobs import CreatedCharger, FailedCharger
from domain.location import Coordinates, LocationDetails
from domain.monitoring import VariableMonitor
from domain.outcomes import OUTCOME_TYPES, ConfigurationKeyOutcome
from domain.reservations import Reservation
from infra.transcoding import FastUUIDAsHex, PydanticTranscoding

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Aggregate)
R = TypeVar("R")

# Value objects that appear inside events. Each is stored as {"_type_": name, "_data_": json}.
VALUE_TYPES: dict[str, type[BaseModel]] = {
    **{f"payload.{event_type.value}": model for event_type, model in PAYLOAD_TYPES.items()},
    "ConfigurationItem": ConfigurationItem,
    "LocalAuthListEntry": LocalAuthListEntry,
    "Rejection": Rejection,
    "CommandTarget": CommandTarget,
    "ChargerSettings": ChargerSettings,
    "ChargerSpec": ChargerSpec,
    "LocationDetails": LocationDetails,
    "Coordinates": Coordinates,
    "CreatedCharger": CreatedCharger,
    "FailedCharger": FailedCharger,
    "ConnectorState": ConnectorState,
    "LocalListEntry": LocalListEntry,
    "QueuedMessage": QueuedMessage,
    "InstalledProfile": InstalledProfile,
    "Reservation": Reservation,
    "DisplayMessage": DisplayMessage,
    "VariableMonitor": VariableMonitor,
    "ConfigurationKeyOutcome": ConfigurationKeyOutcome,
    **{f"outcome.{outcome.__name__}": outcome for outcome in OUTCOME_TYPES},
}


@runtime_checkable
class CreatesTable(Protocol):
    """The SQLite and PostgreSQL recorders (the library's recorder protocol leaves it out)."""

    def create_table(self) -> None: ...


class Ledger(Application[UUID]):
    """The event-sourced application. Its name is fixed: it names the notification log that every
    projection tracks, so it must never change."""

    name = "ocpp_ledger"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._saved_listeners: list[tuple[Callable[[int], object], frozenset[str] | None]] = []
        self._decisions = threading.Lock()
        # Saves of observations only (the bridge's) NOTIFY a second channel on PostgreSQL: the read
        # models listen to both, the bridge's follower only to the first, which has every intent.
        route = getattr(self.recorder, "use_second_channel_for", None)  # infra.postgres's recorder
        if route is not None:
            route((topic("ChargePoint."),))

    def on_saved(self, listener: Callable[[int], object], topics: Iterable[str] | None = None) -> None:
        """Call `listener(max notification id)` after each save through this ledger (wakes projections),
        or only after those that saved an event of one of `topics`."""
        self._saved_listeners.append((listener, None if topics is None else frozenset(topics)))

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        # The library's hook for subclasses, called by save() after the recordings are stored.
        if recordings and self._saved_listeners:
            self.saved(max(r.notification.id for r in recordings), {r.notification.topic for r in recordings})

    def saved(self, position: int, saved_topics: set[str]) -> None:
        """Tell the `on_saved` listeners of a save up to `position` (for saves made without `save()`:
        the bridge's writer appends from its event loop)."""
        for listener, topics in self._saved_listeners:
            if topics is None or not topics.isdisjoint(saved_topics):
                listener(position)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(FastUUIDAsHex())
        for name, model in VALUE_TYPES.items():
            transcoder.register(PydanticTranscoding(name, model))

    def create_tables(self) -> None:
        recorder = self.recorder
        if not isinstance(recorder, CreatesTable):
            raise TypeError(f"{type(recorder).__name__} cannot create its table")
        recorder.create_table()

    def load(self, cls: type[T], aggregate_id: UUID) -> T | None:
        """The aggregate (a private copy, maybe from the cache), or None if it does not exist."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def load_fresh(self, cls: type[T], aggregate_id: UUID) -> T | None:
        """Like load, but always from the store (for state other processes change, e.g. tokens)."""
        return self.replay(cls, self.events.get(aggregate_id))

    @staticmethod
    def replay(cls: type[T], events: Iterable[object]) -> T | None:
        """The aggregate these events (one stream's, in order) make, or None if there are none."""
        aggregate: Aggregate | None = None
        for domain_event in events:
            if not isinstance(domain_event, Aggregate.Event):
                raise TypeError(f"{type(domain_event).__name__} is not an aggregate event")
            aggregate = domain_event.mutate(aggregate)
        return aggregate if isinstance(aggregate, cls) else None

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for aggregate_id in aggregate_ids:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def transact(self, decide: Callable[[UnitOfWork], R], attempts: int = 10) -> R:
        """Run `decide` in a unit of work and commit its events in one save, retrying on a version
        conflict with fresh state. Domain errors raised by `decide` propagate with nothing saved.

        Decisions of one process take turns (their saves would anyway: the store has one writer at a
        time), so they never conflict with each other; a conflict means another process wrote the same
        stream, and the decision is made again on fresh state after a short, jittered pause."""
        for attempt in range(1, attempts + 1):
            with self._decisions:
                uow = UnitOfWork(self)
                result = decide(uow)
                try:
                    uow.commit()
                except IntegrityError:
                    self.forget(uow.touched)
                    log.info("version conflict on attempt %d; retrying with fresh state", attempt)
                else:
                    return result
            time.sleep(random.uniform(0, 0.01 * attempt))
        raise Conflict("the ledger kept changing under this request; try again")


class UnitOfWork:
    """Aggregates loaded and changed by one decision; `commit` saves all their events at once."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._aggregates: dict[UUID, Aggregate] = {}
        self.positions: list[int] = []

    @property
    def touched(self) -> list[UUID]:
        return list(self._aggregates)

    def get(self, cls: type[T], aggregate_id: UUID) -> T | None:
        known = self._aggregates.get(aggregate_id)
        if known is not None:
            return known if isinstance(known, cls) else None
        aggregate = self.ledger.load(cls, aggregate_id)
        if aggregate is not None:
            self._aggregates[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._aggregates[aggregate.id] = aggregate

    def commit(self) -> None:
        changed = [a for a in self._aggregates.values() if a.pending_events]
        if changed:
            recordings = self.ledger.save(*changed)
            self.positions = [r.notification.id for r in recordings]

    @property
    def last_position(self) -> int | None:
        return max(self.positions) if self.positions else None
