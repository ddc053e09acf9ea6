"""Analytics over the read models, scoped to the caller's tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from gateway.auth import Tenant
from gateway.deps import ReadCursor, fresh
from gateway.models.common import ERRORS, QueryTime
from infra.sql import iso
from projections.analytics import command_stats, csms_error_stats, fault_stats, session_stats

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=ERRORS)

ANALYTICS_MODELS = ("commands", "analytics", "message_log")
LocationQuery = Annotated[UUID | None, Query(description="only this location")]
ChargerQuery = Annotated[UUID | None, Query(description="only this charger")]
SinceQuery = Annotated[QueryTime | None, Query(description="from this time (ISO-8601)")]
UntilQuery = Annotated[QueryTime | None, Query(description="before this time (ISO-8601)")]


def _scope(
    location_id: UUID | None, charger_id: UUID | None, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    return {
        "location_id": None if location_id is None else str(location_id),
        "charger_id": None if charger_id is None else str(charger_id),
        "since": iso(since),
        "until": iso(until),
    }


@router.get("/commands", dependencies=[fresh(*ANALYTICS_MODELS)])
def commands(
    tenant: Tenant,
    cur: ReadCursor,
    location_id: LocationQuery = None,
    charger_id: ChargerQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> dict[str, Any]:
    """Commands by type and status, latency percentiles per stage (queued → dispatched → first CSMS answer
    → completed), failures by code."""
    return command_stats(cur, tenant, **_scope(location_id, charger_id, since, until))


@router.get("/sessions", dependencies=[fresh(*ANALYTICS_MODELS)])
def sessions(
    tenant: Tenant,
    cur: ReadCursor,
    location_id: LocationQuery = None,
    charger_id: ChargerQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> dict[str, Any]:
    """Sessions: count, energy (kWh), mean duration, stop reasons."""
    return session_stats(cur, tenant, **_scope(location_id, charger_id, since, until))


@router.get("/faults", dependencies=[fresh(*ANALYTICS_MODELS)])
def faults(
    tenant: Tenant,
    cur: ReadCursor,
    location_id: LocationQuery = None,
    charger_id: ChargerQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> dict[str, Any]:
    """Faults raised, by type, and how many are still open."""
    return fault_stats(cur, tenant, **_scope(location_id, charger_id, since, until))


@router.get("/csms-errors", dependencies=[fresh(*ANALYTICS_MODELS)])
def csms_errors(
    tenant: Tenant, cur: ReadCursor, location_id: LocationQuery = None, charger_id: ChargerQuery = None
) -> dict[str, Any]:
    """CALLERRORs answered by the CSMS, per action."""
    return csms_error_stats(
        cur,
        tenant,
        None if charger_id is None else str(charger_id),
        None if location_id is None else str(location_id),
    )
