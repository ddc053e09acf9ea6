"""The charts view's aggregates beyond GET /analytics: per charger, and CSMS errors over time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from gateway.auth import Tenant
from gateway.deps import ReadCursor, fresh
from gateway.models.common import ERRORS
from infra.sql import iso
from projections.analytics import csms_error_times, per_charger_stats
from webui.models import ChargerStats, CsmsErrorsOverTime, ErrorBucket, PerCharger

router = APIRouter(prefix="/lab/api/analytics", tags=["lab"], responses=ERRORS)

LocationQuery = Annotated[UUID | None, Query(description="only this location")]


@router.get("/chargers", dependencies=[fresh("analytics")])
def per_charger(tenant: Tenant, cur: ReadCursor, location_id: LocationQuery = None) -> PerCharger:
    """Sessions, energy and faults of each charger."""
    rows = per_charger_stats(cur, tenant, None if location_id is None else str(location_id))
    return PerCharger(data=[ChargerStats.model_validate(r) for r in rows])


@router.get("/csms-errors", dependencies=[fresh("analytics", "message_log")])
def csms_errors_over_time(
    tenant: Tenant,
    cur: ReadCursor,
    location_id: LocationQuery = None,
    charger_id: Annotated[UUID | None, Query(description="only this charger")] = None,
    bucket_seconds: Annotated[int, Query(ge=1, le=86_400)] = 60,
) -> CsmsErrorsOverTime:
    """CALLERRORs the CSMS answered, counted per time bucket (the latest 10,000)."""
    rows = csms_error_times(
        cur,
        tenant,
        None if charger_id is None else str(charger_id),
        None if location_id is None else str(location_id),
    )
    buckets: dict[str, ErrorBucket] = {}
    for row in rows:
        moment = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
        start = moment - timedelta(seconds=moment.timestamp() % bucket_seconds)
        key = iso(start) or ""
        bucket = buckets.setdefault(key, ErrorBucket(start=key, count=0, actions={}))
        bucket.count += 1
        action = row["action"] or "?"
        bucket.actions[action] = bucket.actions.get(action, 0) + 1
    return CsmsErrorsOverTime(
        bucket_seconds=bucket_seconds, data=sorted(buckets.values(), key=lambda b: b.start)
    )
