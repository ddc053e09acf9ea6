"""The station shell, third layer: the intent worker (the charger's queued commands and CSMS follow-ups,
one at a time, in order), command dispatch through the typed map, and the runtime commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from domain.charger import Charger
from domain.commands import (
    CommandPayload,
    CommandType,
    DropNetwork,
)
from domain.failures import FailureCode
from domain.logs import log_context
from domain.outcomes import (
    GenericOutcome,
    Outcome,
)
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.runtime import metrics
from ocpp_bridge.runtime.station_calls import StationCalls
from ocpp_bridge.runtime.station_connection import (
    LOCAL_COMMANDS,
    FollowUp,
    _running_command,
    connection_settings,
)

log = logging.getLogger("ocpp_bridge.runtime.station")  # one logger for every layer of the station shell


class StationIntents(StationCalls):
    # --- intents (commands from the ledger, follow-ups of CSMS calls) ------------------------------------

    def enqueue(self, item: Any) -> None:
        self.intents.put_nowait(item)

    async def _intent_worker(self) -> None:
        while True:
            item = await self.intents.get()
            try:
                if isinstance(item, FollowUp):
                    await self._follow_up(item)
                else:
                    await self.handle_intent(item)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.failed = error
                log.exception("%s: intent failed", self.identity)

    async def _follow_up(self, item: FollowUp) -> None:
        connection = self.connection
        if item.after_message_id is not None and connection is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    connection.answered(item.after_message_id), self.settings.response_timeout
                )
        with contextlib.suppress(CommandError):
            await item.run()

    async def handle_intent(self, event: Any) -> None:
        if event.originator_version <= self.cp.intent_version:
            return  # seen already (it reached us by two routes, or before a restart)
        if isinstance(event, Charger.CommandQueued):
            await self._run_command(event, event.event_type, event.payload)
        elif isinstance(event, Charger.RuntimeStopRequested):
            await self._run_command(event, "stop_charger", None)
        elif isinstance(event, Charger.RuntimeStartRequested):
            await self._run_command(event, "start_charger", None)
        elif isinstance(event, Charger.RuntimeRestartRequested):
            await self._run_command(event, "restart_charger", None)
        else:
            if isinstance(event, Charger.Updated):
                old = self.charger.settings
                self.charger.settings = event.settings
                if connection_settings(event.settings) != connection_settings(old):
                    self.restart_connection()
            self.cp.intent_observed(event.originator_version)
            self.record()

    async def _run_command(self, event: Any, event_type: str, payload: CommandPayload | None) -> None:
        command_id = event.command_id
        if str(event_type) not in LOCAL_COMMANDS and self.should_run.is_set() and not self.reported.is_set():
            # A charger that is still connecting (just created, or reconnecting) gets a moment to come
            # online before a command that talks to the CSMS runs; it fails if it does not. It waits for
            # the boot-time reports too: messages queued offline (a StopTransaction) go first, in order.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reported.wait(), self.settings.online_wait)
        self.cp.command_dispatched(command_id, event.originator_version, str(event_type))
        dispatched = time.perf_counter()
        with log_context(command_id=command_id):
            # Not awaited here: the command's first frame waits for its own commit before it leaves,
            # and the writer commits in submission order, so dispatched is on record before any frame
            # of the command is on the wire. A crash before that leaves the command queued, to run
            # after the restart: nothing of it was sent. (One group commit less per command.)
            self.record()
            token = _running_command.set(command_id)
            code = (
                FailureCode.INTERRUPTED.value
            )  # until an outcome is known: a station stopped meanwhile cancels us
            try:
                outcome = await self.execute(str(event_type), payload)
            except CommandError as error:
                code = error.code.value
                self.cp.command_failed(command_id, code, error.message)
            except Exception as error:
                code = FailureCode.INTERNAL_ERROR.value
                log.exception("%s: command %s failed", self.identity, command_id)
                self.cp.command_failed(command_id, code, f"{type(error).__name__}: {error}")
            else:
                code = ""
                self.cp.command_completed(command_id, outcome)
            finally:
                _running_command.reset(token)
                metrics.command_finished(str(event_type), code, time.perf_counter() - dispatched)
                outcome_text = f"failed ({code})" if code else "completed"
                log.info("%s: command %s %s", self.identity, event_type, outcome_text)
        self.record()

    async def execute(self, event_type: str, payload: CommandPayload | None) -> Outcome:
        handler = self.commands.get(CommandType(event_type))
        if handler is None:
            raise CommandError(
                FailureCode.NOT_SUPPORTED, f"{event_type} is not supported on {self.version.value}"
            )
        return await handler(self, payload)

    # --- runtime commands ------------------------------------------------------------------------------

    async def cmd_start_charger(self, payload: Any) -> Outcome:
        self.charger.running = True
        self.should_run.set()
        return GenericOutcome(status="Started", msg="connecting to the CSMS")

    async def cmd_stop_charger(self, payload: Any) -> Outcome:
        self.charger.running = False
        await self.close_connection()
        return GenericOutcome(status="Stopped", msg="connection closed")

    async def cmd_restart_charger(self, payload: Any) -> Outcome:
        self.charger.running = True
        self.should_run.set()
        self.restart_connection()
        return GenericOutcome(status="Restarted", msg="reconnecting and booting again")

    async def cmd_drop_network(self, payload: DropNetwork) -> Outcome:
        cut = self.drop_network(payload.seconds)
        was = "connection cut" if cut else "it was not connected"
        return GenericOutcome(status="Dropped", msg=f"network down for {payload.seconds:g} s ({was})")
