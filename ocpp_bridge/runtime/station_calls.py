"""The station shell, second layer: calls to the CSMS, the step driver of the charger core, and the
delivery of the transaction messages it owes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, TypeVar, cast

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed

from domain.failures import FailureCode
from ocpp_bridge.core import transaction_messages
from ocpp_bridge.core.effects import Answered, Failed, Result, SendCall, Step, Wait
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.transaction_messages import RetryPolicy
from ocpp_bridge.runtime import transfers
from ocpp_bridge.runtime.connection import CALLERROR, CALLRESULT
from ocpp_bridge.runtime.station_connection import (
    StationConnection,
)
from ocpp_bridge.runtime.validation import SchemaViolation

log = logging.getLogger("ocpp_bridge.runtime.station")  # one logger for every layer of the station shell
T = TypeVar("T")


class StationCalls(StationConnection):
    # --- calls to the CSMS -----------------------------------------------------------------------------

    async def call(self, payload: Any, *, require_online: bool = True) -> Any:
        """One CALL through the library, errors as exceptions (never suppressed)."""
        if require_online and not self.online.is_set():
            raise CommandError(
                FailureCode.CHARGER_NOT_CONNECTED,
                "the charger is not connected to its CSMS (or not accepted)",
            )
        client, connection = self.client, self.connection
        if client is None:
            raise CommandError(FailureCode.CHARGER_NOT_CONNECTED, "the charger is not connected to its CSMS")
        async with self.call_lock:
            try:
                # The seam validates (compiled schemas); the library's interpreter would do it again.
                request = client.call(payload, suppress=False, skip_schema_validation=True)
                return await (request if connection is None else connection.unless_closed(request))
            except SchemaViolation as error:
                raise CommandError(
                    FailureCode.INVALID_MESSAGE, f"the message would break its schema: {error.message}"
                ) from error
            except OCPPError as error:
                raise CommandError(
                    FailureCode.CSMS_ERROR, f"CSMS answered CALLERROR {error.code}: {error.description}"
                ) from error
            except TimeoutError as error:
                raise CommandError(
                    FailureCode.CSMS_TIMEOUT, f"no answer from the CSMS in {self.settings.response_timeout}s"
                ) from error
            except ConnectionClosed as error:
                raise CommandError(
                    FailureCode.CHARGER_NOT_CONNECTED, "the connection closed during the call"
                ) from error

    # --- steps of the charger core, and the transaction messages it owes the CSMS -------------------

    async def run_step(self, step: Step[T]) -> T:
        """Drive a step of the charger core: perform each effect it yields and hand it the result. What
        the step changed is recorded before the effect is performed (a frame never runs ahead of the
        state it reports)."""
        result: Result = None
        while True:
            try:
                effect = step.send(result)
            except StopIteration as done:
                self._record_changes()
                return cast(T, done.value)
            self._record_changes()
            if isinstance(effect, SendCall):
                try:
                    result = Answered(await self.call(effect.payload, require_online=effect.require_online))
                except CommandError as error:
                    result = Failed(error.code, error.message)
            elif isinstance(effect, Wait):
                await asyncio.sleep(self.clock.real_seconds(effect.seconds))
                result = None
            else:  # a firmware download, a log upload
                result = await transfers.transfer(effect, self.settings.response_timeout)

    def _record_changes(self) -> None:
        """Hand what a step changed to the writer; nothing to do for a step that changed nothing (most
        effects: a transaction message answered at once records no event)."""
        events = self.cp.collect_events()
        if events:
            self.writer.submit(events)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=max(1, int(self.config("TransactionMessageAttempts"))),
            interval_s=max(0.0, float(self.config("TransactionMessageRetryInterval"))),
        )

    async def transact(self, payload: Any, connector_id: int) -> Answered | Failed | None:
        """Send a transaction message, or queue it (offline, behind others, or its try failed: it is
        retried in order). None when it was queued without a try."""
        result = await self.run_step(
            transaction_messages.send_or_queue(
                self.cp, payload, self.retry_policy(), connector_id, online=self.online.is_set()
            )
        )
        if self.cp.outbox and self.reported.is_set():
            self._deliver_later()
        return result

    async def deliver_outbox(self) -> None:
        """Deliver the queued transaction messages, oldest first, with their retries; raises
        charger_not_connected if the connection drops (the rest waits for the next one)."""
        async with self.outbox_lock:
            failed = await self.run_step(
                transaction_messages.deliver_queued(self.cp, self.retry_policy(), self.calls)
            )
        if failed is not None:
            raise CommandError(failed.code, failed.message)

    def _deliver_later(self) -> None:
        """Deliver what a failed try queued in the background, while the session goes on."""
        if self._outbox_task is not None and not self._outbox_task.done():
            return

        async def deliver() -> None:
            with contextlib.suppress(CommandError):
                await self.deliver_outbox()

        self._outbox_task = asyncio.create_task(deliver(), name=f"{self.identity}-outbox")

    async def raw_call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL exactly as given (proxy-message) and return the CSMS answer as a dict."""
        import json

        if not self.online.is_set() or self.connection is None:
            raise CommandError(FailureCode.CHARGER_NOT_CONNECTED, "the charger is not connected to its CSMS")
        connection = self.connection
        message_id = self.new_message_id()
        async with self.call_lock:
            answer = connection.expect_answer(message_id)
            try:
                # Sent exactly as given: a proxy-message with validate=false is how negative tests are made.
                await connection.send(
                    json.dumps([2, message_id, action, payload], separators=(",", ":")), validate=False
                )
                frame = await asyncio.wait_for(
                    connection.unless_closed(answer), self.settings.response_timeout
                )
            except TimeoutError as error:
                raise CommandError(
                    FailureCode.CSMS_TIMEOUT, f"no answer from the CSMS in {self.settings.response_timeout}s"
                ) from error
            except ConnectionClosed as error:
                raise CommandError(
                    FailureCode.CHARGER_NOT_CONNECTED, "the connection closed during the call"
                ) from error
            finally:
                connection.forget_answer(message_id)
        if frame[0] == CALLRESULT:
            return {"message_type": "CALLRESULT", "payload": frame[2]}
        assert frame[0] == CALLERROR
        return {
            "message_type": "CALLERROR",
            "error_code": frame[2],
            "error_description": frame[3] if len(frame) > 3 else "",
            "error_details": frame[4] if len(frame) > 4 else {},
        }
