"""One simulated charger: a thin asyncio shell around its ChargePoint aggregate.

The station owns three tasks: the connection (connect, boot, heartbeat, reconnect with jittered backoff),
the intent worker (the charger's queued commands and CSMS follow-ups, one at a time, in order), and the
meter (samples every MeterValueSampleInterval on a fixed per-charger phase). Everything it observes is
recorded on the aggregate and handed to the bridge's writer; commands are marked dispatched, durably,
before their first frame leaves.

Version-specific behaviour (message sequences, CSMS-initiated calls) lives in the subclasses
`ocpp_bridge.v16.V16Station` and `ocpp_bridge.v201.V201Station`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

import websockets
from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from domain.chargepoint import ChargePoint
from domain.charger import Charger, ChargerSettings, csms_url
from domain.clock import Clock, iso
from domain.commands import (
    CacheReset,
    ClearLocalAuthList,
    CommandPayload,
    CommandType,
    Configuration,
    LocalAuthList,
    ProxyMessage,
)
from domain.connector_state import ConnectorState, LocalListEntry
from domain.failures import FailureCode
from domain.logs import log_context
from domain.outcomes import (
    CacheResetOutcome,
    ClearLocalListOutcome,
    ConfigurationKeyOutcome,
    ConfigurationOutcome,
    GenericOutcome,
    LocalListOutcome,
    Outcome,
    ProxyOutcome,
)
from domain.protocol import OcppVersion
from ocpp_bridge import configuration, metrics
from ocpp_bridge.connection import CALLERROR, CALLRESULT, RecordingConnection
from ocpp_bridge.core import guards, transaction_messages
from ocpp_bridge.core.effects import Answered, Failed, Result, SendCall, Step
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.meter import EvModel, Meter, Reading
from ocpp_bridge.core.transaction_messages import RetryPolicy
from ocpp_bridge.security import connect_options
from ocpp_bridge.unsupported import answer_unsupported_actions
from ocpp_bridge.validation import SchemaViolation
from ocpp_bridge.writer import EventWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

# The command being carried out by the current task (the intent worker), so that what the session,
# heartbeat and meter tasks do meanwhile is not attributed to it.
_running_command: ContextVar[UUID | None] = ContextVar("running_command", default=None)


# Commands that change only the charger itself (no frame), and the runtime commands.
LOCAL_COMMANDS = frozenset(
    {
        "configuration",
        "cache_reset",
        "local_auth_list",
        "clear_local_auth_list",
        "start_charger",
        "stop_charger",
        "restart_charger",
    }
)


@dataclass
class StationSettings:
    response_timeout: float = 30.0
    connect_timeout: float = 10.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    online_wait: float = 15.0  # real seconds a command waits for a (re)connecting charger to come online


@dataclass
class FollowUp:
    """Work a CSMS call asks for, done by the intent worker once our answer to it has been sent."""

    after_message_id: str | None
    run: Callable[[], Awaitable[None]]
    description: str = ""


@dataclass
class ConnectorRuntime:
    """What the simulation keeps beside the recorded state: the car and the meter integrator."""

    meter: Meter
    ev: EvModel | None = None
    last_advance: float | None = None
    power_w: float = 0.0
    last_sample: tuple[str | None, Reading] | None = None  # (transaction, reading) recorded last
    energy_cap_wh: float | None = None  # the register value at which the session's energy target is met


# How a command is carried out on a charger: an (unbound) station method taking the command's payload.
CommandHandler = Callable[[Any, Any], Awaitable[Outcome]]


class Station(ABC):
    version: ClassVar[OcppVersion]
    subprotocol: ClassVar[str]
    calls: ClassVar[ModuleType]  # the ocpp library's call payloads of this version
    # Every CommandType → its handler on this version (tests/unit/cores check that none is missing).
    commands: ClassVar[Mapping[CommandType, CommandHandler]]

    @property
    def schema_version(self) -> str:
        return "1.6" if self.version is OcppVersion.V16 else "2.0.1"

    def __init__(
        self,
        charger: Charger,
        cp: ChargePoint,
        writer: EventWriter,
        clock: Clock,
        settings: StationSettings,
    ) -> None:
        self.charger = charger
        self.cp = cp
        self.writer = writer
        self.clock = clock
        self.settings = settings
        self.identity = charger.identity
        # Seeded by identity and how far the charger's history goes: a replay of the same intent on a fresh
        # charger draws the same cars and message ids; a restart of a running one draws new ones.
        self.rng = random.Random(f"{charger.identity}:{cp.version}")
        self.intents: asyncio.Queue[Any] = asyncio.Queue()
        self.should_run = asyncio.Event()
        self.online = asyncio.Event()  # connected and boot Accepted
        self.reported = asyncio.Event()  # and the boot-time status of every connector was reported
        self.connection: RecordingConnection | None = None
        self.client: Any = None
        self.call_lock = asyncio.Lock()
        self.outbox_lock = asyncio.Lock()  # one delivery of the queued transaction messages at a time
        self._outbox_task: asyncio.Task[None] | None = None
        self._call_commands: dict[str, UUID | None] = {}
        self.heartbeat_interval = int(self.config("HeartbeatInterval"))
        self._tasks: list[asyncio.Task[Any]] = []
        self._wake_meter = asyncio.Event()
        self._reconnect_now = asyncio.Event()
        self._rebooting: float | None = None  # seconds a Reset keeps the charger away
        self.failed: BaseException | None = None
        per_connector_w = charger.spec.max_power_w / (
            1 if charger.spec.current_type == "ac" else charger.spec.connector_count
        )
        self.runtime: dict[int, ConnectorRuntime] = {}
        for n, state in cp.connectors.items():
            runtime = ConnectorRuntime(
                meter=Meter(charger.spec.current_type, per_connector_w, float(state.energy_wh))
            )
            if state.plugged:
                runtime.ev = EvModel.arrive(self.rng, state.ev_max_power_w)
                if state.soc is not None:
                    runtime.ev.soc = state.soc
            self.runtime[n] = runtime

    # --- recording -----------------------------------------------------------------------------------

    def record(self) -> asyncio.Future[None]:
        return self.writer.submit(self.cp.collect_events())

    async def durable(self) -> None:
        await self.record()

    @property
    def current_command(self) -> UUID | None:
        return _running_command.get()

    def record_frame(
        self, direction: str, raw: str, message_type: int | None, message_id: str | None, action: str | None
    ) -> asyncio.Future[None] | None:
        # A CALL belongs to the command of the task that sends it; its answer, read by the reader task,
        # belongs to the same command.
        command_id = None
        if message_id is not None:
            if direction == "cp_to_csms" and message_type == 2:
                command_id = self.current_command
                self._call_commands[message_id] = command_id
            elif direction == "csms_to_cp" and message_type in (3, 4):
                command_id = self._call_commands.pop(message_id, None)
        self.cp.frame_recorded(direction, message_type, message_id, action, raw, command_id)
        future = self.record()
        return future if direction == "cp_to_csms" else None

    # --- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return csms_url(self.charger.settings.ws_url, self.identity)

    def start(self) -> None:
        if self.charger.running:
            self.should_run.set()
        # The tasks copy this context: whatever they log names the charger.
        with log_context(charger_id=self.charger.id, identity=self.identity):
            self._tasks = [
                asyncio.create_task(self._connection_loop(), name=f"{self.identity}-connection"),
                asyncio.create_task(self._intent_worker(), name=f"{self.identity}-intents"),
                asyncio.create_task(self._meter_loop(), name=f"{self.identity}-meter"),
            ]
        metrics.STATIONS.started(self)

    async def stop(self, record: bool = True) -> None:
        """Stop every task and close the connection; `record=False` when the stream now belongs to
        another bridge and nothing more may be written to it from here."""
        self.should_run.clear()
        metrics.STATIONS.stopped(self)
        if self._outbox_task is not None:
            self._tasks.append(self._outbox_task)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close()
        if record:
            await self.record()
        else:
            self.cp.collect_events()

    def config(self, key: str) -> str:
        if key in self.cp.config:
            return self.cp.config[key]
        if key == "NumberOfConnectors":
            return str(len(self.cp.connectors))
        return configuration.KEYS[key].default

    def config_bool(self, key: str) -> bool:
        return self.config(key).lower() == "true"

    def new_message_id(self) -> str:
        # Seeded per charger, so a replay of the same intent produces the same ids.
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- connection ------------------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        attempt = 0
        while True:
            await self.should_run.wait()
            self._reconnect_now.clear()
            reason = "closed"
            try:
                async with websockets.connect(
                    self.url,
                    subprotocols=[Subprotocol(self.subprotocol)],
                    compression=None,  # ~45 KB per connection otherwise; OCPP frames are small
                    open_timeout=self.settings.connect_timeout,
                    ping_interval=None,
                    max_size=2**22,
                    **connect_options(self.charger.settings, self.identity),  # TLS, security profile 1/2
                ) as ws:
                    attempt = 0
                    self.connection = RecordingConnection(ws, self.record_frame, self.schema_version)
                    self.cp.connected_to(self.url, ws.subprotocol or "")
                    self.record()
                    self.client = self.make_client(self.connection)
                    for route in self.client.route_map.values():
                        route["_skip_schema_validation"] = True  # the seam checks, with compiled schemas
                    answer_unsupported_actions(self.client, self.version)  # NotSupported / NotImplemented
                    reader = asyncio.create_task(self.client.start(), name=f"{self.identity}-reader")
                    session = asyncio.create_task(self._session(), name=f"{self.identity}-session")
                    restart = asyncio.create_task(self._reconnect_now.wait())
                    tasks = (reader, session, restart)
                    try:
                        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for task in tasks:
                            task.cancel()
                        await asyncio.gather(*tasks, return_exceptions=True)
                    for task in done:
                        error = None if task is restart or task.cancelled() else task.exception()
                        if error is not None:
                            raise error
                    reason = "restart requested" if restart in done else "closed"
            except ConnectionClosed as closed:
                reason = "connection closed (" + _close_codes(closed) + ")"
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
                reason = f"{type(error).__name__}: {error}"
            except CommandError as error:  # the boot or the boot-time reports failed (lost, refused)
                reason = f"{error.code}: {error.message}"
            except asyncio.CancelledError:
                self.online.clear()
                raise
            except Exception as error:  # a bug must not kill the charger: record it and reconnect
                log.exception("%s: connection failed", self.identity)
                reason = f"{type(error).__name__}: {error}"
            finally:
                self.online.clear()
                self.reported.clear()
                self.connection = None
            if not self.should_run.is_set() or self._reconnect_now.is_set() or reason == "restart requested":
                rebooting, self._rebooting = self._rebooting, None
                self.cp.disconnected("rebooting" if rebooting is not None else reason, rebooting)
                self.record()
                if rebooting:
                    await self._offline_for(rebooting)
                continue
            delay = min(self.settings.backoff_max, self.settings.backoff_initial * 2**attempt)
            delay = self.rng.uniform(delay / 2, delay)  # full jitter in the upper half
            attempt += 1
            self.cp.disconnected(reason, round(delay, 3))
            self.record()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reconnect_now.wait(), self.clock.real_seconds(delay))

    async def _session(self) -> None:
        """Boot, report, then heartbeat until the connection ends."""
        await self.boot()
        self.online.set()
        self._wake_meter.set()
        await self.report_all()
        self.reported.set()
        await self._heartbeat_loop()

    async def _heartbeat_loop(self) -> None:
        # A fixed phase per charger: 'sleep the interval minus the time spent' drifts fleets into bursts.
        phase = self.rng.uniform(0, max(1, self.heartbeat_interval))
        next_beat = self.clock.monotonic() + phase
        while True:
            await asyncio.sleep(self.clock.real_seconds(max(0.0, next_beat - self.clock.monotonic())))
            with contextlib.suppress(CommandError):
                await self.heartbeat()
            interval = max(1, self.heartbeat_interval)
            next_beat += interval
            now = self.clock.monotonic()
            if next_beat < now:  # we fell behind (e.g. a slow CSMS): skip, keep the phase
                next_beat += interval * ((now - next_beat) // interval + 1)

    def restart_connection(self) -> None:
        self._reconnect_now.set()

    def reboot(self) -> None:
        """A Reset of the whole charger: the connection closes, and the charger is back after its reboot
        duration (the RebootDuration key, in simulated seconds). CSMSs rely on a charger being away for a
        while after a Reset (it takes seconds to minutes on a real one)."""
        self._rebooting = max(0.0, float(self.config("RebootDuration")))
        self.restart_connection()

    async def _offline_for(self, seconds: float) -> None:
        self._reconnect_now.clear()
        with contextlib.suppress(TimeoutError):  # a restart requested meanwhile ends the reboot early
            await asyncio.wait_for(self._reconnect_now.wait(), self.clock.real_seconds(seconds))

    async def close_connection(self) -> None:
        self.should_run.clear()
        self._reconnect_now.set()

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
                self.record()
                return cast(T, done.value)
            self.record()
            if isinstance(effect, SendCall):
                try:
                    result = Answered(await self.call(effect.payload))
                except CommandError as error:
                    result = Failed(error.code, error.message)
            else:
                await asyncio.sleep(self.clock.real_seconds(effect.seconds))
                result = None

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
                if _connection_settings(event.settings) != _connection_settings(old):
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

    # --- local commands (no frames: the charger's own configuration and lists) ---------------------

    async def cmd_configuration(self, payload: Configuration) -> Outcome:
        results = []
        for item in payload.configuration:
            status, key = configuration.decide_change(item.key, item.value)
            if key is not None and status in ("Accepted", "RebootRequired"):
                self.apply_configuration(key.name, configuration.normalise(key, item.value))
            results.append(ConfigurationKeyOutcome(key=item.key, status=status))
        configured = [r.key for r in results if r.status in ("Accepted", "RebootRequired")]
        statuses = {r.status for r in results}
        overall = statuses.pop() if len(statuses) == 1 else "Partial"
        return ConfigurationOutcome(
            status=overall,
            configured=configured,
            msg=f"{len(configured)} of {len(results)} keys configured",
            results=results,
        )

    def apply_configuration(self, key: str, value: str) -> None:
        self.cp.configuration_changed(key, value, self.current_command)
        if key == "HeartbeatInterval":
            self.heartbeat_interval = int(value)
        if key == "MeterValueSampleInterval":
            self._wake_meter.set()

    async def cmd_cache_reset(self, payload: CacheReset) -> Outcome:
        entries = len(self.cp.auth_cache)
        self.cp.auth_cache_cleared(entries, self.current_command)
        return CacheResetOutcome(msg="authorization cache cleared", cleared_entries=entries)

    async def cmd_local_auth_list(self, payload: LocalAuthList) -> Outcome:
        received = len(payload.entries)
        if payload.list_version <= self.cp.local_list_version:
            return LocalListOutcome(
                status="VersionMismatch", list_version=self.cp.local_list_version, entries_received=received
            )
        entries = [
            LocalListEntry(
                id_tag=e.id_tag,
                status=str(e.status or "Accepted"),  # a Full list entry without a status is allowed
                expiry_date=None if e.expiry_date is None else iso(e.expiry_date),
                parent_id_tag=e.parent_id_tag,
            )
            for e in payload.entries
            if e.status is not None or payload.update_type == "Full"
        ]
        removed = [
            e.id_tag for e in payload.entries if e.status is None and payload.update_type == "Differential"
        ]
        self.cp.local_list_changed(
            payload.list_version, payload.update_type, entries, removed, self.current_command
        )
        return LocalListOutcome(
            status="Accepted", list_version=payload.list_version, entries_received=received
        )

    async def cmd_clear_local_auth_list(self, payload: ClearLocalAuthList) -> Outcome:
        entries = len(self.cp.local_list)
        self.cp.local_list_cleared(entries, self.current_command)
        return ClearLocalListOutcome(msg="local authorization list cleared", entries_deleted=entries)

    async def cmd_proxy_message(self, payload: ProxyMessage) -> Outcome:
        return ProxyOutcome(response=await self.raw_call(payload.action, payload.payload))

    # --- authorization decided locally ----------------------------------------------------------------

    def local_authorization(self, id_tag: str) -> str | None:
        """The status the charger knows for a tag without asking (local list first, then cache)."""
        if self.config_bool("LocalAuthListEnabled") and id_tag in self.cp.local_list:
            return self.cp.local_list[id_tag].status
        if self.config_bool("AuthorizationCacheEnabled") and id_tag in self.cp.auth_cache:
            return self.cp.auth_cache[id_tag]
        return None

    async def authorize_tag(self, id_tag: str) -> str:
        """Ask the CSMS; offline, fall back to the local list and cache (LocalAuthorizeOffline)."""
        if not self.online.is_set():
            known = self.local_authorization(id_tag) if self.config_bool("LocalAuthorizeOffline") else None
            if known is None and self.config_bool("AllowOfflineTxForUnknownId"):
                known = "Accepted"  # 2.0.1 OfflineTxForUnknownIdEnabled: an unknown token charges offline
            if known is None:
                raise CommandError(
                    FailureCode.CHARGER_NOT_CONNECTED,
                    "offline, and the tag is in neither the local list nor the cache",
                )
            self.cp.authorized(id_tag, known, "local", self.current_command)
            return known
        if self.config_bool("LocalPreAuthorize"):
            known = self.local_authorization(id_tag)
            if known == "Accepted":
                self.cp.authorized(id_tag, known, "local", self.current_command)
                return known
        status = await self.authorize_remote(id_tag)
        self.cp.authorized(id_tag, status, "csms", self.current_command)
        return status

    # --- connectors and meter --------------------------------------------------------------------------

    def connector_number(self, payload: Any) -> int:
        return guards.connector_exists(self.cp, payload.connector())

    def state(self, connector_id: int) -> ConnectorState:
        return self.cp.connectors[connector_id]

    def charging(self, connector_id: int) -> bool:
        c = self.state(connector_id)
        return c.transaction_id is not None and c.plugged and c.ev_requesting and c.fault is None

    def settle(self, connector_id: int) -> Reading:
        """Integrate energy up to now at the power that was flowing, then set the power for what follows.
        A change of power during a transaction is recorded as a meter sample: power is constant between
        samples, so the auto-stop policy can tell from the latest one when an energy target is reached."""
        runtime = self.runtime[connector_id]
        now = self.clock.monotonic()
        c = self.state(connector_id)
        if c.transaction_id is None:
            runtime.energy_cap_wh = None  # a session's energy target ends with its transaction
        if runtime.last_advance is not None:
            runtime.meter.advance(
                runtime.ev, runtime.power_w, now - runtime.last_advance, runtime.energy_cap_wh
            )
        runtime.last_advance = now
        was = runtime.power_w
        runtime.power_w = runtime.meter.power_w(
            runtime.ev, charging=self.charging(connector_id), offered_w=c.offered_power_w, limit_w=c.limit_w
        )
        if runtime.energy_cap_wh is not None and runtime.meter.energy_wh >= runtime.energy_cap_wh:
            runtime.power_w = 0.0
        reading = runtime.meter.reading(runtime.ev, runtime.power_w, self.clock.now())
        if runtime.power_w != was and c.transaction_id is not None:
            self.record_sample(connector_id, reading)
        return reading

    def limit_energy(self, connector_id: int, target_kwh: float | None) -> None:
        """A session with an energy target: the charger stops delivering at the target, as a car with a
        charge limit does, whenever the auto-stop policy's stop arrives (it is queued for the instant the
        target is reached; this makes the energy exact however late it is carried out)."""
        state = self.state(connector_id)
        if target_kwh is None or state.transaction_id is None or state.meter_start_wh is None:
            return
        self.settle(connector_id)
        self.runtime[connector_id].energy_cap_wh = state.meter_start_wh + target_kwh * 1000.0

    def sample_interval(self) -> float:
        return max(1.0, float(self.config("MeterValueSampleInterval")))

    async def _meter_loop(self) -> None:
        phase = self.rng.uniform(0, self.sample_interval())
        next_sample = self.clock.monotonic() + phase
        while True:
            delay = self.clock.real_seconds(max(0.0, next_sample - self.clock.monotonic()))
            self._wake_meter.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_meter.wait(), delay)
                continue  # interval changed: recompute the next sample time
            for connector_id, state in list(self.cp.connectors.items()):
                if state.transaction_id is None:
                    continue
                reading = self.settle(connector_id)
                self.record_sample(connector_id, reading)
                self.record()
                if self.online.is_set():
                    async with self.call_lock:  # the transaction may end while we wait to send
                        still_running = self.state(connector_id).transaction_id == state.transaction_id
                    if still_running:
                        with contextlib.suppress(CommandError):
                            await self.send_meter_values(connector_id, reading, "Sample.Periodic")
            interval = self.sample_interval()
            next_sample += interval
            now = self.clock.monotonic()
            if next_sample < now:
                next_sample += interval * ((now - next_sample) // interval + 1)

    def record_sample(self, connector_id: int, reading: Reading) -> None:
        state = self.state(connector_id)
        runtime = self.runtime[connector_id]
        if runtime.last_sample == (state.transaction_id, reading):
            return  # recorded already (settle records a change of power; its callers may record it too)
        runtime.last_sample = (state.transaction_id, reading)
        self.cp.meter_sampled(
            connector_id,
            state.transaction_id,
            reading.energy_wh,
            reading.power_w,
            reading.voltage_v,
            reading.current_a,
            reading.soc,
            iso(reading.taken_at or self.clock.now()),
        )

    def ev_arrives(self, connector_id: int, max_power_w: float | None = None) -> None:
        self.runtime[connector_id].ev = EvModel.arrive(self.rng, max_power_w)

    def ev_leaves(self, connector_id: int) -> None:
        self.runtime[connector_id].ev = None

    # --- what each version must provide ------------------------------------------------------------

    @abstractmethod
    def make_client(self, connection: RecordingConnection) -> Any: ...

    @abstractmethod
    async def boot(self) -> None: ...

    @abstractmethod
    async def report_all(self) -> None: ...

    @abstractmethod
    async def heartbeat(self) -> None: ...

    @abstractmethod
    async def authorize_remote(self, id_tag: str) -> str: ...

    @abstractmethod
    async def send_meter_values(self, connector_id: int, reading: Reading, context: str) -> None: ...


# The commands both versions carry out the same way: the runtime commands, the charger's own configuration
# and lists (no frame), and proxy-message.
SHARED_COMMANDS: dict[CommandType, CommandHandler] = {
    CommandType.START_CHARGER: Station.cmd_start_charger,
    CommandType.STOP_CHARGER: Station.cmd_stop_charger,
    CommandType.RESTART_CHARGER: Station.cmd_restart_charger,
    CommandType.CONFIGURATION: Station.cmd_configuration,
    CommandType.CACHE_RESET: Station.cmd_cache_reset,
    CommandType.LOCAL_AUTH_LIST: Station.cmd_local_auth_list,
    CommandType.CLEAR_LOCAL_AUTH_LIST: Station.cmd_clear_local_auth_list,
    CommandType.PROXY_MESSAGE: Station.cmd_proxy_message,
}


def _connection_settings(settings: ChargerSettings) -> tuple[Any, ...]:
    """What the connection is opened with: a change reconnects."""
    return (settings.ws_url, settings.tls_verify, settings.basic_auth_password)


def _close_codes(closed: ConnectionClosed) -> str:
    parts = []
    if closed.rcvd is not None:
        parts.append(f"received {closed.rcvd.code} {closed.rcvd.reason}".strip())
    if closed.sent is not None:
        parts.append(f"sent {closed.sent.code} {closed.sent.reason}".strip())
    return ", ".join(parts) or "no close frame"
