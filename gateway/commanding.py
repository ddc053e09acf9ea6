"""What the command routes share: the write parameters, queueing a command for its targets in one
transaction, and waiting for a single-charger command's outcome."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from domain import services
from domain.commands import CommandPayload, Rejection, TargetKind
from domain.errors import ChargerNotFound, CommandNotApplicable, LocationNotFound
from domain.failures import FailureCode
from domain.ledger import UnitOfWork
from domain.logs import log_context
from domain.protocol import OcppVersion
from gateway.auth import Ctx as ContextDependency
from gateway.auth import CurrentPrincipal, Tenant
from gateway.context import Context
from gateway.deps import Fingerprint
from gateway.idempotency import IdempotencyKey, decide_once
from gateway.metrics import commands_accepted
from gateway.models.commands import (
    ChargerCommandTarget,
    CommandTarget,
    CommandTimeoutBody,
    LocationCommandFailure,
    LocationCommandResponse,
    LocationQueuedCommandResult,
    QueuedCommandResponse,
)
from gateway.outcomes import wait_for_outcome
from infra.sql import Cursor
from projections.charger_status import charger_runtime
from projections.chargers import charger_refs, get_charger
from projections.locations import get_location


@dataclass(frozen=True)
class WriteParams:
    ctx: Context
    tenant: str
    requested_by: str
    fingerprint: str
    idempotency_key: str | None


def write_params(
    ctx: ContextDependency,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> WriteParams:
    return WriteParams(ctx, tenant, principal.name, fingerprint, idempotency_key)


Write = Annotated[WriteParams, Depends(write_params)]


@dataclass(frozen=True)
class Targets:
    chargers: list[dict[str, Any]]  # id and identity
    kind: TargetKind
    failed: list[LocationCommandFailure]

    @property
    def charger_ids(self) -> list[UUID]:
        return [UUID(c["id"]) for c in self.chargers]


def _targets(cur: Cursor, tenant: str, target: CommandTarget) -> Targets:
    """The chargers targeted, the target kind, and a failure for each named charger_id not in the location."""
    if target.charger_id is not None:
        row = get_charger(cur, tenant, target.charger_id)
        if row is None:
            raise ChargerNotFound(f"charger {target.charger_id} not found")
        return Targets([row], "charger", [])
    location_id = str(target.location_id)
    if get_location(cur, tenant, location_id) is None:
        raise LocationNotFound(f"location {location_id} not found")
    given = target.charger_ids or []
    refs = charger_refs(cur, tenant, location_id, given)
    known = {r["id"] for r in refs} | {r["identity"] for r in refs}
    missing = [
        _failure(
            g, None, Rejection(code="charger_not_found", message=f"{g} is not a charger of this location")
        )
        for g in given
        if g not in known
    ]
    return Targets(refs, "subset" if given else "location", missing)


def _holding(cur: Cursor, targets: Targets, transaction_id: str) -> tuple[Targets, int | None]:
    """Narrow the targets to the charger whose connector holds the transaction; the others fail."""
    runtime = charger_runtime(cur, [c["id"] for c in targets.chargers])
    for charger in targets.chargers:
        for connector in runtime.get(charger["id"], (None, []))[1]:
            if connector["transaction_id"] == transaction_id:
                return Targets([charger], targets.kind, targets.failed), connector["connector_id"]
    rejection = Rejection(
        code=FailureCode.NO_TRANSACTION, message=f"no transaction {transaction_id!r} on this charger"
    )
    failed = [_failure(c["id"], c["identity"], rejection) for c in targets.chargers]
    return Targets([], targets.kind, targets.failed + failed), None


def _failure(charger_id: str, identity: str | None, rejection: Rejection) -> LocationCommandFailure:
    return LocationCommandFailure(
        charger_id=charger_id, identity=identity, error=rejection.message, code=rejection.code
    )


def command_object(queued: services.QueuedCommand) -> QueuedCommandResponse:
    return QueuedCommandResponse(
        id=queued.command_id,
        event_type=queued.payload.event_type,
        ocpp_version=queued.ocpp_version.wire,
        payload=queued.payload.wire(),
    )


def fan_out_response(
    fan_out: services.FanOut, missing: list[LocationCommandFailure]
) -> LocationCommandResponse:
    failed = [_failure(f.charger_id, f.identity, f.rejection) for f in fan_out.failed] + missing
    results = [
        LocationQueuedCommandResult(charger_id=q.charger_id, identity=q.identity, command=command_object(q))
        for q in fan_out.queued
    ]
    return LocationCommandResponse(
        targeted_count=len(results) + len(failed),
        queued_count=len(results),
        failed_count=len(failed),
        results=results,
        failed=failed,
    )


def queue_fleet(
    write: WriteParams,
    target: CommandTarget,
    payload: CommandPayload,
    holding: str | None = None,
) -> Response:
    """Queue the command for every targeted charger (or, with `holding`, the one holding that transaction)
    in one transaction; 202 with what was queued and what failed, per charger."""
    ctx, tenant = write.ctx, write.tenant
    with ctx.read.db.reader() as cur:
        targets = _targets(cur, tenant, target)
        if holding is not None:
            targets, connector_id = _holding(cur, targets, holding)
            if connector_id is not None:
                payload = payload.model_copy(update={"connector_id": connector_id, "evse_id": None})
    decided: list[services.FanOut] = []  # the last attempt's fan-out is the one committed

    def decide(uow: UnitOfWork) -> tuple[int, LocationCommandResponse]:
        fan_out = services.queue_commands(
            uow,
            tenant,
            targets.charger_ids,
            payload,
            targets.kind,
            write.requested_by,
            idempotency_key=write.idempotency_key,
        )
        decided[:] = [fan_out]
        return 202, fan_out_response(fan_out, targets.failed)

    response = decide_once(ctx, tenant, write.idempotency_key, write.fingerprint, decide)
    if decided and "Idempotent-Replayed" not in response.headers:
        commands_accepted(decided[0])
    return response


class _Queued(BaseModel):
    """What a single-charger command stores for Idempotency-Key: the command it queued."""

    command_id: UUID
    command: QueuedCommandResponse


def run_single(
    write: WriteParams,
    target: ChargerCommandTarget,
    payload: CommandPayload,
    answer: type[BaseModel],
    check: Callable[[CommandPayload, OcppVersion], CommandPayload] | None = None,
    shown: Callable[[QueuedCommandResponse], QueuedCommandResponse] | None = None,
) -> Response:
    """Queue the command for one charger, then wait for its outcome: 200 with the answer, 422 if the
    charger's state did not allow it, 504 with the command id if no outcome came in time."""
    ctx, tenant = write.ctx, write.tenant
    # No cursor is held across the wait below: a waiting command must not pin a connection.
    with ctx.read.db.reader() as cur:
        row = get_charger(cur, tenant, target.charger_id)
    if row is None:
        raise ChargerNotFound(f"charger {target.charger_id} not found")
    if check is not None:
        payload = check(payload, OcppVersion(row["ocpp_version"]))
    decided: list[services.FanOut] = []  # the last attempt's fan-out is the one committed

    def decide(uow: UnitOfWork) -> tuple[int, _Queued]:
        fan_out = services.queue_commands(
            uow,
            tenant,
            [UUID(row["id"])],
            payload,
            "charger",
            write.requested_by,
            idempotency_key=write.idempotency_key,
        )
        if fan_out.failed:
            raise_rejected(fan_out.failed[0])
        decided[:] = [fan_out]
        queued = fan_out.queued[0]
        return 202, _Queued(command_id=queued.command_id, command=command_object(queued))

    stored = decide_once(ctx, tenant, write.idempotency_key, write.fingerprint, decide)
    if decided and "Idempotent-Replayed" not in stored.headers:
        commands_accepted(decided[0])
    if stored.status_code != 202:
        return stored
    queued = _Queued.model_validate_json(bytes(stored.body))
    with log_context(command_id=queued.command_id, charger_id=row["id"], identity=row["identity"]):
        outcome = wait_for_outcome(ctx, tenant, str(queued.command_id), ctx.settings.command_timeout_seconds)
    if outcome is None:
        return JSONResponse(
            status_code=504,
            content=CommandTimeoutBody(
                detail="no outcome from the charger in time; poll GET /ocpp/commands/{id}",
                code="command_timeout",
                command_id=queued.command_id,
            ).model_dump(mode="json"),
        )
    return outcome.response(queued.command if shown is None else shown(queued.command), answer)


def snake_action(action: str) -> str:
    """BootNotification or boot_notification → boot_notification."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", action).lower()


def raise_rejected(failure: services.FailedTarget) -> None:
    if failure.rejection.code == "charger_not_found":
        raise ChargerNotFound(failure.rejection.message)
    raise CommandNotApplicable(failure.rejection.message, failure.rejection.code)
