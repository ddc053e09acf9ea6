"""The smart-charging shell both versions share: the installed profiles kept as ChargePoint events, the
meter held to the composite limit at every moment, and a timer for the instant that limit next changes.

The decisions are the pure core's (`ocpp_bridge.core.smart_charging`); this part records them and acts:
- the profile store is rebuilt from the aggregate's profiles (each ChargingProfileInstalled carries the
  whole profile as `installed_record`), so a restart keeps them; older events without one read as absent;
- every `settle` first lets the TxProfiles follow the transactions (bound when one starts, gone when it
  ends) and sets the connector's `limit_w` to `limit_at` now: the meter never runs above it; connectors
  charging at once share a charger-wide maximum (`shared_power`), and move together when one starts or
  stops drawing;
- a timer fires at `next_change` (a schedule period, validFrom/validTo, a recurrence): it settles the
  connectors at that instant (a change of power is a meter sample) and has the version report it.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from datetime import datetime

from ocpp_bridge.core.meter import Reading
from ocpp_bridge.core.smart_charging.composite import limit_at, next_change, shared_power
from ocpp_bridge.core.smart_charging.model import (
    SMART_CHARGING_KEYS,
    Purpose,
    RunningTransaction,
    Supply,
    capabilities_from,
    purpose_name,
)
from ocpp_bridge.core.smart_charging.model import Station as ProfileFacts
from ocpp_bridge.core.smart_charging.payloads import installed_from_record, installed_record
from ocpp_bridge.core.smart_charging.store import ProfileStore
from ocpp_bridge.runtime.station import FollowUp, Station

_STATION_WIDE = (Purpose.STATION_MAX, Purpose.EXTERNAL_CONSTRAINTS)
_SHARE_SLACK_W = 0.5  # a share this close to what a connector would draw does not limit it
# Fire a little after the instant: a timer that wakes early sees the old limit (and sets itself again).
_TIMER_SLACK_S = 0.001


def _station_wide(store: ProfileStore) -> bool:
    """A limit on the whole charger is installed: what one connector draws changes what the others may."""
    return any(e.evse_id == 0 and e.profile.purpose in _STATION_WIDE for e in store.installed)


class SmartChargingStation(Station):
    """A station whose power follows its charging profiles (the base of both versions' sessions)."""

    _profiles_of: tuple[object, ProfileStore] | None = None
    _timer_key: tuple[object, ...] | None = None
    _limit_timer: asyncio.TimerHandle | None = None
    _sharing = False  # moving the other connectors to their new shares (they do not move the others again)

    # --- the installed profiles ---------------------------------------------------------------------

    @property
    def profile_store(self) -> ProfileStore:
        """The installed profiles, rebuilt from the aggregate (again only when they changed)."""
        source = self.cp.profiles
        if self._profiles_of is not None and self._profiles_of[0] is source:
            return self._profiles_of[1]
        store = ProfileStore(
            tuple(installed_from_record(p.record, self.version) for p in source.values() if p.record)
        )
        self._profiles_of = (source, store)
        return store

    def profile_facts(self) -> ProfileFacts:
        """What the profile rules know of this charger now: its supplies, transactions, capabilities."""
        transactions = {
            n: RunningTransaction(s.transaction_id, datetime.fromisoformat(s.started_at or ""))
            for n, s in self.cp.connectors.items()
            if s.transaction_id is not None and s.started_at
        }
        supplies = {
            n: Supply("dc" if self.charger.spec.current_type == "dc" else "ac", r.meter.connector_max_w)
            for n, r in self.runtime.items()
        }
        values = {key[0]: self.config(key[0]) for key in SMART_CHARGING_KEYS}
        return ProfileFacts(self.version, supplies, transactions, capabilities_from(values))

    def adopt_profiles(self, store: ProfileStore) -> None:
        """Record what turned the installed profiles into `store` (the caller records the events)."""
        installed, removed = self.profile_store.changes_to(store)
        if removed:
            self.cp.charging_profiles_removed(removed)
        for entry in installed:
            self.cp.charging_profile_installed(
                entry.profile.id,
                entry.evse_id,
                purpose_name(entry.profile.purpose, self.version),
                installed_record(entry, self.version),
            )

    def profiles_changed(self, store: ProfileStore, message_id: str | None) -> None:
        """A CSMS call changed the profiles: record them, move every meter to its new limit now, and
        report the changes once our answer has gone."""
        self.adopt_profiles(store)
        changed = self.follow_limits()
        self.record()
        self.enqueue(FollowUp(message_id, lambda: self.report_limits(changed), "charging limits changed"))

    def drop_unbound_profiles(self, connector_id: int) -> None:
        """A remote start that never became a transaction: the TxProfile that came with it goes."""
        store = self.profile_store
        kept = store.drop_unbound(connector_id)
        if kept is not store:
            self.adopt_profiles(kept)
            self.settle(connector_id)
            self.record()

    # --- the meter follows the limit ----------------------------------------------------------------

    def settle(self, connector_id: int) -> Reading:
        self.follow_profiles(connector_id)
        return super().settle(connector_id)

    def follow_profiles(self, connector_id: int) -> None:
        """Bind or end TxProfiles with the transactions, and set the connector's limit to the one in force
        now (super().settle integrates what flowed so far at the old power, then applies it)."""
        store = self.profile_store
        state = self.state(connector_id)
        if not store.installed:
            if state.limit_w is not None:
                self.cp.charging_limit_changed(connector_id, None)
            return
        running = {n: s.transaction_id for n, s in self.cp.connectors.items() if s.transaction_id is not None}
        updated = store.follow_transactions(running)
        if updated is not store:
            self.adopt_profiles(updated)
        facts = self.profile_facts()
        now = self.clock.now()
        shares = self._shares(updated, facts, now)
        limit_w = self._limit_w(updated, facts, connector_id, now, shares)
        if limit_w != state.limit_w:
            self.cp.charging_limit_changed(connector_id, limit_w)
        if not self._sharing and _station_wide(updated):
            # The others' shares move with this one's draw (it starts, stops, or its limit changed).
            self._sharing = True
            try:
                for n in self.cp.connectors:
                    if (
                        n != connector_id
                        and self._limit_w(updated, facts, n, now, shares) != self.state(n).limit_w
                    ):
                        self.settle(n)
            finally:
                self._sharing = False
        self._arm_limit_timer(updated, facts)

    def _limit_w(
        self,
        store: ProfileStore,
        facts: ProfileFacts,
        connector_id: int,
        now: datetime,
        shares: dict[int, tuple[float, float]],
    ) -> float | None:
        """The connector's limit now: its composite, or less when its share of the charger's maximum
        is less than it would draw (None: no profile rules it)."""
        limit = limit_at(store, facts, connector_id, now)
        limit_w = limit.power_w if limit.by_profile else None
        if connector_id in shares:
            wanted, given = shares[connector_id]
            if given < wanted - _SHARE_SLACK_W:
                limit_w = given if limit_w is None else min(limit_w, given)
        return limit_w

    def _shares(
        self, store: ProfileStore, facts: ProfileFacts, now: datetime
    ) -> dict[int, tuple[float, float]]:
        """(what it would draw, its share) of each connector charging when two or more share a
        charger-wide limit (1.6 ChargePointMaxProfile, 2.0.1 ChargingStationMaxProfile and external
        constraints: a maximum for the whole charger, not for each connector)."""
        if not _station_wide(store):
            return {}
        demands = {}
        for n, state in self.cp.connectors.items():
            if self.charging(n):
                runtime = self.runtime[n]
                demands[n] = runtime.meter.power_w(
                    runtime.ev, charging=True, offered_w=state.offered_power_w, limit_w=None
                )
        if len(demands) < 2:
            return {}
        given = shared_power(store, facts, now, demands)
        return {n: (demands[n], given[n]) for n in demands}

    def follow_limits(self) -> set[int]:
        """Settle every connector at its limit now; returns those whose limit changed in a transaction."""
        before = {n: s.limit_w for n, s in self.cp.connectors.items()}
        for n in list(self.cp.connectors):
            self.settle(n)
        return {
            n
            for n, s in self.cp.connectors.items()
            if s.limit_w != before[n] and s.transaction_id is not None
        }

    def _arm_limit_timer(self, store: ProfileStore, facts: ProfileFacts) -> None:
        """Set the timer for the next change of any connector's limit (again only when the profiles or
        the transactions changed: a Relative schedule starts with its transaction)."""
        key = (self.cp.profiles, tuple(sorted(facts.transactions.items())))
        if key == self._timer_key:
            return  # set for these already (or nothing changes: no timer)
        self._timer_key = key
        if self._limit_timer is not None:
            self._limit_timer.cancel()
            self._limit_timer = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a unit test): nothing to wake
            return
        now = self.clock.now()
        moments = [next_change(store, facts, n, now) for n in facts.evses]
        due = min((m for m in moments if m is not None), default=None)
        if due is None:
            return
        delay = self.clock.real_seconds(max(0.0, (due - now).total_seconds())) + _TIMER_SLACK_S
        self._limit_timer = loop.call_later(delay, self._limit_due)

    def _limit_due(self) -> None:
        """A limit changes now: the meters follow at this instant, the version reports it after."""
        self._limit_timer = None
        self._timer_key = None
        changed = self.follow_limits()
        self.record()
        if changed:
            self.enqueue(FollowUp(None, lambda: self.report_limits(changed), "charging schedule period"))

    def start(self) -> None:
        super().start()
        store = self.profile_store
        if not store.installed:
            return
        # A remote start the last run accepted but never began is not carried out after a restart: its
        # TxProfile goes. The others: their limits now, their timer again.
        kept = store
        for n, state in self.cp.connectors.items():
            if state.transaction_id is None:
                kept = kept.drop_unbound(n)
        if kept is not store:
            self.adopt_profiles(kept)
        self.follow_limits()
        self.record()

    async def stop(self, record: bool = True) -> None:
        if self._limit_timer is not None:
            self._limit_timer.cancel()
            self._limit_timer = None
        self._timer_key = None
        await super().stop(record)

    @abstractmethod
    async def report_limits(self, changed: set[int]) -> None:
        """Tell the CSMS what the new limits did (1.6 SuspendedEVSE at 0 W and back; 2.0.1
        TransactionEvent Updated, ChargingRateChanged) for the connectors in `changed` (and any
        whose status the change moved)."""
