"""The charger view's data: its trace (frames by position, filtered), sessions, a session's meter samples,
and the export of a slice of its history as a recording."""

from __future__ import annotations

import os
import pathlib
import tempfile
from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from domain.ids import charge_point_id
from gateway.auth import Ctx
from gateway.deps import ChargerRow, ReadCursor, fresh
from gateway.models.common import ERRORS, NUL_FREE, QueryTime
from infra.sql import iso
from projections.analytics import charger_sessions
from projections.message_log import frame_page
from projections.meter_samples import session_samples
from replays.export import Slice, export
from webui.models import Frame, FramePage, Sample, Samples, Session, Sessions
from webui.redaction import masked_frame

router = APIRouter(prefix="/lab/api/chargers/{charger_id}", tags=["lab"], responses=ERRORS)

Text = Annotated[str | None, Query(max_length=200, pattern=NUL_FREE)]


def _cp(charger: dict[str, str]) -> str:
    return str(charge_point_id(UUID(charger["id"])))


@router.get("/frames", dependencies=[fresh("chargers", "message_log")])
def frames(
    charger: ChargerRow,
    cur: ReadCursor,
    before: Annotated[int | None, Query(ge=0, description="frames before this position (older)")] = None,
    after: Annotated[int | None, Query(ge=0, description="frames after this position (newer)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    action: Text = None,
    direction: Annotated[Literal["cp_to_csms", "csms_to_cp"] | None, Query()] = None,
    since: Annotated[QueryTime | None, Query()] = None,
    until: Annotated[QueryTime | None, Query()] = None,
    q: Text = None,
    command_id: Annotated[UUID | None, Query(description="only frames this command caused")] = None,
) -> FramePage:
    """A page of the charger's OCPP frames, oldest first: the newest `limit` (before `before`), or the
    next ones after `after`. Keyed by ledger position, so pages stay put while frames arrive."""
    rows = frame_page(
        cur,
        _cp(charger),
        limit + 1,
        before,
        after,
        action,
        direction,
        iso(since),
        iso(until),
        q,
        None if command_id is None else str(command_id),
    )
    has_older = len(rows) > limit and after is None
    rows = rows[1:] if has_older else rows[:limit]
    return FramePage(
        data=[Frame.model_validate({**r, "message": masked_frame(r["message"])}) for r in rows],
        has_older=has_older,
    )


@router.get("/sessions", dependencies=[fresh("chargers", "analytics")])
def sessions(charger: ChargerRow, cur: ReadCursor) -> Sessions:
    """The charger's sessions, newest first."""
    return Sessions(data=[Session.model_validate(r) for r in charger_sessions(cur, _cp(charger))])


@router.get("/sessions/{transaction_id}/samples", dependencies=[fresh("chargers", "meter_samples")])
def samples(
    charger: ChargerRow,
    cur: ReadCursor,
    transaction_id: Annotated[str, Path(max_length=64, pattern=NUL_FREE)],
) -> Samples:
    """The meter samples of one session: power, energy, SoC over time."""
    rows = session_samples(cur, _cp(charger), transaction_id)
    return Samples(data=[Sample.model_validate(r) for r in rows])


@router.get(
    "/export",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "a recording"}},
)
async def export_recording(
    charger: ChargerRow,
    ctx: Ctx,
    since: Annotated[QueryTime | None, Query()] = None,
    until: Annotated[QueryTime | None, Query()] = None,
) -> FileResponse:
    """The charger's history (optionally a time range) as a hash-chained recording (secrets as "***")."""
    fd, name = tempfile.mkstemp(prefix="lab-export-", suffix=".jsonl")
    os.close(fd)
    path = pathlib.Path(name)
    selection = Slice(charger_ids=[UUID(charger["id"])], since=since, until=until)
    await anyio.to_thread.run_sync(export, ctx.read.db, selection, path)
    return FileResponse(
        path,
        media_type="application/x-ndjson",
        filename=f"{charger['identity']}.jsonl",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
