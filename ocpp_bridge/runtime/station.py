"""One simulated charger: a thin asyncio shell around its ChargePoint aggregate.

The station owns three tasks: the connection (connect, boot, heartbeat, reconnect with jittered backoff),
the intent worker (the charger's queued commands and CSMS follow-ups, one at a time, in order), and the
meter (samples every MeterValueSampleInterval on a fixed per-charger phase). Everything it observes is
recorded on the aggregate and handed to the bridge's writer; commands are marked dispatched, durably,
before their first frame leaves.

Version-specific behaviour (message sequences, CSMS-initiated calls) lives in the subclasses
`ocpp_bridge.v16.V16Station` and `ocpp_bridge.v201.V201Station`. The shell is layered, one concern per
module: station_connection (state, recording, the connection loop), station_calls (calls, the step driver,
the transaction-message queue), station_intents (the intent worker and command dispatch), and this module
(lifecycle, local commands, local authorization, the meter).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from domain.clock import iso
from domain.commands import (
    CacheReset,
    ClearLocalAuthList,
    CommandType,
    Configuration,
    EvTargetSoc,
    LocalAuthList,
    ProxyMessage,
)
from domain.connector_state import ConnectorState, LocalListEntry
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
from ocpp_bridge.core import authorization, configuration, guards
from ocpp_bridge.core.authorization import AuthorizationSettings
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.meter import Reading
from ocpp_bridge.runtime import metrics
from ocpp_bridge.runtime.station_connection import (
    CommandHandler,
    ConnectorRuntime,
    FollowUp,
    StationSettings,
)
from ocpp_bridge.runtime.station_intents import StationIntents

log = logging.getLogger(__name__)

__all__ = ["SHARED_COMMANDS", "ConnectorRuntime", "FollowUp", "Station", "StationSettings"]


class Station(StationIntents):
    """The assembled shell of one charger; each version's station (V16Station, V201Station) extends it."""

    # --- lifecycle: the three tasks of a running charger ---------------------------------------------

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
        self._tasks.extend(self._background)
        for runtime in self.runtime.values():
            if runtime.charge_limit_timer is not None:
                runtime.charge_limit_timer.cancel()
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

    def authorization_settings(self) -> AuthorizationSettings:
        return AuthorizationSettings(
            local_list_enabled=self.config_bool("LocalAuthListEnabled"),
            cache_enabled=self.config_bool("AuthorizationCacheEnabled"),
            offline=self.config_bool("LocalAuthorizeOffline"),
            pre_authorize=self.config_bool("LocalPreAuthorize"),
            offline_unknown=self.config_bool("AllowOfflineTxForUnknownId"),
        )

    async def authorize_tag(self, id_tag: str) -> str:
        """Ask the CSMS; offline, fall back to the local list and cache (ocpp_bridge.core.authorization)."""
        return await self.run_step(
            authorization.authorize(
                self.cp,
                id_tag,
                self.authorization_settings(),
                online=self.online.is_set(),
                request=self.authorize_request(id_tag),
                status_of=self.authorized_status,
                command_id=self.current_command,
            )
        )

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
        self._watch_charge_limit(connector_id)
        return reading

    def _watch_charge_limit(self, connector_id: int) -> None:
        """Power is constant until the next settle, so the moment the EV reaches its target SoC is known:
        a timer then settles again (the meter stops exactly at the limit) and reports SuspendedEV."""
        runtime = self.runtime[connector_id]
        if runtime.charge_limit_timer is not None:
            runtime.charge_limit_timer.cancel()
            runtime.charge_limit_timer = None
        seconds = None if runtime.ev is None else runtime.ev.seconds_to_target(runtime.power_w)
        if seconds is None:
            return
        # A millisecond late rather than early: the meter caps at the limit, an early settle would not
        # reach it.
        runtime.charge_limit_timer = asyncio.get_running_loop().call_later(
            self.clock.real_seconds(seconds) + 0.001, self._charge_limit_reached, connector_id
        )

    def _charge_limit_reached(self, connector_id: int) -> None:
        self.runtime[connector_id].charge_limit_timer = None
        task = asyncio.create_task(self._report_charge_limit(connector_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _report_charge_limit(self, connector_id: int) -> None:
        with contextlib.suppress(CommandError):  # offline: the status follows with the next report
            await self.update_charging(connector_id)

    async def cmd_ev_target_soc(self, payload: EvTargetSoc) -> Outcome:
        connector_id = self.connector_number(payload)

        def change() -> None:
            self.cp.ev_target_soc_set(connector_id, payload.target_soc, payload.soc, self.current_command)
            ev = self.runtime[connector_id].ev
            if ev is not None:
                ev.target_soc = payload.target_soc
                if payload.soc is not None:
                    ev.soc = payload.soc

        await self.update_charging(connector_id, change)
        whose = "the EV" if self.runtime[connector_id].ev is not None else "the next EV"
        return GenericOutcome(
            status=self.state(connector_id).status,
            msg=f"{whose} stops drawing energy at {payload.target_soc:g} % state of charge",
        )

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
                # Offline, a running charger queues the sample with the transaction's other messages
                # (1.6 §3.14 and 2.0.1 E04: "offline"); it reaches the CSMS once the charger is back.
                if self.online.is_set() or self.should_run.is_set():
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
        self.runtime[connector_id].ev = self.car_on(self.state(connector_id), max_power_w)

    def ev_leaves(self, connector_id: int) -> None:
        self.runtime[connector_id].ev = None

    # --- what each version must provide ------------------------------------------------------------

    @abstractmethod
    def authorize_request(self, id_tag: str) -> Any:
        """This version's Authorize call for the tag."""

    @abstractmethod
    def authorized_status(self, answer: Any) -> str:
        """The idTagInfo (1.6) / idTokenInfo (2.0.1) status of an Authorize answer."""

    @abstractmethod
    async def update_charging(self, connector_id: int, change: Callable[[], None] | None = None) -> None:
        """Settle the meter, apply a change of power, demand or limit, and report the status it leads to."""

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
    CommandType.DROP_NETWORK: Station.cmd_drop_network,
    CommandType.EV_TARGET_SOC: Station.cmd_ev_target_soc,
}
