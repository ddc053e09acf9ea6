"""Export a slice of the ledger as a recording, streaming (constant memory for millions of events).

A slice is the whole ledger, a charger (its intent and observation streams), a location (its stream and
those of every charger it ever had), one command (the command and every observation it caused), and/or a
time range. The header carries the count and the final hash, known only at the end: a file destination
reserves the header line and fills it in last (padded with spaces); a stream gets the events through a
temporary file.

Secrets stay in the ledger: a charger's `basic_auth_password` (OCPP security profile 1/2) is written as
"***" in the Charger.Registered and Charger.Updated lines. The redaction happens before the line is hashed,
so a recording's chain covers what it holds and verifies; it is therefore not a byte copy of the stored
event, and a replay of it connects without the password (give the replayed chargers theirs, if the CSMS
under test demands one).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from domain.chargepoint import ChargePoint
from domain.charger import REDACTED, Charger
from domain.ids import charge_point_id
from domain.ledger import Ledger
from domain.location import Location
from infra.sql import Database
from replays.recording import GENESIS, StoredLine, header, write_events

_LOCATION_ASSIGNED = Location.ChargersAssigned.TOPIC  # type: ignore[attr-defined]
# Events that carry ChargerSettings, and the one secret in them (a JSON string value; null stays null).
_SETTINGS_TOPICS = frozenset({Charger.Registered.TOPIC, Charger.Updated.TOPIC})  # type: ignore[attr-defined]
_PASSWORD = re.compile(rb'("basic_auth_password"\s*:\s*)"(?:[^"\\]|\\.)*"')
_REDACTED = b'"' + REDACTED.encode() + b'"'


def redacted(line: StoredLine) -> StoredLine:
    """The line with every secret replaced by "***" (before it is hashed into the chain)."""
    if line.topic not in _SETTINGS_TOPICS or b"basic_auth_password" not in line.state:
        return line
    state = _PASSWORD.sub(lambda m: m.group(1) + _REDACTED, line.state)
    return StoredLine(line.position, line.aggregate_id, line.version, line.topic, state)


@dataclass
class Slice:
    charger_ids: list[UUID] = field(default_factory=list)
    location_id: UUID | None = None
    command_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "charger_ids": [str(c) for c in self.charger_ids],
            "location_id": None if self.location_id is None else str(self.location_id),
            "command_id": None if self.command_id is None else str(self.command_id),
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }


def _timestamp(db: Database, position: int) -> datetime | None:
    for n in db.stream_notifications(after=position - 1, stop=position, page=1):
        return db.ledger.mapper.to_domain_event(n).timestamp  # type: ignore[attr-defined]
    return None


def position_at(db: Database, moment: datetime, head: int) -> int:
    """The last position whose event is before `moment` (binary search: event times follow positions)."""
    low, high = 0, head
    while low < high:
        middle = (low + high + 1) // 2
        at = _timestamp(db, middle)
        if at is None or at < moment:
            low = middle
        else:
            high = middle - 1
    return low


def _aggregates(db: Database, selection: Slice, head: int) -> list[UUID]:
    ids: list[UUID] = []
    for charger_id in selection.charger_ids:
        ids += [charger_id, charge_point_id(charger_id)]
    if selection.location_id is not None:
        ids.append(selection.location_id)
        for n in db.stream_notifications(0, head, originator_ids=[selection.location_id]):
            if n.topic == _LOCATION_ASSIGNED:
                for charger_id in db.ledger.mapper.to_domain_event(n).charger_ids:  # type: ignore[attr-defined]
                    ids += [charger_id, charge_point_id(charger_id)]
    return list(dict.fromkeys(ids))


def _command_filter(selection: Slice) -> Callable[[Any], bool] | None:
    if selection.command_id is None:
        return None
    needle = f'"_data_":"{selection.command_id.hex}"'.encode()
    return lambda n: (
        needle in n.state
        and (
            n.topic.startswith(ChargePoint.TOPIC) or n.topic.startswith(Charger.TOPIC)  # type: ignore[attr-defined]
        )
    )


def select(db: Database, selection: Slice) -> Iterator[StoredLine]:
    with db.reader() as cur:
        head = db.max_notification_id(cur)
    after = 0 if selection.since is None else position_at(db, selection.since, head)
    stop = head if selection.until is None else position_at(db, selection.until, head)
    ids = _aggregates(db, selection, head) if (selection.charger_ids or selection.location_id) else []
    keep = _command_filter(selection)
    for row in db.stream_rows(after, stop, originator_ids=ids):
        line = StoredLine._make(row)
        if keep is None or keep(line):
            yield redacted(line)


def source_of(ledger: Ledger, db: Database) -> dict[str, Any]:
    if db.dialect == "sqlite":
        return {
            "ledger": ledger.name,
            "backend": "sqlite",
            "database": str(getattr(db.datastore.pool, "db_name", "")),
        }
    kwargs = getattr(db.datastore.pool, "kwargs", {})
    return {
        "ledger": ledger.name,
        "backend": "postgres",
        "database": f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('dbname')}",
        "schema": db.datastore.schema,
    }


def export(
    db: Database,
    selection: Slice,
    destination: Path | None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, str]:
    """Write the recording to `destination` (stdout if None); return (count, final hash)."""
    lines: Iterable[StoredLine] = select(db, selection)
    if progress is not None:
        lines = _counting(lines, progress)
    created_at = datetime.now(UTC).isoformat()

    def head(count: int, final_hash: str) -> bytes:
        return header(source_of(db.ledger, db), selection.describe(), created_at, count, final_hash).encode()

    if destination is None:
        return _to_stream(lines, head, sys.stdout.buffer)
    # A file gets its header line reserved (room for any count), filled in once the chain is known:
    # one pass over the events, not a second copy of them.
    room = len(head(10**20, GENESIS))
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with partial.open("w+b", buffering=1 << 20) as out:
            out.write(b" " * room + b"\n")
            count, final_hash = write_events(lines, out)
            out.seek(0)
            out.write(head(count, final_hash).ljust(room))
        os.replace(partial, destination)  # a reader never sees half a recording
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return count, final_hash


def _to_stream(
    lines: Iterable[StoredLine], head: Callable[[int, str], bytes], out: IO[bytes]
) -> tuple[int, str]:
    """A stream cannot be rewound: the events go to a temporary file first, then after the header."""
    with tempfile.TemporaryFile("w+b", buffering=1 << 20, prefix=".recording-") as body:
        count, final_hash = write_events(lines, body)
        body.seek(0)
        out.write(head(count, final_hash) + b"\n")
        shutil.copyfileobj(body, out, 1 << 20)
        out.flush()
    return count, final_hash


def _counting(lines: Iterable[StoredLine], progress: Callable[[int], None]) -> Iterator[StoredLine]:
    for n, line in enumerate(lines, start=1):
        if n % 10_000 == 0:
            progress(10_000)
        yield line
