"""Reproduce a recording against a CSMS: the same chargers, the same intent, in the same rhythm.

The recorded chargers are registered again (same identities, or with a prefix) in a tenant of their own,
pointed at the given CSMS; a bridge runs them (only them); the recorded commands are queued again in
order, at their original relative times divided by `speed`, with origin `replay:<run id>`. When every
replayed command has an outcome, the new run is exported as a recording of its own, ready for `diff`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain import services
from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import clock_for
from domain.commands import PAYLOAD_TYPES, CommandType, RestartCharger, StartCharger, StopCharger
from domain.ledger import Ledger
from domain.protocol import OcppVersion
from infra.sql import Database
from ocpp_bridge.runtime.bridge import REPLAY_TENANT_PREFIX, Bridge
from ocpp_bridge.runtime.station import StationSettings
from projections.readmodels import ReadModels
from replays.export import Slice, export

log = logging.getLogger(__name__)

_RUNTIME = {
    Charger.RuntimeStartRequested.TOPIC: StartCharger,
    Charger.RuntimeStopRequested.TOPIC: StopCharger,
    Charger.RuntimeRestartRequested.TOPIC: RestartCharger,
}


@dataclass(frozen=True)
class RecordedCharger:
    charger_id: str
    identity: str
    brand_slug: str
    model_slug: str
    connector_type: str
    ocpp_version: str


@dataclass(frozen=True)
class RecordedCommand:
    at: datetime
    charger_id: str
    event_type: str
    payload: dict[str, Any]


@dataclass
class Script:
    chargers: dict[str, RecordedCharger] = field(default_factory=dict)
    commands: list[RecordedCommand] = field(default_factory=list)
    booted_at: datetime | None = None  # the first boot of a recorded charger
    ended_at: datetime | None = None  # the last recorded event
    clock_speed: float = 1.0  # how fast simulated time ran in the recorded run


def _data(value: Any) -> Any:
    """The plain value inside the ledger's type-tagged JSON."""
    return value["_data_"] if isinstance(value, dict) and "_type_" in value else value


def read_script(lines: Iterable[dict[str, Any]]) -> Script:
    script = Script()
    for line in lines:
        fields, topic = line["fields"], line["type"]
        at = datetime.fromisoformat(line["timestamp"])
        script.ended_at = at
        if topic == Charger.Registered.TOPIC:
            spec, settings = _data(fields["spec"]), _data(fields["settings"])
            script.chargers[line["aggregate_id"]] = RecordedCharger(
                line["aggregate_id"],
                fields["identity"],
                spec["brand_slug"],
                spec["model_slug"],
                settings["connector_type"],
                settings["ocpp_version"],
            )
        elif topic == Charger.CommandQueued.TOPIC:
            if str(fields.get("origin", "")).startswith("auto_stop:"):
                continue  # the policy will do it again, from the replayed session's own limits
            script.commands.append(
                RecordedCommand(at, line["aggregate_id"], fields["event_type"], _data(fields["payload"]))
            )
        elif topic == ChargePoint.BootAnswered.TOPIC and script.booted_at is None:
            script.booted_at = at
        elif topic == ChargePoint.Attached.TOPIC:
            script.clock_speed = float(fields.get("clock_speed", 1.0))
        elif topic in _RUNTIME:
            script.commands.append(
                RecordedCommand(at, line["aggregate_id"], _RUNTIME[topic].event_type.value, {})
            )
    return script


@dataclass
class RunResult:
    run_id: str
    tenant: str
    commands: int
    outcomes: dict[str, int]
    recording: Path


async def reproduce(
    ledger: Ledger,
    script: Script,
    csms_url: str,
    output: Path,
    *,
    speed: float = 1.0,
    prefix: str = "",
    tenant: str | None = None,
    timeout: float = 60.0,
) -> RunResult:
    run_id = uuid.uuid4().hex[:12]
    tenant = tenant or f"{REPLAY_TENANT_PREFIX}{run_id}"
    if not tenant.startswith(REPLAY_TENANT_PREFIX):
        raise ValueError(
            f"a replay's tenant must start with {REPLAY_TENANT_PREFIX!r} (other bridges leave those alone)"
        )
    db = Database(ledger)
    new_ids: dict[str, UUID] = {}

    def register(uow: Any) -> None:
        for recorded in script.chargers.values():
            registration = services.ChargerRegistration(
                identity=prefix + recorded.identity,
                brand_slug=recorded.brand_slug,
                model_slug=recorded.model_slug,
                ws_url=csms_url,
                ocpp_version=OcppVersion(recorded.ocpp_version),
                connector_type=recorded.connector_type,
            )
            new_ids[recorded.charger_id] = services.register_charger(
                uow, tenant, registration, None, f"replay:{run_id}"
            ).id

    with db.reader() as cur:
        start_position = db.max_notification_id(cur)
    await asyncio.to_thread(ledger.transact, register)
    # Simulated time runs as in the recording (meter intervals, limits), `speed` times faster still.
    clock = clock_for(script.clock_speed * speed)
    # The read side runs too: the auto-stop policy must stop the replayed sessions by their own limits.
    read = ReadModels(ledger, clock=clock)
    read.create_tables()
    read.start()
    bridge = Bridge(
        ledger,
        clock=clock,
        station_settings=StationSettings(backoff_initial=1.0, backoff_max=10.0),
        tenants={tenant},
    )
    runner = asyncio.create_task(bridge.run())
    queued: list[UUID] = []
    try:
        await asyncio.wait_for(bridge.ready.wait(), 30)
        # Commands keep their timing relative to the recorded chargers' first boot, counted from the
        # moment every replayed charger has booted and reported.
        await _all_reported(bridge, set(new_ids.values()), timeout)
        start_real = time.monotonic()
        first = script.booted_at or (script.commands[0].at if script.commands else None)
        for command in script.commands:
            if command.charger_id not in new_ids:
                continue
            assert first is not None  # there is a command, so a first moment
            due = start_real + (command.at - first).total_seconds() / speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            payload = PAYLOAD_TYPES[CommandType(command.event_type)].model_validate(command.payload)
            fan_out = await asyncio.to_thread(
                ledger.transact,
                lambda uow, c=command, p=payload: services.queue_commands(
                    uow, tenant, [new_ids[c.charger_id]], p, "charger", f"replay:{run_id}", f"replay:{run_id}"
                ),
            )
            queued += [q.command_id for q in fan_out.queued]
        if first is not None and script.ended_at is not None:
            # Let the recorded tail play out (sessions running to their limits, the policy stopping them).
            await asyncio.sleep(
                max(0.0, start_real + (script.ended_at - first).total_seconds() / speed - time.monotonic())
            )
        outcomes = await _outcomes(db, set(new_ids.values()), start_position, timeout)
    finally:
        bridge.stop()
        await runner
        await asyncio.to_thread(read.stop)
    selection = Slice(charger_ids=list(new_ids.values()))
    await asyncio.to_thread(export, db, selection, output)
    return RunResult(run_id, tenant, len(queued), outcomes, output)


async def _all_reported(bridge: Bridge, charger_ids: set[UUID], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stations = [bridge.stations.get(c) for c in charger_ids]
        if all(s is not None and s.reported.is_set() for s in stations):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the replayed chargers did not all boot against the CSMS")


async def _outcomes(db: Database, chargers: set[UUID], after: int, timeout: float) -> dict[str, int]:
    """Wait until every command queued for the replayed chargers (replayed, or queued by the auto-stop
    policy meanwhile) has completed or failed."""
    pending: set[UUID] = set()
    done: set[UUID] = set()
    counts: dict[str, int] = {"completed": 0, "failed": 0, "no outcome": 0}
    queued_topics = {Charger.CommandQueued.TOPIC, *_RUNTIME}
    deadline = time.monotonic() + timeout
    topics = {ChargePoint.CommandCompleted.TOPIC: "completed", ChargePoint.CommandFailed.TOPIC: "failed"}
    first = True
    while (pending or first) and time.monotonic() < deadline:
        first = False
        for n in await asyncio.to_thread(list, db.stream_notifications(after)):
            after = n.id
            if n.topic in queued_topics and n.originator_id in chargers:
                command_id = UUID(_data(json.loads(n.state)["command_id"]))
                if command_id not in done:
                    pending.add(command_id)
            elif n.topic in topics:
                command_id = UUID(_data(json.loads(n.state)["command_id"]))
                done.add(command_id)
                if command_id in pending:
                    pending.discard(command_id)
                    counts[topics[n.topic]] += 1
        if pending:
            await asyncio.sleep(0.2)
    counts["no outcome"] = len(pending)
    return counts
