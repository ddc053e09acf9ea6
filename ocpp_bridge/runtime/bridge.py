"""The bridge: follows the ledger and runs one simulated charge point per charger.

At start it reads the notification log's head, finds the live chargers, and starts a station for each,
resuming from its ChargePoint aggregate: a command that was dispatched but never finished is marked
failed (`interrupted`) and never sent again; commands queued since the charger's last handled intent
are run in order. Then it follows the log from the head: new chargers get a station, deleted ones are
stopped, everything else is routed to its charger's station (which ignores what it has seen already).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import Clock
from domain.failures import FailureCode
from domain.ids import charge_point_id
from domain.ledger import Ledger
from domain.protocol import OcppVersion
from infra.listen import Listener
from infra.sql import Database
from ocpp_bridge.runtime import metrics
from ocpp_bridge.runtime.leases import Leases, create_lease_tables
from ocpp_bridge.runtime.station import Station, StationSettings
from ocpp_bridge.runtime.writer import EventWriter
from ocpp_bridge.v16 import V16Station

log = logging.getLogger(__name__)

CHARGER_EVENTS = (
    Charger.Registered,
    Charger.Updated,
    Charger.Moved,
    Charger.Deleted,
    Charger.CommandQueued,
    Charger.RuntimeStartRequested,
    Charger.RuntimeStopRequested,
    Charger.RuntimeRestartRequested,
)
CHARGER_TOPICS = [get_topic(e) for e in CHARGER_EVENTS]


def station_class(version: OcppVersion) -> type[Station]:
    if version is OcppVersion.V16:
        return V16Station
    from ocpp_bridge.v201 import V201Station

    return V201Station


Loaded = tuple[Charger, ChargePoint, list[Any]]
LOAD_CHUNK = 500  # chargers whose streams are read in one statement when many start at once

REPLAY_TENANT_PREFIX = "replay-"  # chargers of a replay run are run by that replay only


class Bridge:
    def __init__(
        self,
        ledger: Ledger,
        clock: Clock | None = None,
        station_settings: StationSettings | None = None,
        poll_seconds: float = 0.5,
        bridge_id: str | None = None,
        tenants: set[str] | None = None,
        leases: bool = True,
        lease_ttl: float = 15.0,
    ) -> None:
        """`tenants`: run only these tenants' chargers, without leases (a replay). Otherwise the bridge
        shares the chargers of every other tenant with the other bridges through leases."""
        self.ledger = ledger
        self.db = Database(ledger)
        self.clock = clock or Clock()
        self.station_settings = station_settings or StationSettings()
        self.poll_seconds = poll_seconds
        self.bridge_id = bridge_id or f"{socket.gethostname()}:{os.getpid()}"
        self.tenants = tenants
        self.leases = Leases(self.db, self.bridge_id, lease_ttl) if leases and tenants is None else None
        self.lease_ttl = lease_ttl
        self.writer = EventWriter(ledger, on_conflict=self._streams_lost)
        self.stations: dict[UUID, Station] = {}
        self.live: set[UUID] = set()  # every charger this bridge may run, owned or not
        self.position = 0
        self._wake: asyncio.Event | None = None
        self._rebalance_now = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = asyncio.Event()

    def _eligible(self, tenant: str) -> bool:
        if self.tenants is not None:
            return tenant in self.tenants
        return not tenant.startswith(REPLAY_TENANT_PREFIX)

    # --- following the ledger ----------------------------------------------------------------------

    async def run(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        wake = self._wake
        # Only saves of Charger events concern the follower: the writer's own saves would wake it dozens
        # of times a second for nothing (and their NOTIFYs are skipped by the listener).
        self.ledger.on_saved(lambda _position: loop.call_soon_threadsafe(wake.set), topics=CHARGER_TOPICS)
        # Not the observations' channel: only other processes' intents concern the follower.
        listener = Listener(self.db, lambda: loop.call_soon_threadsafe(wake.set), second_channel=False)
        listener.start()
        self.writer.start()
        metrics.watch_gc()
        lag_watch = asyncio.create_task(metrics.watch_loop_lag(), name="loop-lag")
        if self.leases is not None:
            await asyncio.to_thread(create_lease_tables, self.db)
        head = await asyncio.to_thread(self._head)
        self.live = set(await asyncio.to_thread(self._live_chargers, head))
        self.position = head
        await self.rebalance()
        # The stations just started live as long as the bridge: out of the collector's sight, full
        # collections no longer walk thousands of chargers' objects each time (they took 8-12 % of
        # the time at 5,000 chargers). What is made later is collected as usual.
        gc.collect()
        gc.freeze()
        self.ready.set()
        log.info(
            "bridge %s runs %d of %d chargers from position %d",
            self.bridge_id,
            len(self.stations),
            len(self.live),
            head,
        )
        next_rebalance = loop.time() + self.lease_ttl / 3
        try:
            while not self._stopping.is_set():
                timeout = max(0.0, min(self.poll_seconds, next_rebalance - loop.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout)
                wake.clear()
                await self.follow()
                if self._rebalance_now.is_set() or loop.time() >= next_rebalance:
                    self._rebalance_now.clear()
                    await self.rebalance()
                    next_rebalance = loop.time() + self.lease_ttl / 3
        finally:
            gc.unfreeze()  # a process that runs bridges one after another (tests) collects their objects
            lag_watch.cancel()
            listener.stop()
            await self.shutdown()

    async def rebalance(self) -> None:
        """Run exactly the chargers this bridge holds a lease on (all eligible ones without leases)."""
        give_back: set[UUID] = set()
        if self.leases is None:
            mine = set(self.live)
        else:
            try:
                assignment = await asyncio.to_thread(self.leases.rebalance, set(self.live))
            except Exception as error:  # the database is down: keep running what we have until it is back
                log.warning("lease renewal failed: %s", error)
                return
            mine, give_back = assignment.mine, assignment.give_back
        for charger_id in set(self.stations) - mine:
            await self.remove_station(charger_id, "lease moved to another bridge")
        if give_back and self.leases is not None:
            await asyncio.to_thread(self.leases.release, give_back)
        # Many at a time (a bridge starting or taking over thousands): their streams read in one statement
        # per chunk, their first saves committed together.
        new = [charger_id for charger_id in mine if charger_id not in self.stations]
        for start in range(0, len(new), LOAD_CHUNK):
            chunk = new[start : start + LOAD_CHUNK]
            try:
                loaded = await asyncio.to_thread(self._load_many, chunk)
            except Exception as error:  # the database is down: the next rebalance tries again
                log.warning("loading %d chargers failed: %s", len(chunk), error)
                return
            await asyncio.gather(*(self.start_station(c, loaded[c]) for c in chunk))

    def _streams_lost(self, stream_ids: set[UUID]) -> None:
        """The writer found other bridges writing these ChargePoint streams: stop running them here."""
        for charger_id, station in list(self.stations.items()):
            if station.cp.id in stream_ids:
                self.stations.pop(charger_id, None)
                asyncio.get_running_loop().create_task(station.stop(record=False))
        self._rebalance_now.set()

    def _head(self) -> int:
        with self.db.reader() as cur:
            return self.db.max_notification_id(cur)

    def _live_chargers(self, head: int) -> list[UUID]:
        live: dict[UUID, None] = {}
        after = 0
        topics = [get_topic(Charger.Registered), get_topic(Charger.Deleted)]
        while after < head:
            with self.db.reader() as cur:
                page, after = self.db.select_notifications(
                    cur, after=after, stop=head, topics=topics, limit=10_000
                )
            for n in page:
                if n.topic == topics[0]:
                    registered = self.ledger.mapper.to_domain_event(n)
                    if isinstance(registered, Charger.Registered) and self._eligible(registered.tenant):
                        live[n.originator_id] = None
                else:
                    live.pop(n.originator_id, None)
        return list(live)

    def _next_events(self) -> tuple[list[Any], int]:
        # Two statements, no transaction: every id up to the head read first is committed (writers hold
        # the events table's lock until they commit), so the second sees all of them.
        with self.db.statement() as cur:
            stop = self.db.max_notification_id(cur)
            if stop <= self.position:
                return [], self.position
            page, looked_at = self.db.select_notifications(
                cur, after=self.position, stop=stop, topics=CHARGER_TOPICS, limit=1000
            )
        return [self.ledger.mapper.to_domain_event(n) for n in page], looked_at

    async def follow(self) -> None:
        while True:
            events, position = await asyncio.to_thread(self._next_events)
            for event in events:
                try:
                    await self.route(event)
                except Exception:  # one charger's trouble must not stop the others
                    log.exception("routing %s failed", type(event).__name__)
            moved = position != self.position
            self.position = position
            if not moved:
                return

    async def route(self, event: Any) -> None:
        charger_id = event.originator_id
        station = self.stations.get(charger_id)
        if isinstance(event, Charger.Registered):
            if self._eligible(event.tenant) and charger_id not in self.live:
                self.live.add(charger_id)
                if self.leases is None:
                    await self.add_station(charger_id)
                else:
                    self._rebalance_now.set()  # claim it (or let another bridge) right away
            return
        if isinstance(event, Charger.Deleted):
            self.live.discard(charger_id)
            if station is not None:
                await self.remove_station(charger_id, "charger deleted")
            return
        if station is None:
            return  # another bridge runs it
        if isinstance(event, Charger.Updated) and event.settings.ocpp_version != station.version:
            await self.remove_station(charger_id, f"switching to {event.settings.ocpp_version}")
            await self.add_station(charger_id)
            return
        station.enqueue(event)

    # --- stations ----------------------------------------------------------------------------------

    async def add_station(self, charger_id: UUID) -> Station | None:
        """Start the charger's station; a charger that cannot start is logged and skipped, never fatal."""
        try:
            loaded = (await asyncio.to_thread(self._load_many, [charger_id]))[charger_id]
        except Exception:
            log.exception("charger %s could not be loaded", charger_id)
            return None
        return await self.start_station(charger_id, loaded)

    async def start_station(self, charger_id: UUID, loaded: Loaded | None) -> Station | None:
        """Start the station of a charger loaded already (None: not to be run); never fatal."""
        try:
            return await self._add_station(charger_id, loaded)
        except Exception:
            log.exception("charger %s could not be started", charger_id)
            return None

    async def _add_station(self, charger_id: UUID, loaded: Loaded | None) -> Station | None:
        if loaded is None:
            return None
        charger, cp, pending = loaded
        if cp.in_flight is not None:
            # It may or may not have reached the CSMS; it is never sent again silently.
            cp.command_failed(
                cp.in_flight,
                FailureCode.INTERRUPTED.value,
                "the bridge stopped while this command was running",
            )
        cp.attached(self.bridge_id, str(charger.settings.ocpp_version), self.clock.speed)
        station = station_class(OcppVersion(charger.settings.ocpp_version))(
            charger, cp, self.writer, self.clock, self.station_settings
        )
        await station.durable()
        for event in pending:
            station.enqueue(event)
        self.stations[charger_id] = station
        station.start()
        return station

    def _load_many(self, charger_ids: list[UUID]) -> dict[UUID, Loaded | None]:
        """Each charger, its ChargePoint and the intents it has not handled yet (None: not to be run)."""
        streams: dict[UUID | str, list[Any]] = {}
        cp_ids = [charge_point_id(c) for c in charger_ids]
        for stored in self.db.events_of([*charger_ids, *cp_ids]):
            streams.setdefault(stored.originator_id, []).append(self.ledger.mapper.to_domain_event(stored))
        return {
            c: self._loaded(c, streams.get(c, []), streams.get(charge_point_id(c), [])) for c in charger_ids
        }

    def _loaded(self, charger_id: UUID, charger_events: list[Any], cp_events: list[Any]) -> Loaded | None:
        charger = Ledger.replay(Charger, charger_events)
        if charger is None or charger.deleted:
            return None
        if not self._eligible(charger.tenant):
            return None
        cp = Ledger.replay(ChargePoint, cp_events)
        if cp is None:
            cp = ChargePoint(
                charger_id=charger_id,
                tenant=charger.tenant,
                identity=charger.identity,
                connector_count=charger.spec.connector_count,
            )
        pending = [
            e
            for e in charger_events
            if e.originator_version > cp.intent_version
            and isinstance(e, CHARGER_EVENTS)
            and not isinstance(e, Charger.Registered)
        ]
        return charger, cp, pending

    async def remove_station(self, charger_id: UUID, reason: str) -> None:
        station = self.stations.pop(charger_id, None)
        if station is None:
            return
        await station.stop()
        if station.cp.in_flight is not None:
            station.cp.command_failed(station.cp.in_flight, FailureCode.INTERRUPTED.value, reason)
        station.cp.detached(self.bridge_id, reason)
        await station.durable()

    async def shutdown(self) -> None:
        for charger_id in list(self.stations):
            await self.remove_station(charger_id, "bridge stopped")
        await self.writer.close()
        if self.leases is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.leases.release_all)

    def stop(self) -> None:
        self._stopping.set()
        if self._wake is not None:
            self._wake.set()
