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
    BulkChargerUpdate,
    BulkDeleted,
    BulkUpdated,
    ChargerGroup,
    ChargerPublic,
    JobAccepted,
    JobStatus,
)
from gateway.models.common import ERRORS, Page, SqlText
from gateway.views import chargers_public
from projections.chargers import charger_refs, list_chargers
from projections.jobs import get_job

router = APIRouter(
    prefix="/ocpp/locations/{location_id}/chargers", tags=["location chargers"], responses=ERRORS
)

MAX_CHARGERS_PER_REQUEST = 10_000
_IDENTITY = re.compile(IDENTITY_PATTERN)


def expand(groups: list[ChargerGroup]) -> list[services.ChargerRegistration]:
    """Each group's identities are prefix + suffix: the given suffixes (truncated to chargers_number),
    then random hex suffixes up to chargers_number, never repeating an identity of this request."""
    total = sum(g.chargers_number for g in groups)
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
        suffixes = list(group.charger_ids[: group.chargers_number])
        taken.update(t.identity_prefix + s for s in suffixes)
        while len(suffixes) < group.chargers_number:
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


@router.get("", dependencies=[fresh("chargers", "locations", "charger_status")])
def get_location_chargers(
    location: LocationRow,
    tenant: Tenant,
    cur: ReadCursor,
    paging: Paging,
    charger_ids: Annotated[list[SqlText] | None, Query(max_length=1000)] = None,
) -> Page[ChargerPublic]:
    rows, total = list_chargers(
        cur, tenant, paging.limit, paging.offset, location_id=location["id"], charger_ids=charger_ids or ()
    )
    return Page(data=chargers_public(cur, rows), total=total, page=paging.page, limit=paging.limit)


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
def create_location_chargers(
    location_id: UUID,
    groups: Annotated[list[ChargerGroup], Body(min_length=1, max_length=100)],
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    fingerprint: Fingerprint,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create up to 10,000 chargers in one request, as one job, in one transaction."""
    registrations = expand(groups)

    def decide(uow: UnitOfWork) -> tuple[int, JobAccepted]:
        job = services.provision_chargers(uow, tenant, location_id, registrations, principal.name)
        return 202, JobAccepted(
            job_id=job.id,
            status="FAILED" if job.failed and not job.created else "COMPLETED",
            status_url=f"/ocpp/locations/{location_id}/chargers/jobs/{job.id}",
            workflow_run_id=job.id,
        )

    return decide_once(ctx, tenant, idempotency_key, fingerprint, decide)


@router.get("/jobs/{job_id}", dependencies=[fresh("jobs", "locations")])
def get_location_job(job_id: UUID, location: LocationRow, tenant: Tenant, cur: ReadCursor) -> JobStatus:
    row = get_job(cur, tenant, location["id"], str(job_id))
    if row is None:
        raise JobNotFound(f"job {job_id} not found")
    return JobStatus(
        job_id=row["id"],
        job_type=row["job_type"],
        status=row["status"],
        workflow_run_id=row["id"],
        error=None
        if row["status"] != "FAILED"
        else {"code": "all_failed", "message": "no charger was created"},
        results={"created": row["created"], "failed": row["failed"]},
        provisioned_at=row["completed_at"],
    )


def _resolve(
    cur: ReadCursor, tenant: str, location_id: str, given: list[str]
) -> tuple[list[UUID], list[str]]:
    refs = charger_refs(cur, tenant, location_id, given)
    known = {r["id"] for r in refs} | {r["identity"] for r in refs}
    return [UUID(r["id"]) for r in refs], [g for g in given if g not in known]


@router.put("", dependencies=[fresh("chargers", "locations")])
def update_location_chargers(
    location: LocationRow,
    body: BulkChargerUpdate,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    cur: ReadCursor,
) -> BulkUpdated:
    """Apply the same partial update to some chargers of the location, in one transaction."""
    ids, not_found = _resolve(cur, tenant, location["id"], body.charger_ids)

    def decide(uow: UnitOfWork) -> None:
        for charger_id in ids:
            services.update_charger(uow, tenant, charger_id, body.changes.changes(), principal.name)

    try:
        ctx.ledger.transact(decide)
    except InvalidRequest as error:  # the field is inside `changes` in this body
        raise InvalidRequest(
            error.message, field=f"changes.{error.field}" if error.field else "changes"
        ) from None
    return BulkUpdated(updated=ids, not_found=not_found)


@router.delete("", dependencies=[fresh("chargers", "locations")])
def delete_location_chargers(
    location: LocationRow,
    ctx: Ctx,
    tenant: Tenant,
    principal: CurrentPrincipal,
    cur: ReadCursor,
    charger_ids: Annotated[list[SqlText], Query(min_length=1, max_length=1000)],
) -> BulkDeleted:
    ids, not_found = _resolve(cur, tenant, location["id"], charger_ids)

    def decide(uow: UnitOfWork) -> None:
        for charger_id in ids:
            services.delete_charger(uow, tenant, charger_id, principal.name)

    ctx.ledger.transact(decide)
    return BulkDeleted(deleted=ids, not_found=not_found)
