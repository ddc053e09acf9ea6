"""The 18 charger commands, and the commands read model.

Fleet commands answer 202 once every targeted charger's CommandQueued is committed (one transaction).
Single-charger commands are queued the same way, then wait for the bridge to report the outcome.
"""

# No `from __future__ import annotations` here: the routes are made in a loop, and FastAPI must see
# each route's real body type, not a string it would resolve in module scope.

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from domain import services
from domain.commands import (
    Authorize,
    CacheReset,
    ClearFault,
    ClearLocalAuthList,
    CommandPayload,
    CommandType,
    Configuration,
    EvRequestsEnergy,
    EvStopsEnergy,
    InjectFault,
    LocalAuthList,
    PlugConnector,
    PowerUpdate,
    ProxyMessage,
    StartSession,
    StartTransaction,
    StopSession,
    StopTransaction,
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
    CacheResetResult,
    ChargerCommand,
    ClearLocalAuthListResult,
    CommandDetail,
    CommandObject,
    CommandTimeoutBody,
    ConfigurationResult,
    ErrorInfo,
    FaultResult,
    FleetCommand,
    FleetCommandResponse,
    FleetFailure,
    FleetResult,
    FleetTarget,
    FrameRecord,
    LocalAuthListResult,
    ProxyResult,
)
from gateway.models.common import ERRORS, Page
from gateway.ocpp_schema import check_proxy_message
from gateway.outcomes import wait_for_outcome
from infra.sql import Cursor
from projections.chargers import charger_refs, get_charger
from projections.commands import STATUSES, get_command, list_commands
from projections.locations import get_location
from projections.message_log import command_frames

# A command's detail shows its row and the frames it caused: both read models must include the writes
# made before the request.
COMMAND_READ_MODELS = ("commands", "message_log")

router = APIRouter(prefix="/ocpp/commands", tags=["commands"], responses=ERRORS)

FLEET: list[tuple[str, type[CommandPayload], str]] = [
    ("plug-connector", PlugConnector, "Plug the EV cable into a connector."),
    (
        "unplug-connector",
        UnplugConnector,
        "Unplug the EV cable (ends a running transaction as EV-side disconnect).",
    ),
    ("unlock-connector", UnlockConnector, "Unlock a connector's cable."),
    ("start-transaction", StartTransaction, "Start a transaction on a connector with an id tag."),
    ("stop-transaction", StopTransaction, "Stop the transaction on a connector."),
    (
        "start-session",
        StartSession,
        "Plug, authorize, start and charge; optional auto-stop by duration or energy.",
    ),
    ("stop-session", StopSession, "Stop the transaction and unplug."),
    ("authorize", Authorize, "Present an id tag to the charger."),
    ("ev-requests-energy", EvRequestsEnergy, "The EV resumes drawing power (SuspendedEV → Charging)."),
    ("ev-stops-energy", EvStopsEnergy, "The EV stops drawing power (Charging → SuspendedEV)."),
    ("power-update", PowerUpdate, "Change the power the charger offers on a connector."),
]


def _target_rows(cur: Cursor, tenant: str, target: FleetTarget) -> tuple[list[UUID], str, list[str]]:
    """Charger ids targeted, the target kind, and the named charger_ids that are not in the location."""
    if target.charger_id is not None:
        row = get_charger(cur, tenant, target.charger_id)
        if row is None:
            raise ChargerNotFound(f"charger {target.charger_id} not found")
        return [UUID(row["id"])], "charger", []
    location_id = str(target.location_id)
    if get_location(cur, tenant, location_id) is None:
        raise LocationNotFound(f"location {location_id} not found")
    given = target.charger_ids or []
    refs = charger_refs(cur, tenant, location_id, given)
    known = {r["id"] for r in refs} | {r["identity"] for r in refs}
    return (
        [UUID(r["id"]) for r in refs],
        "subset" if given else "location",
        [g for g in given if g not in known],
    )


def command_object(queued: services.QueuedCommand) -> CommandObject:
    return CommandObject(
        id=queued.command_id,
        event_type=queued.payload.event_type,
        ocpp_version=queued.ocpp_version.wire,
        payload=queued.payload.wire(),
    )


def fan_out_response(fan_out: services.FanOut, missing: list[str]) -> FleetCommandResponse:
    failed = [
        FleetFailure(
            charger_id=f.charger_id, identity=f.identity, error=ErrorInfo(**f.rejection.model_dump())
        )
        for f in fan_out.failed
    ] + [
        FleetFailure(
            charger_id=m,
            identity=None,
            error=ErrorInfo(code="charger_not_found", message=f"{m} is not a charger of this location"),
        )
        for m in missing
    ]
    results = [
        FleetResult(charger_id=q.charger_id, identity=q.identity, command=command_object(q))
        for q in fan_out.queued
    ]
    return FleetCommandResponse(
        targeted_count=len(results) + len(failed),
        queued_count=len(results),
        failed_count=len(failed),
        results=results,
        failed=failed,
    )


def _fleet_route(path: str, payload_type: type[CommandPayload], doc: str) -> None:
    def endpoint(
        body: FleetCommand[payload_type],  # type: ignore[valid-type]
        ctx: Ctx,
        tenant: Tenant,
        principal: CurrentPrincipal,
        fingerprint: Fingerprint,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        with ctx.read.db.reader() as cur:
            charger_ids, kind, missing = _target_rows(cur, tenant, body.target)
        decided: list[services.FanOut] = []  # the last attempt's fan-out is the one committed

        def decide(uow: UnitOfWork) -> tuple[int, FleetCommandResponse]:
            fan_out = services.queue_commands(
                uow,
                tenant,
                charger_ids,
                body.event,
                kind,
                principal.name,  # type: ignore[arg-type]
                idempotency_key=idempotency_key,
            )
            decided[:] = [fan_out]
            return 202, fan_out_response(fan_out, missing)

        response = decide_once(ctx, tenant, idempotency_key, fingerprint, decide)
        if decided and "Idempotent-Replayed" not in response.headers:
            commands_accepted(decided[0])
        return response

    endpoint.__name__ = path.replace("-", "_")
    router.add_api_route(
        f"/{path}",
        endpoint,
        methods=["POST"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=FleetCommandResponse,
        summary=doc,
        dependencies=[fresh("chargers", "locations")],
        responses={404: {"description": "unknown charger or location"}},
    )


for _path, _payload_type, _doc in FLEET:
    _fleet_route(_path, _payload_type, _doc)


class _Queued(BaseModel):
    """What a single-charger command stores for Idempotency-Key: the command it queued."""

    command_id: UUID
    command: CommandObject


Shape = Callable[[dict[str, Any]], BaseModel]


def _single_route(
    path: str,
    payload_type: type[CommandPayload],
    answer: type[BaseModel],
    doc: str,
    check: Callable[[CommandPayload, OcppVersion], CommandPayload] | None = None,
) -> None:
    def endpoint(
        body: ChargerCommand[payload_type],  # type: ignore[valid-type]
        ctx: Ctx,
        tenant: Tenant,
        principal: CurrentPrincipal,
        fingerprint: Fingerprint,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        # No cursor is held across the wait below: a waiting command must not pin a connection.
        with ctx.read.db.reader() as cur:
            row = get_charger(cur, tenant, body.target.charger_id)
        if row is None:
            raise ChargerNotFound(f"charger {body.target.charger_id} not found")
        payload = body.event
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
                principal.name,
                idempotency_key=idempotency_key,
            )
            if fan_out.failed:
                raise_rejected(fan_out.failed[0])
            decided[:] = [fan_out]
            queued = fan_out.queued[0]
            return 202, _Queued(command_id=queued.command_id, command=command_object(queued))

        stored = decide_once(ctx, tenant, idempotency_key, fingerprint, decide)
        if decided and "Idempotent-Replayed" not in stored.headers:
            commands_accepted(decided[0])
        if stored.status_code != 202:
            return stored
        queued = _Queued.model_validate_json(stored.body)
        with log_context(command_id=queued.command_id, charger_id=row["id"], identity=row["identity"]):
            outcome = wait_for_outcome(
                ctx, tenant, str(queued.command_id), ctx.settings.command_timeout_seconds
            )
        if outcome is None:
            return JSONResponse(
                status_code=504,
                content=CommandTimeoutBody(
                    detail="no outcome from the charger in time; poll GET /ocpp/commands/{id}",
                    code="command_timeout",
                    command_id=queued.command_id,
                ).model_dump(mode="json"),
            )
        return outcome.response(queued.command, answer)

    endpoint.__name__ = path.replace("-", "_").replace("/", "_")
    router.add_api_route(
        f"/{path}",
        endpoint,
        methods=["POST"],
        status_code=status.HTTP_200_OK,
        response_model=answer,
        summary=doc,
        dependencies=[fresh("chargers")],
        responses={
            404: {"description": "unknown charger"},
            409: {"description": "the command cannot apply to this charger"},
            504: {"model": CommandTimeoutBody, "description": "no outcome in time"},
        },
    )


def raise_rejected(failure: services.FailedTarget) -> None:
    if failure.rejection.code == "charger_not_found":
        raise ChargerNotFound(failure.rejection.message)
    raise CommandNotApplicable(failure.rejection.message, failure.rejection.code)


SINGLE: list[tuple[str, type[CommandPayload], type[BaseModel], str, Any]] = [
    (
        "proxy-message",
        ProxyMessage,
        ProxyResult,
        "Send a raw OCPP call from the charger; answers the CSMS reply.",
        check_proxy_message,
    ),
    (
        "configuration",
        Configuration,
        ConfigurationResult,
        "Change configuration keys (1.6) / variables (2.0.1).",
        None,
    ),
    ("cache/reset", CacheReset, CacheResetResult, "Clear the charger's authorization cache.", None),
    (
        "local-auth-list",
        LocalAuthList,
        LocalAuthListResult,
        "Replace or update the local authorization list.",
        None,
    ),
    (
        "clear-local-auth-list",
        ClearLocalAuthList,
        ClearLocalAuthListResult,
        "Empty the local authorization list.",
        None,
    ),
    ("inject-fault", InjectFault, FaultResult, "Raise a fault on a connector (0 = whole charger).", None),
    (
        "clear-fault",
        ClearFault,
        FaultResult,
        "Clear a fault; the connector returns to its previous status.",
        None,
    ),
]

for _path, _payload_type, _answer, _doc, _check in SINGLE:
    _single_route(_path, _payload_type, _answer, _doc, _check)


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
    charger_id: Annotated[UUID | None, Query()] = None,
    location_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    event_type: Annotated[CommandType | None, Query()] = None,
) -> Page[CommandDetail]:
    rows, total = list_commands(
        cur,
        tenant,
        paging.limit,
        paging.offset,
        charger_id=None if charger_id is None else str(charger_id),
        location_id=None if location_id is None else str(location_id),
        status=status,
        event_type=None if event_type is None else event_type.value,
    )
    return Page(
        data=[command_detail(r, cur) for r in rows], total=total, page=paging.page, limit=paging.limit
    )


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
        frames=[FrameRecord.model_validate(f) for f in command_frames(cur, row["id"])],
    )
