"""The fleet view's snapshot: every location and charger of the tenant with its live state, in one answer
(the page keeps it current from the stream; 10,000 chargers are a few MB)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.auth import Tenant
from gateway.deps import ReadCursor, fresh
from gateway.models.common import ERRORS, NUL_FREE
from projections.charger_status import charger_runtime
from projections.chargers import list_chargers
from projections.locations import list_locations
from webui.models import Fleet, FleetCharger, FleetConnector, FleetLocation

router = APIRouter(prefix="/lab/api", tags=["lab"], responses=ERRORS)

ALL = 1_000_000


@router.get("/fleet", dependencies=[fresh("locations", "chargers", "charger_status")])
def fleet(
    tenant: Tenant,
    cur: ReadCursor,
    charger_id: Annotated[
        str | None, Query(max_length=64, pattern=NUL_FREE, description="only this one")
    ] = None,
) -> Fleet:
    """Every location and charger of the tenant (or one charger, by id or identity) with its live state."""
    locations, _ = list_locations(cur, tenant, ALL, 0)
    rows, _ = list_chargers(cur, tenant, ALL, 0, charger_ids=[charger_id] if charger_id else ())
    runtime = charger_runtime(cur, [r["id"] for r in rows])
    chargers = []
    for row in rows:
        status, connectors = runtime.get(row["id"], (None, []))
        observed = {c["connector_id"]: c for c in connectors}
        chargers.append(
            FleetCharger(
                id=row["id"],
                identity=row["identity"],
                name=row["name"],
                model=f"{row['vendor_name']} {row['model_name']}",
                ocpp_version=row["ocpp_version"],
                location_id=row["location_id"],
                running=row["running"],
                attached=bool(status and status["attached"]),
                connected=bool(status and status["connected"]),
                boot_status=None if status is None else status["boot_status"],
                charger_fault=None if status is None else status["charger_fault"],
                last_seen_at=None if status is None else status["last_seen_at"],
                connectors=[
                    FleetConnector.model_validate(observed.get(n, {"connector_id": n}))
                    for n in range(1, row["connector_count"] + 1)
                ],
            )
        )
    return Fleet(
        locations=[
            FleetLocation(id=r["id"], name=r["name"], city=r["city"], country=r["country"]) for r in locations
        ],
        chargers=chargers,
    )
