"""Load a recording into a ledger (an empty one, typically): to analyse it, or to audit it with the
database tools. Events keep their aggregates, versions, order and contents; positions are the new
ledger's. An event already present (same aggregate and version) makes the whole import fail."""

from __future__ import annotations

import json
from collections.abc import Iterable
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.ledger import Ledger


def import_recording(ledger: Ledger, lines: Iterable[bytes], batch: int = 5000) -> int:
    pending, count = [], 0
    for raw in lines:
        line = json.loads(raw)
        notification = Notification(
            id=line["position"],
            originator_id=UUID(line["aggregate_id"]),
            originator_version=line["version"],
            topic=line["type"],
            state=json.dumps(line["fields"], separators=(",", ":")).encode(),
        )
        pending.append(ledger.mapper.to_domain_event(notification))
        if len(pending) >= batch:
            ledger.save(*pending)
            count += len(pending)
            pending = []
    if pending:
        ledger.save(*pending)
        count += len(pending)
    return count
