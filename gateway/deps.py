"""Dependencies shared by the routers: read cursors, read barriers, pagination, lookups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path, Request

from domain.errors import ChargerNotFound, LocationNotFound
from domain.idempotency import fingerprint
from gateway.auth import Ctx, Tenant
from gateway.models.common import NUL_FREE, PageParams, page_params
from infra.sql import Cursor, Row
from projections.chargers import get_charger
from projections.locations import get_location


def fresh(*names: str) -> Any:
    """A route dependency: the named read models include every write committed before the request."""

    def barrier(ctx: Ctx) -> None:
        ctx.read.barrier(names, ctx.settings.read_barrier_seconds)

    return Depends(barrier)


def read_cursor(ctx: Ctx) -> Iterator[Cursor]:
    with ctx.read.db.reader() as cur:
        yield cur


ReadCursor = Annotated[Cursor, Depends(read_cursor)]
Paging = Annotated[PageParams, Depends(page_params)]


def location_row(location_id: Annotated[UUID, Path()], tenant: Tenant, cur: ReadCursor) -> Row:
    row = get_location(cur, tenant, str(location_id))
    if row is None:
        raise LocationNotFound(f"location {location_id} not found")
    return row


def charger_row(
    charger_id: Annotated[
        str, Path(description="charger id or OCPP identity", max_length=64, pattern=NUL_FREE)
    ],
    tenant: Tenant,
    cur: ReadCursor,
) -> Row:
    row = get_charger(cur, tenant, charger_id)
    if row is None:
        raise ChargerNotFound(f"charger {charger_id} not found")
    return row


LocationRow = Annotated[Row, Depends(location_row)]
ChargerRow = Annotated[Row, Depends(charger_row)]


async def request_fingerprint(request: Request) -> str:
    """What makes two requests 'the same' for Idempotency-Key: method, path, query and body."""
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return fingerprint(request.method, target, await request.body())


Fingerprint = Annotated[str, Depends(request_fingerprint)]
