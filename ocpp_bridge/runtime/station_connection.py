"""The station shell, first layer: its state, recording, lifecycle and the connection (connect, boot,
report, heartbeat, reconnect with jittered backoff, reboot)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from domain.chargepoint import ChargePoint
from domain.charger import Charger, ChargerSettings, csms_url
from domain.clock import Clock
from domain.commands import (
    CommandType,
)
from domain.connector_state import ConnectorState
from domain.outcomes import (
    Outcome,
)
from domain.protocol import OcppVersion
from ocpp_bridge.core import configuration
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.meter import EvModel, Meter, Reading
from ocpp_bridge.runtime.connection import RecordingConnection
from ocpp_bridge.runtime.security import connect_options
from ocpp_bridge.runtime.unsupported import answer_unsupported_actions
from ocpp_bridge.runtime.writer import EventWriter

log = logging.getLogger("ocpp_bridge.runtime.station")  # one logger for every layer of the station shell
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
        "fail_firmware",
        "fail_upload",
        "drop_network",
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
    charge_limit_timer: asyncio.TimerHandle | None = None  # fires when the EV reaches its target SoC


# How a command is carried out on a charger: an (unbound) station method taking the command's payload.
CommandHandler = Callable[[Any, Any], Awaitable[Outcome]]


class StationConnection(ABC):
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
        self._background: set[asyncio.Task[None]] = set()  # short tasks a timer starts
        self._wake_meter = asyncio.Event()
        self._reconnect_now = asyncio.Event()
        self._rebooting: float | None = None  # seconds a Reset keeps the charger away
        self._network_back_at: float | None = None  # simulated monotonic time a dropped network is back
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
                runtime.ev = self.car_on(state, state.ev_max_power_w)
            self.runtime[n] = runtime

    def car_on(self, state: ConnectorState, max_power_w: float | None) -> EvModel:
        """The car on a connector: drawn by the charger's seeded randomness, with what is on record of it
        (its state of charge, its charge limit: an ev-target-soc command may have come before the car)."""
        ev = EvModel.arrive(self.rng, max_power_w)
        if state.soc is not None:
            ev.soc = state.soc
        ev.target_soc = state.ev_target_soc
        return ev

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

    def connection_refused(self, error: BaseException | None) -> None:
        """A connection attempt failed with `error` (None: one succeeded); see station_certificates."""
        return

    def tls_identity(self) -> tuple[tuple[str, str] | None, str]:
        """Security profile 3: our client certificate (chain, key) if we have one, and the trusted roots."""
        return None, ""

    async def _connection_loop(self) -> None:
        attempt = 0
        while True:
            await self._network_back()
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
                    # TLS, security profiles 1-3
                    **connect_options(self.charger.settings, self.identity, *self.tls_identity()),
                ) as ws:
                    attempt = 0
                    self.connection_refused(None)
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
                self.connection_refused(error)  # a security event, if the CSMS refused us or its TLS failed
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
            if self._network_back_at is not None:  # the drop-network command cut the connection
                attempt = 0
                left = max(0.0, self._network_back_at - self.clock.monotonic())
                self.cp.disconnected("network dropped", round(left, 3))
                self.record()
                continue
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

    def drop_network(self, seconds: float) -> bool:
        """The network is gone for `seconds` (simulated): the TCP connection is cut without a WebSocket
        close, as a lost network leaves it, and no connection is tried until it is back. The charger runs
        on meanwhile. True if a connection was cut."""
        self._network_back_at = self.clock.monotonic() + seconds
        if self.connection is None:
            return False
        self.connection.ws.transport.abort()
        return True

    async def _network_back(self) -> None:
        while self._network_back_at is not None:
            left = self._network_back_at - self.clock.monotonic()
            if left <= 0:
                self._network_back_at = None
                return
            await asyncio.sleep(self.clock.real_seconds(left))

    async def close_connection(self) -> None:
        self.should_run.clear()
        self._reconnect_now.set()

    # --- what each version must provide to connect -------------------------------------------------

    @abstractmethod
    def make_client(self, connection: RecordingConnection) -> Any: ...

    @abstractmethod
    async def boot(self) -> None: ...

    @abstractmethod
    async def report_all(self) -> None: ...

    @abstractmethod
    async def heartbeat(self) -> None: ...


def connection_settings(settings: ChargerSettings) -> tuple[Any, ...]:
    """What the connection is opened with: a change reconnects."""
    return (settings.ws_url, settings.tls_verify, settings.basic_auth_password)


def _close_codes(closed: ConnectionClosed) -> str:
    parts = []
    if closed.rcvd is not None:
        parts.append(f"received {closed.rcvd.code} {closed.rcvd.reason}".strip())
    if closed.sent is not None:
        parts.append(f"sent {closed.sent.code} {closed.sent.reason}".strip())
    return ", ".join(parts) or "no close frame"
