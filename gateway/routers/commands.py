"""The 18 charger commands, and the commands read model.

Fleet commands answer 202 once every targeted charger's CommandQueued is committed (one transaction).
Single-charger commands are queued the same way, then wait for the bridge to report the outcome.
Each route is one short function named as OCPPLAB's SDK names the call (its operationId); what they share
(the write parameters, queueing, waiting) is below them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from domain import services
from domain.commands import (
    CacheReset,
    ClearLocalAuthList,
    CommandPayload,
    CommandType,
    EvRequestsEnergy,
    EvStopsEnergy,
    PlugConnector,
    Rejection,
    TargetKind,
    UnlockConnector,
    UnplugConnector,
)
from domain.errors import ChargerNotFound, CommandNotApplicable, CommandNotFound, LocationNotFound
from domain.ledger import UnitOfWork
from domain.logs import log_context
from domain.protocol import OcppVersion
from gateway.auth import Ctx, CurrentPrincipal, Tenant
from gateway.deps import Fingerprint, Paging, ReadCursor, fresh
from gateway.idempotency import IdempotencyKey, decide_once
from gateway.metrics import commands_accepted
from gateway.models.commands import (
    CacheResetResponse,
    ChargerCommandTarget,
    ChargerLogEntry,
    CommandDetail,
    CommandTarget,
    CommandTimeoutBody,
    ConfigurationChangeResponse,
    FaultOperationResponse,
    LocalListMutationResponse,
    LocationCommandFailure,
    LocationCommandResponse,
    LocationQueuedCommandResult,
    QueuedCommandResponse,
)
from gateway.models.common import ERRORS, NUL_FREE, HttpErrorResponse, Page, Strict
from gateway.models.events import (
    AuthorizeIdTagCommandEvent,
    ClearFaultEvent,
    ConfigurationUpdateEvent,
    ConnectorCommandEvent,
    EmptyEvent,
    InjectFaultEvent,
    LocalAuthListEvent,
    PowerUpdateCommandEvent,
    ProxyMessageEvent,
    StartSessionCommandEvent,
    StartTransactionCommandEvent,
    StopSessionCommandEvent,
    StopTransactionCommandEvent,
)
from gateway.ocpp_schema import check_proxy_message
from gateway.outcomes import wait_for_outcome
from gateway.sdk_names import sdk_operation
from infra.sql import Cursor
from projections.charger_status import charger_runtime
from projections.chargers import charger_refs, get_charger
from projections.commands import STATUSES, get_command, list_commands
from projections.locations import get_location
from projections.message_log import command_frames

# A command's detail shows its row and the frames it caused: both read models must include the writes
# made before the request.
COMMAND_READ_MODELS = ("commands", "message_log")

router = APIRouter(prefix="/ocpp/commands", tags=["commands"], responses=ERRORS)


# --- request bodies ------------------------------------------------------------------------------


class UnifiedConnectorRequest(Strict):
    target: CommandTarget
    event: ConnectorCommandEvent


class StartTransactionRequest(Strict):
    target: CommandTarget
    event: StartTransactionCommandEvent


class StopTransactionRequest(Strict):
    target: CommandTarget
    event: StopTransactionCommandEvent


class StartSessionRequest(Strict):
    target: CommandTarget
    event: StartSessionCommandEvent


class StopSessionRequest(Strict):
    target: CommandTarget
    event: StopSessionCommandEvent


class AuthorizeIdTagRequest(Strict):
    target: CommandTarget
    event: AuthorizeIdTagCommandEvent


class PowerUpdateRequest(Strict):
    target: CommandTarget
    event: PowerUpdateCommandEvent


class ProxyMessageRequest(Strict):
    target: ChargerCommandTarget
    event: ProxyMessageEvent


class ConfigurationUpdateRequest(Strict):
    target: ChargerCommandTarget
    event: ConfigurationUpdateEvent


class EmptyCommandRequest(Strict):
    target: ChargerCommandTarget
    event: EmptyEvent


class LocalAuthListRequest(Strict):
    target: ChargerCommandTarget
    event: LocalAuthListEvent


class InjectFaultRequest(Strict):
    target: ChargerCommandTarget
    event: InjectFaultEvent


class ClearFaultRequest(Strict):
    target: ChargerCommandTarget
    event: ClearFaultEvent


# --- what every command route takes ----------------------------------------------------------------


@dataclass(frozen=True)
class WriteParams:
    ctx: Ctx
    tenant: str
    requested_by: str
    fingerprint: str
    idempotency_key: str | None


def write_params(
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> WriteParams:
    return WriteParams(ctx, tenant, principal.name, fingerprint, idempotency_key)


Write = Annotated[WriteParams, Depends(write_params)]


def fleet(method: str) -> dict[str, Any]:
    """Decorator arguments of a fleet command route, the SDK's `client.commands.{method}`."""
    return {
        **sdk_operation("commands", method),
        "status_code": status.HTTP_202_ACCEPTED,
        "response_model": LocationCommandResponse,
        "dependencies": [fresh("chargers", "locations")],
        "responses": {404: {"model": HttpErrorResponse, "description": "unknown charger or location"}},
    }


def single(method: str, answer: type[BaseModel]) -> dict[str, Any]:
    """Decorator arguments of a single-charger command route answering `answer`."""
    return {
        **sdk_operation("commands", method),
        "status_code": status.HTTP_200_OK,
        "response_model": answer,
        "dependencies": [fresh("chargers")],
        "responses": {
            404: {"model": HttpErrorResponse, "description": "unknown charger"},
            422: {"description": "invalid body, or the command cannot apply to the charger in its state"},
            504: {"model": CommandTimeoutBody, "description": "no outcome in time"},
        },
    }


# --- fleet commands: a charger, a location, or some chargers of a location -----------------------------


@router.post("/plug-connector", **fleet("plug_connector"))
def plug_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Plug the EV cable into a connector."""
    return queue_fleet(write, body.target, PlugConnector(**body.event.connector_fields()))


@router.post("/unplug-connector", **fleet("unplug_connector"))
def unplug_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Unplug the EV cable (ends a running transaction as EV-side disconnect)."""
    return queue_fleet(write, body.target, UnplugConnector(**body.event.connector_fields()))


@router.post("/unlock-connector", **fleet("unlock_connector"))
def unlock_connector(body: UnifiedConnectorRequest, write: Write) -> Response:
    """Unlock a connector's cable."""
    return queue_fleet(write, body.target, UnlockConnector(**body.event.connector_fields()))


@router.post("/start-transaction", **fleet("start_transaction"))
def start_transaction(body: StartTransactionRequest, write: Write) -> Response:
    """Start a transaction on a connector with an id tag."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/stop-transaction", **fleet("stop_transaction"))
def stop_transaction(body: StopTransactionRequest, write: Write) -> Response:
    """Stop a transaction: the one named by `transaction_id`, else the one on `connector_id` (default 1)."""
    if body.event.transaction_id is None:
        return queue_fleet(write, body.target, body.event.payload())
    return queue_fleet(write, body.target, body.event.payload(), holding=body.event.transaction_id)


@router.post("/start-session", **fleet("start_session"))
def start_session(body: StartSessionRequest, write: Write) -> Response:
    """Plug, authorize, start and charge; optional auto-stop by duration or energy."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/stop-session", **fleet("stop_session"))
def stop_session(body: StopSessionRequest, write: Write) -> Response:
    """Stop the transaction and unplug."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/authorize-id-tag", **fleet("authorize_id_tag"))
def authorize_id_tag(body: AuthorizeIdTagRequest, write: Write) -> Response:
    """Present an id tag to the charger (Authorize)."""
    return queue_fleet(write, body.target, body.event.payload())


@router.post("/ev-requests-energy", **fleet("ev_requests_energy"))
def ev_requests_energy(body: UnifiedConnectorRequest, write: Write) -> Response:
    """The EV resumes drawing power (SuspendedEV → Charging)."""
    return queue_fleet(write, body.target, EvRequestsEnergy(**body.event.connector_fields()))


@router.post("/ev-stops-energy", **fleet("ev_stops_energy"))
def ev_stops_energy(body: UnifiedConnectorRequest, write: Write) -> Response:
    """The EV stops drawing power (Charging → SuspendedEV)."""
    return queue_fleet(write, body.target, EvStopsEnergy(**body.event.connector_fields()))


@router.post("/power-update", **fleet("power_update"))
def power_update(body: PowerUpdateRequest, write: Write) -> Response:
    """Change the power the charger offers on a connector."""
    return queue_fleet(write, body.target, body.event.payload())


# --- single-charger commands: wait for the outcome ---------------------------------------------------


@router.post("/proxy-message", **single("proxy_message", QueuedCommandResponse))
def proxy_message(body: ProxyMessageRequest, write: Write) -> Response:
    """Send a raw OCPP call from the charger; `event_type` and `payload` of the answer are the call's,
    `response` the CSMS reply."""
    event = body.event

    def as_proxied(command: QueuedCommandResponse) -> QueuedCommandResponse:
        # As OCPPLAB answers: the proxied action in snake_case and its payload (our command's own
        # event_type and payload are in GET /ocpp/commands/{id}).
        return command.model_copy(update={"event_type": snake_action(event.action), "payload": event.payload})

    return run_single(
        write, body.target, event.to_payload(), QueuedCommandResponse, check_proxy_message, as_proxied
    )


@router.post("/configuration", **single("set_configuration", ConfigurationChangeResponse))
def set_configuration(body: ConfigurationUpdateRequest, write: Write) -> Response:
    """Change configuration keys (1.6) / variables (2.0.1)."""
    return run_single(write, body.target, body.event.payload(), ConfigurationChangeResponse)


@router.post("/cache/reset", **single("reset_auth_cache", CacheResetResponse))
def reset_auth_cache(body: EmptyCommandRequest, write: Write) -> Response:
    """Clear the charger's authorization cache."""
    return run_single(write, body.target, CacheReset(), CacheResetResponse)


@router.post("/local-auth-list", **single("send_local_list", LocalListMutationResponse))
def send_local_list(body: LocalAuthListRequest, write: Write) -> Response:
    """Replace (Full, the default) or update (Differential) the local authorization list."""
    return run_single(write, body.target, body.event.payload(), LocalListMutationResponse)


@router.post("/clear-local-auth-list", **single("clear_local_list", LocalListMutationResponse))
def clear_local_list(body: EmptyCommandRequest, write: Write) -> Response:
    """Empty the local authorization list (its version resets to 0)."""
    return run_single(write, body.target, ClearLocalAuthList(), LocalListMutationResponse)


@router.post("/inject-fault", **single("inject_fault", FaultOperationResponse))
def inject_fault(body: InjectFaultRequest, write: Write) -> Response:
    """Raise a fault on a connector (0 = whole charger)."""
    return run_single(write, body.target, body.event.payload(), FaultOperationResponse)


@router.post("/clear-fault", **single("clear_fault", FaultOperationResponse))
def clear_fault(body: ClearFaultRequest, write: Write) -> Response:
    """Clear a fault; the connector returns to its previous status."""
    return run_single(write, body.target, body.event.payload(), FaultOperationResponse)


# --- queueing and waiting ------------------------------------------------------------------------------


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
    rejection = Rejection(code="no_transaction", message=f"no transaction {transaction_id!r} on this charger")
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


# --- the commands read model (ours) -----------------------------------------------------------------


@router.get(
    "/{command_id}",
    dependencies=[fresh(*COMMAND_READ_MODELS)],
    responses={404: {"description": "unknown command"}},
)
def get_command_detail(command_id: UUID, tenant: Tenant, cur: ReadCursor) -> CommandDetail:
    row = get_command(cur, tenant, str(command_id))
    if row is None:
        raise CommandNotFound(f"command {command_id} not found")
    return command_detail(row, cur)


@router.get("", dependencies=[fresh(*COMMAND_READ_MODELS)])
def get_commands(
    tenant: Tenant,
    cur: ReadCursor,
    paging: Paging,
    charger_id: Annotated[
        str | None, Query(description="charger id or OCPP identity", max_length=64, pattern=NUL_FREE)
    ] = None,
    location_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    event_type: Annotated[CommandType | None, Query()] = None,
) -> Page[CommandDetail]:
    rows, total = list_commands(
        cur,
        tenant,
        paging.limit,
        paging.offset,
        charger_id=None if charger_id is None else _charger_filter(cur, tenant, charger_id),
        location_id=None if location_id is None else str(location_id),
        status=status,
        event_type=None if event_type is None else event_type.value,
    )
    return Page(
        data=[command_detail(r, cur) for r in rows], total=total, page=paging.page, limit=paging.limit
    )


def _charger_filter(cur: Cursor, tenant: str, charger_id: str) -> str:
    """The charger id a filter names: a charger's id or identity, or the id of a deleted charger."""
    row = get_charger(cur, tenant, charger_id)
    if row is not None:
        return str(row["id"])
    try:
        return str(UUID(charger_id))
    except ValueError:
        raise ChargerNotFound(f"charger {charger_id} not found") from None


def command_detail(row: dict[str, Any], cur: Cursor) -> CommandDetail:
    return CommandDetail(
        id=row["id"],
        event_type=row["event_type"],
        ocpp_version=OcppVersion(row["ocpp_version"]).wire,
        payload=row["payload"],
        status=row["status"],
        charger_id=row["charger_id"],
        identity=row["charger_identity"],
        location_id=row["location_id"],
        origin=row["origin"],
        requested_by=row["requested_by"],
        batch_id=row["batch_id"],
        idempotency_key=row["idempotency_key"],
        queued_at=row["queued_at"],
        dispatched_at=row["dispatched_at"],
        completed_at=row["completed_at"],
        result=row["result"],
        error=row["error"],
        frames=[ChargerLogEntry.model_validate(f) for f in command_frames(cur, row["id"])],
    )
