"""The recordings view: open a recording (verify its chain, show its timeline) and compare two runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from domain.errors import InvalidRequest
from gateway.auth import Ctx, CurrentPrincipal
from gateway.models.common import ERRORS
from replays.audit import decode_lines, describe
from replays.diff import Exchange, aligned, differences_of, exchanges
from replays.recording import RecordingError, parse_event, read_header, verify
from webui.models import (
    ChainBreak,
    Comparison,
    DiffRow,
    ExchangeView,
    Inspection,
    RecordingPair,
    TimelineEntry,
)

router = APIRouter(prefix="/lab/api/recordings", tags=["lab"], responses=ERRORS)

TIMELINE_LIMIT = 5_000


def _lines(text: str, field: str) -> tuple[dict[str, Any], list[bytes]]:
    first, _, rest = text.partition("\n")
    try:
        head = read_header(first)
    except RecordingError as error:
        raise InvalidRequest(str(error), field=field) from None
    return head, [line.encode() for line in rest.splitlines() if line.strip()]


@router.post("/inspect")
def inspect(
    ctx: Ctx,
    _principal: CurrentPrincipal,
    recording: Annotated[
        str, Body(media_type="application/x-ndjson", description="a recording (JSON Lines)")
    ],
) -> Inspection:
    """Verify a recording's hash chain; describe its timeline (the first 5,000 lines that say something)."""
    head, lines = _lines(recording, "recording")
    broken = verify(iter(lines), head)
    timeline: list[TimelineEntry] = []
    identities: dict[Any, str] = {}
    truncated = False
    if broken is None:
        for entry in decode_lines(lines, ctx.ledger.mapper):
            text = describe(entry, identities)
            if text is None:
                continue
            if len(timeline) == TIMELINE_LIMIT:
                truncated = True
                break
            style = str(text.spans[-1].style) if text.spans else str(text.style)
            timeline.append(TimelineEntry(position=entry.position, text=text.plain, style=style))
    return Inspection(
        header=head,
        intact=broken is None,
        broken=None if broken is None else ChainBreak(line=broken.line, reason=broken.reason),
        timeline=timeline,
        truncated=truncated,
    )


def _view(exchange: Exchange | None) -> ExchangeView | None:
    if exchange is None:
        return None
    return ExchangeView(
        direction=exchange.direction, action=exchange.action, request=exchange.request, answer=exchange.answer
    )


@router.post("/diff")
def diff(_principal: CurrentPrincipal, pair: RecordingPair) -> Comparison:
    """Compare the CSMS's answers in two recordings (an original and its replay), exchange by exchange."""
    runs = []
    for field, text, prefix in (("before", pair.before, ""), ("after", pair.after, pair.prefix)):
        head, lines = _lines(text, field)
        broken = verify(iter(lines), head)
        if broken is not None:
            raise InvalidRequest(f"{field}: chain broken at line {broken.line}: {broken.reason}", field=field)
        runs.append(exchanges((parse_event(line) for line in lines), prefix))
    rows, differences = [], []
    for charger, index, a, b, same_call in aligned(runs[0], runs[1]):
        found = [d.as_dict() for d in differences_of(charger, index, a, b, same_call)]
        differences += found
        rows.append(DiffRow(charger=charger, before=_view(a), after=_view(b), differences=found))
    return Comparison(same=not differences, differences=differences, rows=rows)
