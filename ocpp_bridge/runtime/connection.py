"""The connection seam: every frame in and out is recorded and schema-checked here, before it is acted on.

The `ocpp` library reads and writes through any object with `recv()` and `send()`; this one wraps a
`websockets` connection. Outgoing frames are made durable in the ledger before they leave; incoming
frames are queued for the ledger as they arrive, and anything the station sends afterwards waits for
them too (the writer commits in submission order). Answers to raw proxied calls are taken here, so the
library never sees a reply to a call it did not make.

Validation (compiled schemas, see `validation`) also happens here, per OCPP-J: a malformed or invalid
call from the CSMS is answered with a CALLERROR naming the broken rule and never reaches the library; an
invalid answer to one of our calls reaches it as a CALLERROR, so the call fails instead of acting on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection

from ocpp_bridge.runtime import metrics
from ocpp_bridge.runtime.validation import SchemaViolation, check, known

CALL, CALLRESULT, CALLERROR = 2, 3, 4

T = TypeVar("T")

RecordFrame = Callable[[str, str, int | None, str | None, str | None], Awaitable[None] | None]


def _message_id_of(raw: str) -> str:
    """The message id of a frame we cannot use, if one can be read from it (OCPP-J: "-1" otherwise)."""
    try:
        frame = json.loads(raw)
    except (ValueError, TypeError):
        return "-1"
    if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
        return frame[1]
    return "-1"


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
    def __init__(self, ws: ClientConnection, record: RecordFrame, version: str = "1.6") -> None:
        self.ws = ws
        self._record = record
        self.version = version  # "1.6" or "2.0.1": the schemas to check against
        self._outgoing_actions: dict[str, str] = {}
        self._incoming_actions: dict[str, str] = {}
        self._raw_calls: dict[str, asyncio.Future[list[Any]]] = {}
        self._sent: dict[str, asyncio.Event] = {}
        self.violations = 0

    def _malformed(self, raw: str) -> tuple[str, str]:
        """The CALLERROR code and text for a frame that is not a usable OCPP-J message."""
        try:
            frame = json.loads(raw)
        except (ValueError, TypeError):
            frame = None
        unknown_type = (
            isinstance(frame, list) and frame and isinstance(frame[0], int) and frame[0] not in (2, 3, 4)
        )
        if unknown_type and self.version != "1.6":  # 1.6 has no code for it
            return "MessageTypeNotSupported", f"message type {frame[0]} is not 2, 3 or 4"
        code = "FormationViolation" if self.version == "1.6" else "FormatViolation"
        return code, "not an OCPP-J message"

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
            metrics.frame("csms_to_cp", message_type, action)
            if message_type is None:  # not an OCPP-J message at all
                await self._refuse(_message_id_of(raw), *self._malformed(raw))
                continue
            if message_type in (CALLRESULT, CALLERROR):
                waiter = self._raw_calls.pop(message_id or "", None)
                if waiter is not None:
                    if not waiter.done():
                        waiter.set_result(frame)
                    continue  # the answer to a proxied call: not the library's business
            if message_type == CALL:
                assert message_id is not None
                assert action is not None
                if known(self.version, action):
                    try:
                        check(self.version, action, frame[3] if len(frame) > 3 else None, response=False)
                    except SchemaViolation as error:
                        self.violations += 1
                        await self._refuse(message_id, error.code, error.message)
                        continue
                    self._incoming_actions[message_id] = action
                # unknown actions go to the library: its route map answers NotImplemented (see unsupported)
            elif message_type == CALLRESULT and action:
                try:
                    check(self.version, action, frame[2], response=True)
                except SchemaViolation as error:
                    # Our call fails as if the CSMS had said so; the ledger keeps what it really said.
                    self.violations += 1
                    return json.dumps(
                        [CALLERROR, message_id, error.code, f"invalid answer: {error.message}", {}]
                    )
            return raw

    async def _refuse(self, message_id: str, code: str, description: str) -> None:
        await self.send(json.dumps([CALLERROR, message_id, code, description[:250], {}]))

    async def send(self, raw: str, *, validate: bool = True) -> None:
        message_type, message_id, frame = parse_frame(raw)
        action = str(frame[2]) if message_type == CALL else None
        if validate and message_type == CALL and action is not None:
            check(self.version, action, frame[3] if len(frame) > 3 else None, response=False)
        elif validate and message_type == CALLRESULT and message_id in self._incoming_actions:
            try:
                check(self.version, self._incoming_actions[message_id], frame[2], response=True)
            except SchemaViolation as error:  # our own bug: never send it as is
                raw = json.dumps(
                    [CALLERROR, message_id, "InternalError", f"invalid answer: {error.message}", {}]
                )
                message_type = CALLERROR
        answered = None  # the action of the CSMS call this frame answers (for the metrics' label)
        if message_id is not None and message_type in (CALLRESULT, CALLERROR):
            answered = self._incoming_actions.pop(message_id, None)
        if message_type == CALL and message_id is not None:
            self._outgoing_actions[message_id] = action or ""
        durable = self._record("cp_to_csms", raw, message_type, message_id, action)
        if durable is not None:
            await durable
        await self.ws.send(raw)
        metrics.frame("cp_to_csms", message_type, action or answered)
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

    async def unless_closed(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable` (a call waiting for its answer) unless the connection closes first: then
        raise the connection's ConnectionClosed at once. No answer can come on a closed connection, and
        waiting out the response timeout would report a cut line as a CSMS that does not answer."""
        task = asyncio.ensure_future(awaitable)  # a task copies the context: the running command stays
        closed = asyncio.ensure_future(self.ws.wait_closed())
        try:
            await asyncio.wait((task, closed), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            closed.cancel()
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.wait((task,))
        raise self.ws.close_exc

    async def close(self) -> None:
        await self.ws.close()
