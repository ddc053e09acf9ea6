from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from domain import services
from domain.catalog import find_model
from domain.commands import CommandPayload, RestartCharger, StartCharger, StopCharger
from domain.errors import ChargerNotFound
from domain.ids import charge_point_id
from domain.ledger import UnitOfWork
from domain.location import LocationDetails
from gateway.auth import Ctx, CurrentPrincipal, Tenant
from gateway.deps import ChargerRow, Fingerprint, Paging, ReadCursor, fresh
from gateway.idempotency import IdempotencyKey, decide_once
from gateway.metrics import commands_accepted
from gateway.models.chargers import (
    ChargerAcceptedResponse,
    ChargerCreate,
    ChargerDeleted,
    ChargerListResponse,
    ChargerResponse,
    ChargerStatusResponse,
    ChargerUpdate,
)
from gateway.models.commands import ChargerLogEntry, ChargerLogListResponse, QueuedCommandResponse
from gateway.models.common import ERRORS, MAX_OFFSET, NUL_FREE, HttpErrorResponse, QueryTime
from gateway.sdk_names import sdk_operation
from gateway.views import CHARGER_READ_MODELS, charger_status_of, chargers_public
from infra.sql import iso
from projections.chargers import list_chargers
from projections.message_log import frames

router = APIRouter(prefix="/ocpp/chargers", tags=["chargers"], responses=ERRORS)


@router.get("", dependencies=[fresh(*CHARGER_READ_MODELS)], **sdk_operation("chargers", "list"))
def get_chargers(
    tenant: Tenant,
    cur: ReadCursor,
    paging: Paging,
    location_id: Annotated[UUID | None, Query()] = None,
) -> ChargerListResponse:
    rows, total = list_chargers(
        cur, tenant, paging.limit, paging.offset, None if location_id is None else str(location_id)
    )
    return ChargerListResponse(
        data=chargers_public(cur, rows), total=total, page=paging.page, limit=paging.limit
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ChargerAcceptedResponse,
    responses={409: {"model": HttpErrorResponse, "description": "identity already used in this tenant"}},
    **sdk_operation("chargers", "create"),
)
def create_charger(
    body: ChargerCreate,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    find_model(body.brand_slug, body.model_slug)  # 422 before anything else
    registration = services.ChargerRegistration(
        identity=body.identity,
        brand_slug=body.brand_slug,
        model_slug=body.model_slug,
        ws_url=body.ws_url,
        ocpp_version=body.ocpp_version,
        connector_type=body.connector_type,
        name=body.charge_point_name,
        tls_verify=body.tls_verify,
        basic_auth_password=body.basic_auth_password,
    )

    def decide(uow: UnitOfWork) -> tuple[int, ChargerAcceptedResponse]:
        charger = services.register_charger(
            uow, tenant, registration, body.location_id, principal.name, body.location_name
        )
        return 202, ChargerAcceptedResponse(
            charger_id=charger.id,
            identity=charger.identity,
            status="PROVISIONING",
            status_url=f"/ocpp/chargers/{charger.id}/status",
            workflow_run_id=charger.job_id,
        )

    return decide_once(ctx, tenant, idempotency_key, fingerprint, decide)


@router.get("/{charger_id}", dependencies=[fresh(*CHARGER_READ_MODELS)], **sdk_operation("chargers", "get"))
def get_charger(charger: ChargerRow, cur: ReadCursor) -> ChargerResponse:
    return chargers_public(cur, [charger])[0]


@router.get(
    "/{charger_id}/status",
    dependencies=[fresh(*CHARGER_READ_MODELS)],
    **sdk_operation("chargers", "get_status"),
)
def get_charger_status(charger: ChargerRow, cur: ReadCursor) -> ChargerStatusResponse:
    return charger_status_of(cur, charger)


@router.get(
    "/{charger_id}/logs",
    dependencies=[fresh("chargers", "message_log")],
    **sdk_operation("chargers", "get_logs"),
)
def get_charger_logs(
    charger: ChargerRow,
    cur: ReadCursor,
    start_date: Annotated[QueryTime | None, Query()] = None,
    end_date: Annotated[QueryTime | None, Query()] = None,
    event: Annotated[
        str | None,
        Query(description="OCPP action, e.g. StatusNotification", max_length=64, pattern=NUL_FREE),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ChargerLogListResponse:
    """Every OCPP frame the charger sent and received, from the ledger, oldest first."""
    rows, total = frames(
        cur,
        str(charge_point_id(UUID(charger["id"]))),
        limit,
        offset,
        action=event,
        start=iso(start_date),
        end=iso(end_date),
    )
    return ChargerLogListResponse(
        data=[ChargerLogEntry.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.put("/{charger_id}", dependencies=[fresh("chargers")], **sdk_operation("chargers", "update"))
def update_charger(
    charger: ChargerRow, body: ChargerUpdate, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> ChargerResponse:
    ctx.ledger.transact(lambda uow: apply_update(uow, tenant, UUID(charger["id"]), body, principal.name))

    ctx.read.barrier(["chargers"], ctx.settings.read_barrier_seconds)
    with ctx.read.db.reader() as cur:
        rows, _ = list_chargers(cur, tenant, 1, 0, charger_ids=[charger["id"]])
        return chargers_public(cur, rows)[0]


@router.delete("/{charger_id}", dependencies=[fresh("chargers")], **sdk_operation("chargers", "delete"))
def delete_charger(
    charger: ChargerRow, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> ChargerDeleted:
    ctx.ledger.transact(lambda uow: services.delete_charger(uow, tenant, UUID(charger["id"]), principal.name))
    return ChargerDeleted(id=charger["id"])


def apply_update(
    uow: UnitOfWork, tenant: str, charger_id: UUID, update: ChargerUpdate, requested_by: str
) -> None:
    """A charger's partial update; `location_name` without `location_id` moves it to a new location."""
    changes = update.changes()
    if update.location_name is not None and "location_id" not in changes:
        location = services.create_location(
            uow, tenant, LocationDetails(name=update.location_name), requested_by
        )
        changes["location_id"] = location.id
    services.update_charger(uow, tenant, charger_id, changes, requested_by)


def _runtime(
    payload: CommandPayload, charger: dict[str, str], ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> QueuedCommandResponse:
    decided: list[services.FanOut] = []  # the last attempt's fan-out is the one committed

    def decide(uow: UnitOfWork) -> QueuedCommandResponse:
        fan_out = services.queue_commands(
            uow, tenant, [UUID(charger["id"])], payload, "charger", principal.name
        )
        if fan_out.failed:  # deleted since the lookup
            raise ChargerNotFound(fan_out.failed[0].rejection.message)
        decided[:] = [fan_out]
        queued = fan_out.queued[0]
        return QueuedCommandResponse(
            id=queued.command_id,
            event_type=payload.event_type,
            ocpp_version=queued.ocpp_version.wire,
            payload=payload.wire(),
        )

    command = ctx.ledger.transact(decide)
    commands_accepted(decided[0])
    return command


@router.post(
    "/{charger_id}/start-charger",
    dependencies=[fresh("chargers")],
    **sdk_operation("chargers", "start_runtime"),
)
def start_charger(
    charger: ChargerRow, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> QueuedCommandResponse:
    """Open the charger's WebSocket to its CSMS and boot (if it is not already running)."""
    return _runtime(StartCharger(), charger, ctx, tenant, principal)


@router.post(
    "/{charger_id}/stop-charger",
    dependencies=[fresh("chargers")],
    **sdk_operation("chargers", "stop_runtime"),
)
def stop_charger(
    charger: ChargerRow, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> QueuedCommandResponse:
    """Close the charger's WebSocket and keep it closed; commands to it fail until it is started."""
    return _runtime(StopCharger(), charger, ctx, tenant, principal)


@router.post(
    "/{charger_id}/reset-charger",
    dependencies=[fresh("chargers")],
    **sdk_operation("chargers", "reset_runtime"),
)
def reset_charger(
    charger: ChargerRow, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> QueuedCommandResponse:
    """Close the connection, reconnect and boot again."""
    return _runtime(RestartCharger(), charger, ctx, tenant, principal)


@router.post("/{charger_id}/restart-charger", dependencies=[fresh("chargers")], deprecated=True)
def restart_charger(
    charger: ChargerRow, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> QueuedCommandResponse:
    """The path API.md named before OCPPLAB's SDK: an alias of reset-charger."""
    return _runtime(RestartCharger(), charger, ctx, tenant, principal)
