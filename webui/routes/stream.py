"""GET /lab/stream: the tenant's live messages as Server-Sent Events, resumable by position.

Every event's `id` is the ledger position (notification id) of the event it reports; a heartbeat carries
the position read up to. A client that reconnects with `Last-Event-ID` (or `?after=`) gets exactly the
messages after it: none skipped, none twice. The first event, `hello`, says where the stream starts; a
position the ledger never reached (another database, a reset lab) gets `reset` instead, and the page
reloads what it shows. Authenticated like every API route (bearer token, X-Organization-Id for admins):
a browser reads it with fetch(), which can send headers, where EventSource cannot.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials

from gateway.auth import Ctx, Tenant, bearer
from gateway.models.common import ERRORS
from webui.feed import Feed
from webui.messages import KINDS, Message

router = APIRouter(prefix="/lab", tags=["lab"], responses=ERRORS)

HEARTBEAT_SECONDS = 15.0


def get_feed(request: Request) -> Feed:
    return request.app.state.lab_feed


def _event(kind: str, position: int, data: str) -> bytes:
    return f"id: {position}\nevent: {kind}\ndata: {data}\n\n".encode()


def _resume_position(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream(
    request: Request,
    ctx: Ctx,
    tenant: Tenant,
    feed: Annotated[Feed, Depends(get_feed)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    charger_id: Annotated[
        str | None, Query(max_length=64, description="only this charger's messages")
    ] = None,
    kinds: Annotated[
        str | None, Query(max_length=200, description=f"comma-separated: {', '.join(KINDS)}")
    ] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this position")] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """The live messages of the caller's tenant (frames, charger and connector state, meter samples,
    command statuses, fleet changes), each with its ledger position as the event id."""
    wanted = set(KINDS) if not kinds else {k.strip() for k in kinds.split(",")} & set(KINDS)
    secret = credentials.credentials if credentials is not None else ""

    def accept(message: Message) -> bool:
        return (
            message.tenant == tenant
            and message.kind in wanted
            and (charger_id is None or message.charger_id == charger_id)
        )

    resume = _resume_position(last_event_id, after)

    async def events() -> AsyncIterator[bytes]:
        await anyio.to_thread.run_sync(feed.open_stream)
        try:
            head = await anyio.to_thread.run_sync(feed.ledger_head)
            if resume is not None and resume > head:
                yield _event("reset", head, f'{{"position":{head}}}')
                position = head
            else:
                position = head if resume is None else resume
                yield _event(
                    "hello",
                    position,
                    f'{{"position":{position},"resumed":{str(resume is not None).lower()}}}',
                )
            sent = time.monotonic()
            while not await request.is_disconnected():
                taken = feed.take(position, accept)
                if taken is None:  # behind the buffer: from the ledger, page by page
                    taken = await anyio.to_thread.run_sync(feed.catch_up, position, accept)
                messages, covered = taken
                for message in messages:
                    yield _event(message.kind, message.position, message.data)
                position = covered
                if messages:
                    sent = time.monotonic()
                    continue
                if time.monotonic() - sent >= HEARTBEAT_SECONDS:
                    # Say how far the stream has read (a reconnect resumes there), and that it is alive,
                    # while the token still holds.
                    if await anyio.to_thread.run_sync(ctx.tokens.find, secret) is None:
                        return  # revoked: the client's reconnect gets its 401
                    yield _event("heartbeat", position, "{}")
                    sent = time.monotonic()
                if position >= feed.head:
                    await feed.moved(position, max(0.0, HEARTBEAT_SECONDS - (time.monotonic() - sent)))
        finally:
            feed.close_stream()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
