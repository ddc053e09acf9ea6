from __future__ import annotations

import re
import secrets
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import Response

from domain import services
from domain.catalog import find_model
from domain.charger import IDENTITY_PATTERN
from domain.errors import InvalidRequest, JobNotFound, UnknownCatalogModel
from domain.ledger import UnitOfWork
from gateway.auth import Ctx, CurrentPrincipal, Tenant
from gateway.deps import Fingerprint, LocationRow, Paging, ReadCursor, fresh
from gateway.idempotency import IdempotencyKey, decide_once
from gateway.models.chargers import (
    ChargerGroup,
    ChargerListResponse,
    DeleteLocationChargersResponse,
    LocationChargerBulkAcceptedResponse,
    LocationChargerBulkStatusResponse,
    LocationDeleteChargerFailure,
    LocationUpdateChargerFailure,
    ProvisioningErrorDetail,
    ProvisioningProgress,
    UpdateLocationChargersRequest,
    UpdateLocationChargersResponse,
)
from gateway.models.common import ERRORS, SqlText
from gateway.routers.chargers import apply_update
from gateway.sdk_names import sdk_operation
from gateway.views import chargers_public
from projections.charger_status import charger_runtime
from projections.chargers import charger_refs, list_chargers
from projections.jobs import get_job

router = APIRouter(
    prefix="/ocpp/locations/{location_id}/chargers", tags=["location_chargers"], responses=ERRORS
)

MAX_CHARGERS_PER_REQUEST = 10_000
_IDENTITY = re.compile(IDENTITY_PATTERN)


def expand(groups: list[ChargerGroup]) -> list[services.ChargerRegistration]:
    """Each group's identities are prefix + suffix: the given suffixes (truncated to chargers_number),
    then random hex suffixes up to chargers_number, never repeating an identity of this request."""
    total = sum(g.size for g in groups)
    if total > MAX_CHARGERS_PER_REQUEST:
        raise InvalidRequest(f"{total} chargers requested; at most {MAX_CHARGERS_PER_REQUEST} per request")
    registrations = []
    taken: set[str] = set()
    for index, group in enumerate(groups):
        t = group.template
        try:
            find_model(t.brand_slug, t.model_slug)
        except UnknownCatalogModel as error:
            raise InvalidRequest(error.message, field=f"{index}.template.model_slug") from None
        suffixes = list((group.charger_ids or [])[: group.size])
        taken.update(t.identity_prefix + s for s in suffixes)
        while len(suffixes) < group.size:
            # 48 random bits: 10,000 chargers in a tenant of a million collide with odds of about 1 in 28,000
            # (32 bits collided in about one bulk create of 10,000 in a hundred).
            suffix = secrets.token_hex(6)
            if t.identity_prefix + suffix not in taken:
                taken.add(t.identity_prefix + suffix)
                suffixes.append(suffix)
        for suffix in suffixes:
            identity = t.identity_prefix + suffix
            if not _IDENTITY.fullmatch(identity):
                raise InvalidRequest(
                    f"identity {identity!r} is longer than 48 characters or has forbidden characters",
                    field=f"{index}.charger_ids",
                )
            if t.basic_auth_password is not None and ":" in identity:
                raise InvalidRequest(
                    f"identity {identity!r} contains ':', which HTTP Basic auth cannot carry as a user id",
                    field=f"{index}.template.basic_auth_password",
                )
            registrations.append(
                services.ChargerRegistration(
                    identity=identity,
                    brand_slug=t.brand_slug,
                    model_slug=t.model_slug,
                    ws_url=t.ws_url,
                    ocpp_version=t.ocpp_version,
                    connector_type=t.connector_type,
                    name=f"{t.template_name} {suffix}" if t.template_name else None,
                    tls_verify=t.tls_verify,
                    basic_auth_password=t.basic_auth_password,
                )
            )
    return registrations


@router.get(
    "",
    dependencies=[fresh("chargers", "locations", "charger_status")],
    **sdk_operation("location_chargers", "list"),
)
def get_location_chargers(
    location: LocationRow,
    tenant: Tenant,
    cur: ReadCursor,
    paging: Paging,
    charger_ids: Annotated[list[SqlText] | None, Query(max_length=1000)] = None,
) -> ChargerListResponse:
    rows, total = list_chargers(
        cur, tenant, paging.limit, paging.offset, location_id=location["id"], charger_ids=charger_ids or ()
    )
    return ChargerListResponse(
        data=chargers_public(cur, rows), total=total, page=paging.page, limit=paging.limit
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=LocationChargerBulkAcceptedResponse,
    **sdk_operation("location_chargers", "create"),
)
def create_location_chargers(
    location_id: UUID,
    groups: Annotated[list[ChargerGroup], Body(min_length=1, max_length=100)],
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create up to 10,000 chargers in one request, as one job, in one transaction; poll the job until
    READY (a bridge runs every charger) or FAILED (none could be created)."""
    registrations = expand(groups)

    def decide(uow: UnitOfWork) -> tuple[int, LocationChargerBulkAcceptedResponse]:
        job = services.provision_chargers(uow, tenant, location_id, registrations, principal.name)
        return 202, LocationChargerBulkAcceptedResponse(
            job_id=job.id,
            status="FAILED" if job.failed and not job.created else "PROVISIONING",
            status_url=f"/ocpp/locations/{location_id}/chargers/jobs/{job.id}",
            workflow_run_id=job.id,
        )

    return decide_once(ctx, tenant, idempotency_key, fingerprint, decide)


@router.get(
    "/jobs/{job_id}",
    dependencies=[fresh("jobs", "locations", "chargers", "charger_status")],
    **sdk_operation("location_chargers", "get_bulk_job"),
)
def get_location_job(
    job_id: UUID, location: LocationRow, tenant: Tenant, cur: ReadCursor
) -> LocationChargerBulkStatusResponse:
    row = get_job(cur, tenant, location["id"], str(job_id))
    if row is None:
        raise JobNotFound(f"job {job_id} not found")
    created = [c["charger_id"] for c in row["created"]]
    # The job's chargers that still exist, and those of them a bridge runs.
    existing = (
        [r["id"] for r in list_chargers(cur, tenant, len(created), 0, charger_ids=created)[0]]
        if created
        else []
    )
    runtime = charger_runtime(cur, existing)
    ready = sum(1 for c in existing if c in runtime and runtime[c][0]["attached"])
    failed = row["status"] == "FAILED"
    status = "FAILED" if failed else "READY" if ready == len(existing) else "PROVISIONING"
    return LocationChargerBulkStatusResponse(
        job_id=row["id"],
        job_type=row["job_type"],
        status=status,
        workflow_run_id=row["id"],
        error=None
        if not failed
        else ProvisioningErrorDetail(code="all_failed", message="no charger was created", retryable=False),
        progress=None
        if status != "PROVISIONING"
        else ProvisioningProgress(
            current_step="waiting for a bridge to run the chargers",
            chargers_ready=ready,
            chargers_total=len(existing),
        ),
        results={"created": row["created"], "failed": row["failed"]},
        provisioned_at=row["completed_at"] if status != "PROVISIONING" else None,
    )


@router.put("", dependencies=[fresh("chargers", "locations")], **sdk_operation("location_chargers", "update"))
def update_location_chargers(
    location: LocationRow,
    body: UpdateLocationChargersRequest,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    cur: ReadCursor,
) -> UpdateLocationChargersResponse:
    """Apply each item's partial update to its charger of the location, all in one transaction; a
    charger_id that is not a charger of the location is a failed item."""
    refs = charger_refs(cur, tenant, location["id"], [item.charger_id for item in body.chargers])
    by_ref = {r["id"]: r["id"] for r in refs} | {r["identity"]: r["id"] for r in refs}
    found = [(index, item) for index, item in enumerate(body.chargers) if item.charger_id in by_ref]
    failed = [
        LocationUpdateChargerFailure(
            charger_id=item.charger_id, error=f"{item.charger_id} is not a charger of this location"
        )
        for item in body.chargers
        if item.charger_id not in by_ref
    ]

    def decide(uow: UnitOfWork) -> None:
        for index, item in found:
            try:
                apply_update(uow, tenant, UUID(by_ref[item.charger_id]), item, principal.name)
            except InvalidRequest as error:  # the field is inside this item of the body
                field = f"chargers.{index}.{error.field}" if error.field else f"chargers.{index}"
                raise InvalidRequest(error.message, field=field) from None

    ctx.ledger.transact(decide)
    ctx.read.barrier(["chargers"], ctx.settings.read_barrier_seconds)
    ids = list(dict.fromkeys(by_ref[item.charger_id] for _, item in found))
    with ctx.read.db.reader() as fresh_cur:
        rows, _ = list_chargers(fresh_cur, tenant, max(len(ids), 1), 0, charger_ids=ids) if ids else ([], 0)
        updated = chargers_public(fresh_cur, rows)
    return UpdateLocationChargersResponse(
        updated_count=len(updated), failed_count=len(failed), updated=updated, failed=failed
    )


@router.delete(
    "", dependencies=[fresh("chargers", "locations")], **sdk_operation("location_chargers", "delete")
)
def delete_location_chargers(
    location: LocationRow,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    cur: ReadCursor,
    charger_ids: Annotated[
        list[SqlText] | None, Query(max_length=1000, description="default: every charger of the location")
    ] = None,
) -> DeleteLocationChargersResponse:
    given = charger_ids or []
    refs = charger_refs(cur, tenant, location["id"], given)
    known = {r["id"] for r in refs} | {r["identity"] for r in refs}
    failed = [
        LocationDeleteChargerFailure(charger_id=g, error=f"{g} is not a charger of this location")
        for g in given
        if g not in known
    ]

    def decide(uow: UnitOfWork) -> None:
        for ref in refs:
            services.delete_charger(uow, tenant, UUID(ref["id"]), principal.name)

    ctx.ledger.transact(decide)
    return DeleteLocationChargersResponse(
        deleted_count=len(refs), failed_count=len(failed), deleted=[r["id"] for r in refs], failed=failed
    )
