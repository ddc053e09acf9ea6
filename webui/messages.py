"""What the lab's live stream says about each ledger event: one small, typed-by-kind message or nothing.

Messages carry absolute values (a connector's status, its energy register), never deltas, so a page
that applies them in ledger order over a snapshot ends in the state of the latest position, whatever
the snapshot already held. Each message names the tenant it belongs to: every aggregate's first event
(Charger.Registered, Location.Created, ChargePoint.Observed) names its tenant, and `Origins` remembers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.ledger import Ledger
from domain.location import Location
from infra.sql import iso
from webui.redaction import masked_frame

KINDS = ("frame", "charger", "connector", "meter", "command", "fleet")


@dataclass(frozen=True)
class Origin:
    """Whose an aggregate is: its tenant and, for a charge point, the charger it simulates."""

    tenant: str
    charger_id: str | None


@dataclass(frozen=True)
class Message:
    position: int
    tenant: str
    charger_id: str | None
    kind: str
    data: str  # JSON, encoded once however many subscribers receive it


class Origins:
    """Tenant (and charger) of each aggregate, learned from its first event and kept: neither changes."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._known: dict[UUID, Origin | None] = {}
        self._lock = Lock()

    def learn(self, event: Any) -> None:
        origin = _origin_of_first(event)
        if origin is not None:
            with self._lock:
                self._known[event.originator_id] = origin

    def of(self, aggregate_id: UUID) -> Origin | None:
        with self._lock:
            if aggregate_id in self._known:
                return self._known[aggregate_id]
        stored = self.ledger.recorder.select_events(aggregate_id, limit=1)
        origin = _origin_of_first(self.ledger.mapper.to_domain_event(stored[0])) if stored else None
        with self._lock:
            self._known[aggregate_id] = origin
        return origin


def _origin_of_first(event: Any) -> Origin | None:
    if isinstance(event, ChargePoint.Observed):
        return Origin(event.tenant, str(event.charger_id))
    if isinstance(event, Charger.Registered):
        return Origin(event.tenant, str(event.originator_id))
    if isinstance(event, Location.Created):
        return Origin(event.tenant, None)
    return None


Describe = Callable[[Any], tuple[str, dict[str, Any]] | None]
_DESCRIBE: dict[type, Describe] = {}


def describes(*event_classes: type) -> Callable[[Describe], Describe]:
    def mark(function: Describe) -> Describe:
        for event_class in event_classes:
            _DESCRIBE[event_class] = function
        return function

    return mark


def _id(value: UUID | None) -> str | None:
    return None if value is None else str(value)


@describes(ChargePoint.FrameRecorded)
def _frame(e: Any) -> tuple[str, dict[str, Any]]:
    return "frame", {
        "direction": e.direction,
        "message_type": e.message_type,
        "message_id": e.message_id,
        "action": e.action,
        "message": masked_frame(e.raw),
        "command_id": _id(e.command_id),
        "timestamp": iso(e.timestamp),
    }


@describes(ChargePoint.Attached, ChargePoint.Detached)
def _attachment(e: Any) -> tuple[str, dict[str, Any]]:
    attached = isinstance(e, ChargePoint.Attached)
    patch: dict[str, Any] = {"attached": attached, "bridge_id": e.bridge_id if attached else None}
    if not attached:
        patch.update(connected=False, boot_status=None)
    return "charger", patch


@describes(ChargePoint.Connected)
def _connected(e: Any) -> tuple[str, dict[str, Any]]:
    return "charger", {"connected": True, "last_seen_at": iso(e.timestamp)}


@describes(ChargePoint.Disconnected)
def _disconnected(e: Any) -> tuple[str, dict[str, Any]]:
    return "charger", {"connected": False, "boot_status": None, "reason": e.reason}


@describes(ChargePoint.BootAnswered)
def _boot(e: Any) -> tuple[str, dict[str, Any]]:
    return "charger", {"boot_status": e.status}


@describes(ChargePoint.StatusChanged)
def _status(e: Any) -> tuple[str, dict[str, Any]] | None:
    if e.connector_id == 0:
        return "charger", {"status": e.status, "error_code": e.error_code}
    return "connector", {"connector_id": e.connector_id, "status": e.status, "error_code": e.error_code}


@describes(ChargePoint.CablePlugged, ChargePoint.CableUnplugged)
def _cable(e: Any) -> tuple[str, dict[str, Any]]:
    plugged = isinstance(e, ChargePoint.CablePlugged)
    patch: dict[str, Any] = {"connector_id": e.connector_id, "plugged": plugged}
    if not plugged:
        patch["soc"] = None
    return "connector", patch


@describes(ChargePoint.TransactionStarted)
def _started(e: Any) -> tuple[str, dict[str, Any]]:
    return "connector", {
        "connector_id": e.connector_id,
        "transaction_id": e.transaction_id,
        "energy_wh": e.meter_start_wh,
        "session": "started",
    }


@describes(ChargePoint.TransactionStopped)
def _stopped(e: Any) -> tuple[str, dict[str, Any]]:
    return "connector", {
        "connector_id": e.connector_id,
        "transaction_id": None,
        "stopped_transaction_id": e.transaction_id,
        "energy_wh": e.meter_stop_wh,
        "power_w": 0.0,
        "session": "stopped",
    }


@describes(ChargePoint.MeterSampled)
def _meter(e: Any) -> tuple[str, dict[str, Any]]:
    return "meter", {
        "connector_id": e.connector_id,
        "transaction_id": e.transaction_id,
        "sampled_at": e.sampled_at,
        "energy_wh": e.energy_wh,
        "power_w": e.power_w,
        "soc": e.soc,
        "voltage_v": e.voltage_v,
        "current_a": e.current_a,
    }


@describes(ChargePoint.FaultRaised, ChargePoint.FaultCleared)
def _fault(e: Any) -> tuple[str, dict[str, Any]]:
    fault = e.fault_type if isinstance(e, ChargePoint.FaultRaised) else None
    if e.connector_id == 0:
        return "charger", {"charger_fault": fault}
    return "connector", {"connector_id": e.connector_id, "fault": fault}


@describes(Charger.CommandQueued)
def _queued(e: Any) -> tuple[str, dict[str, Any]]:
    return "command", {
        "command_id": str(e.command_id),
        "status": "queued",
        "event_type": str(e.event_type),
        "origin": e.origin,
        "at": iso(e.timestamp),
    }


@describes(Charger.RuntimeStartRequested, Charger.RuntimeStopRequested, Charger.RuntimeRestartRequested)
def _runtime(e: Any) -> tuple[str, dict[str, Any]]:
    event_type = {
        Charger.RuntimeStartRequested: "start_charger",
        Charger.RuntimeStopRequested: "stop_charger",
        Charger.RuntimeRestartRequested: "restart_charger",
    }[type(e)]
    return "command", {
        "command_id": str(e.command_id),
        "status": "queued",
        "event_type": event_type,
        "origin": e.origin,
        "at": iso(e.timestamp),
    }


@describes(ChargePoint.CommandDispatched)
def _dispatched(e: Any) -> tuple[str, dict[str, Any]]:
    return "command", {"command_id": str(e.command_id), "status": "dispatched", "at": iso(e.timestamp)}


@describes(ChargePoint.CommandCompleted)
def _completed(e: Any) -> tuple[str, dict[str, Any]]:
    return "command", {
        "command_id": str(e.command_id),
        "status": "completed",
        "at": iso(e.timestamp),
        "result": e.outcome.public(),
    }


@describes(ChargePoint.CommandFailed)
def _failed(e: Any) -> tuple[str, dict[str, Any]]:
    return "command", {
        "command_id": str(e.command_id),
        "status": "failed",
        "at": iso(e.timestamp),
        "error": {"code": e.code, "message": e.message},
    }


@describes(Charger.Registered, Charger.Updated, Charger.Moved, Charger.Deleted)
def _charger_changed(e: Any) -> tuple[str, dict[str, Any]]:
    return "fleet", {"change": f"charger_{type(e).__name__.lower()}"}


@describes(
    Location.Created,
    Location.Updated,
    Location.ChargersAssigned,
    Location.ChargersUnassigned,
    Location.Deleted,
)
def _location_changed(e: Any) -> tuple[str, dict[str, Any]]:
    return "fleet", {"change": f"location_{type(e).__name__.lower()}", "location_id": str(e.originator_id)}


TOPICS: list[str] = [get_topic(cls) for cls in _DESCRIBE]


def message_of(event: Any, position: int, origins: Origins) -> Message | None:
    describe = _DESCRIBE.get(type(event))
    if describe is None:
        return None
    origins.learn(event)
    origin = origins.of(event.originator_id)
    described = describe(event)
    if origin is None or described is None:
        return None
    kind, data = described
    if origin.charger_id is not None:
        data["charger_id"] = origin.charger_id
    return Message(position, origin.tenant, origin.charger_id, kind, json.dumps(data, separators=(",", ":")))
