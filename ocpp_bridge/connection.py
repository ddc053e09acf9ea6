"""The connection seam: every frame in and out is recorded here, before it is acted on.

The `ocpp` library reads and writes through any object with `recv()` and `send()`; this one wraps a
`websockets` connection. Outgoing frames are made durable in the ledger before they leave; incoming
frames are queued for the ledger as they arrive, and anything the station sends afterwards waits for
them too (the writer commits in submission order). Answers to raw proxied calls are taken here, so the
library never sees a reply to a call it did not make.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

CALL, CALLRESULT, CALLERROR = 2, 3, 4

RecordFrame = Callable[[str, str, int | None, str | None, str | None], Awaitable[None] | None]


def parse_frame(raw: str) -> tuple[int | None, str | None, Any]:
    """(message type, message id, the rest) of an OCPP-J frame; (None, None, None) if it is not one."""
    try:
        frame = json.loads(raw)
    except (ValueError, TypeError):
        return None, None, None
    if not isinstance(frame, list) or len(frame) < 3 or frame[0] not in (CALL, CALLRESULT, CALLERROR):
        return None, None, None
    return frame[0], str(frame[1]), frame


class RecordingConnection:
    def __init__(self, ws: ClientConnection, record: RecordFrame) -> None:
        self.ws = ws
        self._record = record
        self._outgoing_actions: dict[str, str] = {}
        self._raw_calls: dict[str, asyncio.Future[list[Any]]] = {}
        self._sent: dict[str, asyncio.Event] = {}

    async def recv(self) -> str:
        while True:
            raw = await self.ws.recv()
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8", errors="replace")
            message_type, message_id, frame = parse_frame(raw)
            action = None
            if message_type == CALL:
                action = str(frame[2])
            elif message_id is not None:
                action = self._outgoing_actions.pop(message_id, None)
            await_or_none = self._record("csms_to_cp", raw, message_type, message_id, action)
            if await_or_none is not None:
                await await_or_none
            waiter = (
                self._raw_calls.pop(message_id, None) if message_type in (CALLRESULT, CALLERROR) else None
            )
            if waiter is not None:
                if not waiter.done():
                    waiter.set_result(frame)
                continue  # the answer to a proxied call: not the library's business
            return raw

    async def send(self, raw: str) -> None:
        message_type, message_id, frame = parse_frame(raw)
        action = str(frame[2]) if message_type == CALL else None
        if message_type == CALL and message_id is not None:
            self._outgoing_actions[message_id] = action or ""
        durable = self._record("cp_to_csms", raw, message_type, message_id, action)
        if durable is not None:
            await durable
        await self.ws.send(raw)
        if message_type in (CALLRESULT, CALLERROR) and message_id is not None:
            self._sent.setdefault(message_id, asyncio.Event()).set()

    def expect_answer(self, message_id: str) -> asyncio.Future[list[Any]]:
        """A future for the CALLRESULT/CALLERROR of a raw call this side is about to send."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._raw_calls[message_id] = future
        return future

    def forget_answer(self, message_id: str) -> None:
        self._raw_calls.pop(message_id, None)

    async def answered(self, message_id: str) -> None:
        """Wait until our answer to the CSMS call `message_id` has been sent."""
        event = self._sent.setdefault(message_id, asyncio.Event())
        await event.wait()
        self._sent.pop(message_id, None)

    async def close(self) -> None:
        await self.ws.close()
