"""The recording format: JSON Lines with a header, then one ledger event per line, chained by SHA-256.

    line 1     {"format":"ocpp-ledger-recording","version":"1.0","source":{...},"filter":{...},
                "created_at":"…","count":N,"final_hash":"<hex>"}
    line 2..N+1 {"position":P,"aggregate_id":"<uuid>","version":V,"type":"<topic>","timestamp":"…",
                "fields":<the event's stored state>,"hash":"<hex>"}

Each event line's canonical form is the line itself without its `"hash"` member, exactly as written (the
envelope's keys in the order above, compact separators; `fields` is the ledger's own serialisation of the
event, so the recording decodes with the same mapper, upcasters included). Its hash is
SHA-256(previous hash as hex + canonical form), the first line chaining from 64 zeros; the header's
`final_hash` is the last line's hash. Verifying therefore needs no JSON parsing, which is what lets it run
at hundreds of thousands of lines per second. See docs/recording-format.md.

One exception to "the ledger's own serialisation": secrets are redacted on export (a charger's
`basic_auth_password` is written as "***", see replays/export.py), before hashing, so the chain covers the
redacted line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any, NamedTuple

FORMAT = "ocpp-ledger-recording"
VERSION = "1.0"
MAJOR = 1
GENESIS = "0" * 64
_HASH_SUFFIX_LEN = len(',"hash":"') + 64 + len('"}')
_TIMESTAMP_MARK = b'"timestamp":{"_type_":"datetime_iso","_data_":"'


class RecordingError(Exception):
    """A recording that cannot be used: unknown version, not a recording, broken chain."""


class StoredLine(NamedTuple):
    """One ledger event as the notification log holds it (a tuple: export makes millions)."""

    position: int
    aggregate_id: str  # canonical text form
    version: int
    topic: str
    state: bytes


@lru_cache(maxsize=256)
def _topic_json(topic: str) -> bytes:
    return json.dumps(topic).encode()


def _timestamp_bytes(state: bytes) -> bytes:
    start = state.find(_TIMESTAMP_MARK)
    if start < 0:
        return b""
    start += len(_TIMESTAMP_MARK)
    return state[start : state.index(b'"', start)]


_LINE = b'{"position":%d,"aggregate_id":"%s","version":%d,"type":%s,"timestamp":"%s","fields":%s}'


def canonical(line: StoredLine) -> bytes:
    # Built from bytes in one formatting step: the stored state is already JSON (the ledger's own
    # serialisation), and only the topic could need escaping.
    return _LINE % (
        line.position,
        line.aggregate_id.encode(),
        line.version,
        _topic_json(line.topic),
        _timestamp_bytes(line.state),
        line.state,
    )


def chain(previous: str, canonical_line: bytes) -> str:
    return hashlib.sha256(previous.encode() + canonical_line).hexdigest()


def write_events(lines: Iterable[StoredLine], out: IO[bytes]) -> tuple[int, str]:
    """Write event lines (binary, UTF-8); return (count, final hash)."""
    previous, count = GENESIS, 0
    pending: list[bytes] = []
    for line in lines:
        body = canonical(line)
        previous = chain(previous, body)
        pending.append(b'%s,"hash":"%s"}\n' % (body[:-1], previous.encode()))
        count += 1
        if len(pending) == 1000:  # one write per thousand lines, not one per line
            out.write(b"".join(pending))
            pending.clear()
    out.write(b"".join(pending))
    return count, previous


def header(
    source: dict[str, Any], filter_: dict[str, Any], created_at: str, count: int, final_hash: str
) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "source": source,
            "filter": filter_,
            "created_at": created_at,
            "count": count,
            "final_hash": final_hash,
        },
        separators=(",", ":"),
    )


def read_header(first_line: str) -> dict[str, Any]:
    try:
        head = json.loads(first_line)
    except ValueError:
        raise RecordingError("line 1 is not JSON: not an ocpp-ledger recording") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise RecordingError("line 1 is not an ocpp-ledger recording header")
    version = str(head.get("version", ""))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        raise RecordingError(f"recording version {version!r} is not a version") from None
    if major != MAJOR:
        raise RecordingError(
            f"recording format version {version} is not supported (this ocpp-ledger reads {MAJOR}.x)"
        )
    return head


@dataclass(frozen=True)
class Break:
    line: int  # 1-based line number in the file
    reason: str


def verify(lines: Iterator[bytes], head: dict[str, Any]) -> Break | None:
    """Recompute the chain over the event lines (line 2 onwards); the first line where it breaks, if any."""
    previous, count, number = GENESIS, 0, 1
    for number, raw in enumerate(lines, start=2):
        text = raw.rstrip(b"\n")
        if (
            len(text) < _HASH_SUFFIX_LEN
            or not text.endswith(b'"}')
            or text[-_HASH_SUFFIX_LEN:][:9] != b',"hash":"'
        ):
            return Break(number, "not an event line (no hash)")
        claimed = text[-66:-2].decode(errors="replace")
        body = text[:-_HASH_SUFFIX_LEN] + b"}"
        if chain(previous, body) != claimed:
            return Break(
                number, "hash mismatch: the line was changed, or a line before it was removed or moved"
            )
        previous = claimed
        count += 1
    if count != head.get("count"):
        return Break(
            number + 1, f"the header says {head.get('count')} events, the file has {count} (truncated?)"
        )
    if previous != head.get("final_hash"):
        return Break(number, "the last hash differs from the header's final_hash")
    return None


def parse_event(raw: bytes | str) -> dict[str, Any]:
    return json.loads(raw)
