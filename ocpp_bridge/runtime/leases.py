"""Leases: which bridge runs which charger, held in the ledger's database.

Every bridge heartbeats its row in `bridges` and renews the leases it holds. A lease whose bridge stopped
renewing it expires after `ttl` seconds and any other bridge may claim it; a bridge claims unowned and
expired leases up to its fair share (chargers / live bridges, rounded up) and gives back what it holds
above that share plus one, so a bridge that joins gets work and one that dies loses all of it within
`ttl`. Claims are conditional updates in one transaction, serialised by row locks on PostgreSQL and by the
single writer on SQLite, so two bridges never hold the same lease.

Leases decide who *runs* a charger. The ledger itself guards its streams: a bridge that lost a lease but
has not noticed yet loses on the ChargePoint stream's version check (see EventWriter) and stops.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from infra.sql import Cursor, Database

LEASES_DDL = (
    "CREATE TABLE IF NOT EXISTS bridge_leases ("
    "charger_id TEXT PRIMARY KEY, bridge_id TEXT, expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bridges (bridge_id TEXT PRIMARY KEY, seen_at TEXT NOT NULL)",
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def create_lease_tables(db: Database) -> None:
    with db.transaction() as cur:
        db.advisory_lock(cur, 0x6F63_7070)
        for ddl in LEASES_DDL:
            cur.execute(ddl)


@dataclass(frozen=True)
class Assignment:
    mine: set[UUID]  # run these
    give_back: set[UUID]  # stop these, then `release` them (still ours until then)
    live_bridges: int


class Leases:
    def __init__(self, db: Database, bridge_id: str, ttl: float = 15.0) -> None:
        self.db = db
        self.bridge_id = bridge_id
        self.ttl = ttl
        self._registered: set[UUID] = set()

    def rebalance(self, chargers: set[UUID]) -> Assignment:
        """Heartbeat, renew what we hold, give back our excess, claim our share; return what we hold."""
        now = datetime.now(UTC)
        expires, live_since = _iso(now + timedelta(seconds=self.ttl)), _iso(now - timedelta(seconds=self.ttl))
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO bridges (bridge_id, seen_at) VALUES (%s, %s) "
                "ON CONFLICT (bridge_id) DO UPDATE SET seen_at = excluded.seen_at",
                [self.bridge_id, _iso(now)],
            )
            self._forget_dead_neighbours(cur, now)
            live = int(
                cur.execute("SELECT COUNT(*) AS n FROM bridges WHERE seen_at >= %s", [live_since]).scalar()
                or 1
            )
            share = math.ceil(len(chargers) / max(1, live))
            self._register(cur, chargers, _iso(now))
            cur.execute(
                "UPDATE bridge_leases SET expires_at = %s WHERE bridge_id = %s",
                [expires, self.bridge_id],
            )
            # Plain tuples and one text form per charger: a bridge renews thousands of leases every few
            # seconds, beside its event loop.
            held = [
                charger_id
                for (charger_id,) in cur.tuples(
                    "SELECT charger_id FROM bridge_leases WHERE bridge_id = %s ORDER BY charger_id",
                    [self.bridge_id],
                )
            ]
            by_text = {str(c): c for c in chargers}
            # Deleted chargers go back; so does what is above a fair share, once we hold more than one over
            # it (the slack keeps two bridges from handing a charger back and forth).
            gone = [c for c in held if c not in by_text]
            live_held = [c for c in held if c in by_text]
            excess = live_held[share:] if len(live_held) > share + 1 else []
            for charger_id in gone:
                cur.execute(
                    "UPDATE bridge_leases SET bridge_id = NULL, expires_at = %s WHERE charger_id = %s AND bridge_id = %s",
                    [_iso(now), charger_id, self.bridge_id],
                )
            # The excess is handed back only after its stations have stopped (see release), so that the
            # bridge taking it over never overlaps with this one on a connection or a stream.
            mine = {by_text[c] for c in live_held[:share]} if excess else {by_text[c] for c in live_held}
            wanted = share - len(mine)
            if wanted > 0:
                free = cur.execute(
                    "SELECT charger_id FROM bridge_leases WHERE (bridge_id IS NULL OR expires_at < %s) "
                    "ORDER BY charger_id" + self.db.skip_locked,
                    [_iso(now)],
                ).fetchall()
                for row in free:
                    if wanted <= 0:
                        break
                    if row["charger_id"] not in by_text:
                        continue  # not one this bridge runs (deleted, or a replay's)
                    claimed = cur.execute(
                        "UPDATE bridge_leases SET bridge_id = %s, expires_at = %s "
                        "WHERE charger_id = %s AND (bridge_id IS NULL OR expires_at < %s)",
                        [self.bridge_id, expires, row["charger_id"], _iso(now)],
                    ).rowcount
                    if claimed:
                        mine.add(by_text[row["charger_id"]])
                        wanted -= 1
        return Assignment(mine=mine, give_back={UUID(c) for c in excess}, live_bridges=live)

    def _forget_dead_neighbours(self, cur: Cursor, now: datetime) -> None:
        """A bridge on this same host whose process is gone (a restart after a crash) need not be waited
        for: free its leases now rather than when they expire."""
        host = self.bridge_id.rsplit(":", 1)[0]
        for row in cur.execute(
            "SELECT bridge_id FROM bridges WHERE bridge_id LIKE %s", [f"{host}:%"]
        ).fetchall():
            other = row["bridge_id"]
            pid = other.rsplit(":", 1)[-1]
            if other == self.bridge_id or not pid.isdigit() or _alive(int(pid)):
                continue
            cur.execute(
                "UPDATE bridge_leases SET bridge_id = NULL, expires_at = %s WHERE bridge_id = %s",
                [_iso(now), other],
            )
            cur.execute("DELETE FROM bridges WHERE bridge_id = %s", [other])

    def _register(self, cur: Cursor, chargers: set[UUID], now: str) -> None:
        """Make sure every live charger has a lease row (unowned until someone claims it)."""
        new = chargers - self._registered
        cur.executemany(
            "INSERT INTO bridge_leases (charger_id, bridge_id, expires_at) VALUES (%s, NULL, %s) "
            "ON CONFLICT (charger_id) DO NOTHING",
            [[str(c), now] for c in new],
        )
        self._registered |= new

    def release(self, charger_ids: set[UUID]) -> None:
        now = _iso(datetime.now(UTC))
        with self.db.transaction() as cur:
            for charger_id in sorted(charger_ids):
                cur.execute(
                    "UPDATE bridge_leases SET bridge_id = NULL, expires_at = %s WHERE charger_id = %s AND bridge_id = %s",
                    [now, str(charger_id), self.bridge_id],
                )

    def release_all(self) -> None:
        """A clean stop: give everything back at once, so other bridges need not wait for expiry."""
        now = _iso(datetime.now(UTC))
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE bridge_leases SET bridge_id = NULL, expires_at = %s WHERE bridge_id = %s",
                [now, self.bridge_id],
            )
            cur.execute("DELETE FROM bridges WHERE bridge_id = %s", [self.bridge_id])

    def holders(self) -> dict[UUID, str | None]:
        with self.db.reader() as cur:
            return {
                UUID(r["charger_id"]): r["bridge_id"]
                for r in cur.execute("SELECT charger_id, bridge_id FROM bridge_leases").fetchall()
            }
