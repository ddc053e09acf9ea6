"""OCPP 2.0.1 transactions: TransactionEvent Started/Updated/Ended with seqNo, plug, unplug, authorize,
stop, and what was Scheduled until a transaction ends."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ocpp.v201 import call

from domain.clock import iso
from domain.failures import FailureCode
from domain.reservations import ReservationEnd
from ocpp_bridge.core import guards, reservations
from ocpp_bridge.core.effects import Answered
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.meter import Reading
from ocpp_bridge.runtime.station import FollowUp
from ocpp_bridge.v201 import rules, tx_points
from ocpp_bridge.v201.rules import ENERGY
from ocpp_bridge.v201.session import V201Session


class V201Transactions(V201Session):
    """Transactions (started and ended where TxStartPoint and TxStopPoint say) and their TransactionEvents."""

    def reset_follow_up(self, evse_id: int) -> Callable[[], Awaitable[None]]:
        async def follow_up() -> None:
            targets = list(self.cp.connectors) if evse_id == 0 else [evse_id]
            for n in targets:
                if self.state(n).transaction_id is not None:
                    await self.end_transaction(n, "ResetCommand", "ImmediateReset")
            if evse_id == 0:
                self.boot_reason = "RemoteReset"
                self.record()
                self.reboot()

        return follow_up

    def availability_follow_up(self, evse_id: int) -> Callable[[], Awaitable[None]]:
        async def follow_up() -> None:
            for n in list(self.cp.connectors) if evse_id == 0 else [evse_id]:
                await self.refresh_status(n, availability_event=True)

        return follow_up

    async def send_meter_values(self, connector_id: int, reading: Reading, context: str) -> None:
        if context != "Sample.Periodic":
            await self.call(
                call.MeterValues(
                    evse_id=connector_id,
                    meter_value=[
                        self.meter_value(reading, context, self.measurands("MeterValuesSampledData"))
                    ],
                )
            )
            return
        async with self.tx_lock:
            if self.state(connector_id).transaction_id is None:
                return  # it ended while this sample waited
            fresh = self.settle(connector_id)
            if fresh.power_w != reading.power_w:  # a command changed the power while this sample waited
                reading = fresh
                self.record_sample(connector_id, reading)
            now_state = self.charging_state(connector_id)
            if self.state(connector_id).reported_charging_state != now_state:
                await self._send(connector_id, "Updated", "ChargingStateChanged", charging_state=now_state)
            await self._send(
                connector_id,
                "Updated",
                "MeterValuePeriodic",
                charging_state=now_state,
                meter=self.meter_value(reading, context, self.measurands("MeterValuesSampledData")),
            )

    def charging(self, connector_id: int) -> bool:
        return rules.energy_may_flow(self.state(connector_id))

    def authorized_transaction(self, connector_id: int) -> bool:
        return rules.authorized_transaction(self.state(connector_id))

    def charging_state(self, connector_id: int) -> str:
        runtime = self.runtime[connector_id]
        return rules.charging_state(self.state(connector_id), runtime.ev, runtime.power_w)

    async def _send(
        self,
        connector_id: int,
        event_type: str,
        trigger: str,
        *,
        transaction_id: str | None = None,
        charging_state: str | None = None,
        stopped_reason: str | None = None,
        id_token: dict[str, str] | None = None,
        remote_start_id: int | None = None,
        meter: dict[str, Any] | None = None,
        reservation_id: int | None = None,
    ) -> Any:
        """One TransactionEvent with the next seqNo; the caller holds tx_lock. The answer, or None when it
        was queued: offline (flagged offline), behind queued ones, or because its try failed (it is retried
        in order, and the step goes on as if it had been delivered, as offline)."""
        assert self.tx_lock.locked()
        state = self.state(connector_id)
        transaction_id = transaction_id or state.transaction_id
        if transaction_id is None:
            return None
        seq_no = state.seq_no
        # Consumed before it leaves: never sent twice. The chargingState it reports is the one on record.
        self.cp.sequence_advanced(connector_id, seq_no + 1, charging_state)
        message = call.TransactionEvent(
            event_type=event_type,
            timestamp=iso(self.clock.now()),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info={
                "transaction_id": transaction_id,
                "charging_state": charging_state,
                "stopped_reason": stopped_reason,
                "remote_start_id": remote_start_id,
            },
            meter_value=None if meter is None else [meter],
            offline=True if not self.online.is_set() else None,
            evse={"id": connector_id, "connector_id": 1},
            id_token=id_token,
            reservation_id=reservation_id,
        )
        # Behind queued events it waits its turn: the CSMS gets a transaction's events in seqNo order. One
        # cut off during the call may have arrived: it is sent again, and the CSMS dedups by seqNo.
        result = await self.transact(message, connector_id)
        return result.payload if isinstance(result, Answered) else None

    async def _start(
        self,
        connector_id: int,
        trigger: str,
        *,
        id_token: dict[str, str] | None = None,
        remote_start_id: int | None = None,
        reservation_id: int | None = None,
    ) -> tuple[str, Any]:
        """Start a transaction (TransactionEvent Started); the caller holds tx_lock."""
        reading = self.settle(connector_id)
        transaction_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        ev = self.runtime[connector_id].ev
        self.cp.transaction_started(
            connector_id,
            transaction_id,
            None,
            reading.energy_wh,
            iso(self.clock.now()),
            None,
            self.current_command,
            None if ev is None else ev.max_power_w,
            None if ev is None else ev.soc,
        )
        response = await self._send(
            connector_id,
            "Started",
            trigger,
            charging_state="EVConnected" if self.state(connector_id).plugged else "Idle",
            id_token=id_token,
            remote_start_id=remote_start_id,
            meter=self.meter_value(reading, "Transaction.Begin", [ENERGY]),
            reservation_id=reservation_id,
        )
        return transaction_id, response

    async def _report_charging(self, connector_id: int) -> None:
        """Settle the meter and report a new chargingState, if any; the caller holds tx_lock."""
        self.settle(connector_id)
        if self.state(connector_id).transaction_id is None:
            return
        now_state = self.charging_state(connector_id)
        if self.state(connector_id).reported_charging_state != now_state:
            await self._send(connector_id, "Updated", "ChargingStateChanged", charging_state=now_state)

    async def update_charging(self, connector_id: int, change: Callable[[], None] | None = None) -> None:
        """Apply a change of power, demand or limit and report the chargingState it leads to, atomically
        (the meter task never reports a state between the two)."""
        async with self.tx_lock:
            self.settle(connector_id)
            if change is not None:
                change()
            await self._report_charging(connector_id)
        self.record()

    async def plug(self, connector_id: int, ev_max_power_w: float | None = None) -> None:
        """The EV connects: Occupied, and the transaction starts (or, if it already runs, is told)."""
        async with self.tx_lock:
            state = self.state(connector_id)
            if state.plugged:
                return
            guards.usable(self.cp, state)
            self.cp.cable_plugged(connector_id, self.current_command)
            self.ev_arrives(connector_id, ev_max_power_w)
            await self.refresh_status(connector_id)
            if self.state(connector_id).transaction_id is None:
                start_points, _ = tx_points.configured(self.cp.config)
                starts = tx_points.starts(start_points, plugged=True, authorized=False)
                if starts and self.online.is_set():  # offline, it starts at authorization instead
                    await self._start(connector_id, "CablePluggedIn")
            else:  # started by a remote start before the cable was in
                await self._send(connector_id, "Updated", "CablePluggedIn", charging_state="EVConnected")
            await self._report_charging(connector_id)
        self.record()
        tag = self.state(connector_id).pre_authorized
        if tag is not None:  # authorized before the cable: the power path closes now
            self.cp.pre_authorized(connector_id, None, self.current_command)
            if self.state(connector_id).transaction_id is None and self.online.is_set():
                await self.authorize_transaction(connector_id, tag, "CablePluggedIn")

    async def unplug(self, connector_id: int) -> int | None:
        """The EV leaves: Available, and the transaction ends (EVDisconnected). Returns its energy."""
        async with self.tx_lock:
            state = self.state(connector_id)
            _, stop_points = tx_points.configured(self.cp.config)
            ends = tx_points.ends_at_unplug(stop_points) and self.config_bool(
                "StopTransactionOnEVSideDisconnect"
            )
            keeps_running = self.authorized_transaction(connector_id) and not ends
            self.settle(connector_id)
            self.cp.cable_unplugged(connector_id, self.current_command)
            self.ev_leaves(connector_id)
            self.settle(connector_id)
            await self.refresh_status(connector_id)
            energy = None
            if state.transaction_id is not None and keeps_running:
                await self._send(connector_id, "Updated", "EVCommunicationLost", charging_state="Idle")
            elif state.transaction_id is not None:
                _, energy = await self._end(connector_id, "EVCommunicationLost", "EVDisconnected")
        self.record()
        if state.transaction_id is not None and not keeps_running:
            self.after_transaction(connector_id)
        return energy

    async def authorize_transaction(
        self,
        connector_id: int,
        id_tag: str,
        trigger: str,
        *,
        remote_start_id: int | None = None,
        known_status: str = "Accepted",
        record_tag: bool = False,
    ) -> tuple[str, str]:
        """Tell the CSMS who authorized the transaction on this connector (starting one if none runs,
        TxStartPoint Authorized); the CSMS's idTokenInfo decides. Returns (transaction id, status)."""
        async with self.tx_lock:
            state = self.state(connector_id)
            token = self.id_token(id_tag)
            reservation = reservations.reservation_for_start(self.cp, connector_id, id_tag)  # or refused
            held = None if reservation is None else reservation.reservation_id
            if state.transaction_id is None:
                transaction_id, response = await self._start(
                    connector_id,
                    trigger,
                    id_token=token,
                    remote_start_id=remote_start_id,
                    reservation_id=held,
                )
                self.arm_connection_timeout(connector_id, transaction_id)
            else:
                transaction_id = state.transaction_id
                response = await self._send(
                    connector_id,
                    "Updated",
                    trigger,
                    id_token=token,
                    remote_start_id=remote_start_id,
                    reservation_id=held,
                )
            if held is not None:  # its holder started: the reservation has done its job
                self.cp.reservation_ended(held, ReservationEnd.USED.value)
                await self.refresh_status(connector_id)  # no longer Reserved
            info = None if response is None else response.id_token_info
            status = known_status if info is None else str(info["status"])
            self.cp.transaction_authorized(
                connector_id, transaction_id, id_tag, status, trigger, self.current_command
            )
            if record_tag and info is not None:
                self.cp.authorized(id_tag, status, "csms", self.current_command)
            await self._report_charging(connector_id)
        self.record()
        return transaction_id, status

    def pre_authorize(self, connector_id: int, id_tag: str) -> bool:
        """An authorization before the cable, when the cable and the authorization together start the
        transaction (PowerPathClosed): kept until the cable comes, for EVConnectionTimeOut seconds."""
        state = self.state(connector_id)
        start_points, _ = tx_points.configured(self.cp.config)
        if state.transaction_id is not None or state.plugged or not tx_points.waits_for_cable(start_points):
            return False
        self.cp.pre_authorized(connector_id, id_tag, self.current_command)
        self.record()
        timeout = int(self.config("ConnectionTimeOut"))
        if timeout > 0:

            async def lapse() -> None:
                await asyncio.sleep(self.clock.real_seconds(timeout))
                if self.state(connector_id).pre_authorized == id_tag and not self.state(connector_id).plugged:
                    self.cp.pre_authorized(connector_id, None, None)
                    self.record()

            self.in_background(lapse(), "pre-authorization")
        return True

    def in_background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """A timer of the station's: cancelled with its tasks when it stops."""
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(work, name=f"{self.identity}-{name}"))

    def arm_connection_timeout(self, connector_id: int, transaction_id: str) -> None:
        """E03: a transaction started by an authorization ends (EVConnectTimeout, stoppedReason Timeout)
        when no cable is in after TxCtrlr.EVConnectionTimeOut seconds (0: it waits for ever)."""
        timeout = int(self.config("ConnectionTimeOut"))
        if timeout <= 0 or self.state(connector_id).plugged:
            return

        async def expire() -> None:
            await asyncio.sleep(self.clock.real_seconds(timeout))
            state = self.state(connector_id)
            if state.transaction_id == transaction_id and not state.plugged:
                with contextlib.suppress(CommandError):
                    await self.end_transaction(connector_id, "EVConnectTimeout", "Timeout")

        self.in_background(expire(), "connection-timeout")

    async def stop_authorize(self, connector_id: int) -> int:
        """A local stop: energy stops now; the transaction ends now if TxStopPoint says Authorized, else
        when the EV leaves. Returns its energy."""
        _, stop_points = tx_points.configured(self.cp.config)
        if tx_points.ends_at_stop_authorization(stop_points):
            _, energy = await self.end_transaction(connector_id, "StopAuthorized", "Local")
            return energy
        async with self.tx_lock:
            state = self.state(connector_id)
            assert state.transaction_id is not None
            assert state.id_tag is not None
            self.settle(connector_id)
            self.cp.transaction_stop_authorized(connector_id, state.transaction_id, self.current_command)
            reading = self.settle(connector_id)
            self.record_sample(connector_id, reading)
            await self._send(connector_id, "Updated", "StopAuthorized", id_token=self.id_token(state.id_tag))
            await self._report_charging(connector_id)
        self.record()
        return reading.energy_wh - (state.meter_start_wh or 0)

    async def end_transaction(self, connector_id: int, trigger: str, reason: str) -> tuple[str, int]:
        """TransactionEvent Ended. Returns (transaction id, energy)."""
        async with self.tx_lock:
            ended = await self._end(connector_id, trigger, reason)
        self.record()
        self.after_transaction(connector_id)
        return ended

    async def _end(self, connector_id: int, trigger: str, reason: str) -> tuple[str, int]:
        """TransactionEvent Ended; the caller holds tx_lock, and calls after_transaction once released."""
        state = self.state(connector_id)
        transaction_id = guards.transaction_running(state)
        reading = self.settle(connector_id)
        stopped_at = iso(self.clock.now())
        energy = reading.energy_wh - (state.meter_start_wh or 0)
        # The station stops now: energy stops flowing before the message goes out, whatever the CSMS says.
        self.record_sample(connector_id, reading)
        self.cp.transaction_stopped(
            connector_id, transaction_id, reading.energy_wh, reason, stopped_at, self.current_command
        )
        self.settle(connector_id)
        await self._send(
            connector_id,
            "Ended",
            trigger,
            transaction_id=transaction_id,
            charging_state="EVConnected" if self.state(connector_id).plugged else "Idle",
            stopped_reason=reason,
            meter=self.meter_value(reading, "Transaction.End", self.measurands("StopTxnSampledData")),
        )
        return transaction_id, energy

    def after_transaction(self, connector_id: int) -> None:
        """Carry out what was Scheduled until the transaction ended (ChangeAvailability, Reset OnIdle)."""
        operative = self.state(connector_id).scheduled_operative
        if operative is not None and not self.busy(connector_id):
            self.cp.availability_scheduled(connector_id, None)
            self.cp.availability_changed(connector_id, operative)
            self.record()
            follow_up = self.availability_follow_up(connector_id)
            self.enqueue(FollowUp(None, follow_up, "ChangeAvailability (scheduled)"))
        scope = self.cp.scheduled_reset
        if scope is not None and not self.busy(scope):
            self.cp.reset_scheduled(None)
            self.record()
            self.enqueue(FollowUp(None, self.reset_follow_up(scope), "Reset OnIdle (scheduled)"))

    def _open_for_start(self, connector_id: int) -> None:
        state = self.state(connector_id)
        if self.authorized_transaction(connector_id):
            raise CommandError(
                FailureCode.TRANSACTION_RUNNING,
                f"connector {connector_id} already has transaction {state.transaction_id}",
            )
        if state.stop_authorized:
            raise CommandError(
                FailureCode.TRANSACTION_RUNNING,
                f"transaction {state.transaction_id} on connector {connector_id} was stopped and ends "
                "when the EV is unplugged",
            )
        guards.usable(self.cp, state)
        guards.online(self.online.is_set())
