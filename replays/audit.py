"""A readable timeline of a slice of the ledger: each command, who asked, the frames it caused, the CSMS
answers, and the state that resulted — from a recording or straight from the database."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification
from rich.console import Console
from rich.text import Text

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.location import Location
from replays.recording import parse_event

_STYLE = {"cp_to_csms": ("→", "cyan"), "csms_to_cp": ("←", "magenta")}


@dataclass(frozen=True)
class Entry:
    position: int
    event: Any


def decode_lines(lines: Iterable[bytes], mapper: Mapper[Any]) -> Iterator[Entry]:
    """Domain events from the event lines of a recording (decoded by the ledger's own mapper)."""
    for raw in lines:
        line = parse_event(raw)
        state = json.dumps(line["fields"], separators=(",", ":")).encode()
        notification = Notification(
            id=line["position"],
            originator_id=UUID(line["aggregate_id"]),
            originator_version=line["version"],
            topic=line["type"],
            state=state,
        )
        yield Entry(line["position"], mapper.to_domain_event(notification))


def _short(raw: str, width: int = 110) -> str:
    return raw if len(raw) <= width else raw[: width - 1] + "…"


def describe(entry: Entry, identities: dict[Any, str]) -> Text | None:
    e = entry.event
    at = e.timestamp.strftime("%H:%M:%S.%f")[:-3]
    head = Text(f"{entry.position:>7} {at} ", style="dim")
    if isinstance(e, Location.Created):
        return head + Text(f"location {e.details.name!r} created by {e.requested_by}", style="bold")
    if isinstance(e, Charger.Registered):
        identities[e.originator_id] = e.identity
        return head + Text(
            f"charger {e.identity} registered ({e.spec.vendor_name} {e.spec.model_name}, "
            f"{e.settings.ocpp_version}) by {e.requested_by}",
            style="bold",
        )
    if isinstance(e, ChargePoint.Observed):
        identities[e.originator_id] = e.identity
        return None
    who = identities.get(e.originator_id, str(e.originator_id)[:8])
    if isinstance(e, Charger.CommandQueued):
        payload = json.dumps(e.payload.wire(), separators=(",", ":"))
        return (
            head
            + Text(f"{who} ", style="bold")
            + Text(
                f"COMMAND {e.event_type} {payload} by {e.requested_by} ({e.origin}) [{e.command_id}]",
                style="bold yellow",
            )
        )
    if isinstance(
        e, Charger.RuntimeStartRequested | Charger.RuntimeStopRequested | Charger.RuntimeRestartRequested
    ):
        return head + Text(
            f"{who} COMMAND {type(e).__name__} by {e.requested_by} [{e.command_id}]", style="bold yellow"
        )
    if isinstance(e, ChargePoint.FrameRecorded):
        arrow, style = _STYLE.get(e.direction, ("?", "white"))
        return (
            head + Text(f"{who}   {arrow} {e.action or '?'} ", style=style) + Text(_short(e.raw), style="dim")
        )
    if isinstance(e, ChargePoint.CommandCompleted):
        return head + Text(
            f"{who}   ✓ completed {json.dumps(e.outcome.public(), separators=(',', ':'))}", style="green"
        )
    if isinstance(e, ChargePoint.CommandFailed):
        return head + Text(f"{who}   ✗ failed {e.code}: {e.message}", style="red")
    if isinstance(e, ChargePoint.StatusChanged):
        return head + Text(f"{who}   state: connector {e.connector_id} {e.status} ({e.error_code})")
    if isinstance(e, ChargePoint.TransactionStarted):
        return head + Text(
            f"{who}   state: transaction {e.transaction_id} started on {e.connector_id} "
            f"(tag {e.id_tag}: {e.id_tag_status}, meter {e.meter_start_wh} Wh)"
        )
    if isinstance(e, ChargePoint.TransactionStopped):
        return head + Text(
            f"{who}   state: transaction {e.transaction_id} stopped ({e.reason}, meter {e.meter_stop_wh} Wh)"
        )
    if isinstance(e, ChargePoint.FaultRaised | ChargePoint.FaultCleared):
        return head + Text(f"{who}   state: {type(e).__name__} on {e.connector_id}", style="red")
    if isinstance(e, ChargePoint.Connected | ChargePoint.Disconnected | ChargePoint.BootAnswered):
        detail = getattr(e, "status", getattr(e, "reason", getattr(e, "url", "")))
        return head + Text(f"{who}   link: {type(e).__name__} {detail}", style="blue")
    return None


def print_timeline(entries: Iterable[Entry], console: Console, frames: bool = True) -> int:
    identities: dict[Any, str] = {}
    shown = 0
    for entry in entries:
        if not frames and isinstance(entry.event, ChargePoint.FrameRecorded):
            continue
        line = describe(entry, identities)
        if line is not None:
            console.print(line, soft_wrap=True)
            shown += 1
    return shown
