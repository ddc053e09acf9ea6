from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from domain import services
from domain.ledger import UnitOfWork
from domain.location import LocationDetails
from gateway.auth import Ctx, CurrentPrincipal, Tenant
from gateway.deps import Fingerprint, LocationRow, Paging, ReadCursor, fresh
from gateway.idempotency import IdempotencyKey, decide_once
from gateway.models.common import ERRORS, HttpErrorResponse
from gateway.models.locations import (
    LocationCreate,
    LocationDeleted,
    LocationListResponse,
    LocationResponse,
    LocationUpdate,
)
from gateway.sdk_names import sdk_operation
from projections.locations import list_locations

router = APIRouter(prefix="/ocpp/locations", tags=["locations"], responses=ERRORS)


@router.get("", dependencies=[fresh("locations")], **sdk_operation("locations", "list"))
def get_locations(tenant: Tenant, cur: ReadCursor, paging: Paging) -> LocationListResponse:
    rows, total = list_locations(cur, tenant, paging.limit, paging.offset)
    return LocationListResponse(
        data=[LocationResponse.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        limit=paging.limit,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LocationResponse,
    **sdk_operation("locations", "create"),
)
def create_location(
    body: LocationCreate,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    details = LocationDetails.model_validate(body.model_dump())

    def decide(uow: UnitOfWork) -> tuple[int, LocationResponse]:
        location = services.create_location(uow, tenant, details, principal.name)
        return 201, LocationResponse.of(location)

    return decide_once(ctx, tenant, idempotency_key, fingerprint, decide)


@router.get("/{location_id}", dependencies=[fresh("locations")], **sdk_operation("locations", "get"))
def get_location(location: LocationRow) -> LocationResponse:
    return LocationResponse.model_validate(location)


@router.put("/{location_id}", **sdk_operation("locations", "update"))
def update_location(
    location_id: UUID, body: LocationUpdate, ctx: Ctx, tenant: Tenant, principal: CurrentPrincipal
) -> LocationResponse:
    def decide(uow: UnitOfWork) -> LocationResponse:
        location = services.update_location(uow, tenant, location_id, body.changes(), principal.name)
        return LocationResponse.of(location)

    return ctx.ledger.transact(decide)


@router.delete(
    "/{location_id}",
    responses={409: {"model": HttpErrorResponse, "description": "location has chargers"}},
    **sdk_operation("locations", "delete"),
)
def delete_location(
    location_id: UUID,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    cascade: Annotated[bool, Query(description="also delete the location's chargers")] = False,
) -> LocationDeleted:
    def decide(uow: UnitOfWork) -> LocationDeleted:
        deleted = services.delete_location(uow, tenant, location_id, principal.name, cascade=cascade)
        return LocationDeleted(id=location_id, deleted_chargers=deleted)

    return ctx.ledger.transact(decide)
