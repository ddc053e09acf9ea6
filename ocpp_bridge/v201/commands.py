"""OCPP 2.0.1 commands from the API (plug, start-session, inject-fault, ...), each a cmd_* method."""

from __future__ import annotations

from domain.commands import (
    Authorize,
    ClearFault,
    EvRequestsEnergy,
    EvStopsEnergy,
    InjectFault,
    PlugConnector,
    PowerUpdate,
    StartSession,
    StartTransaction,
    StopSession,
    StopTransaction,
    UnlockConnector,
    UnplugConnector,
)
from domain.failures import FailureCode
from domain.outcomes import FaultOutcome, GenericOutcome, Outcome
from ocpp_bridge.core import guards, reservations
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.v201 import tx_points
from ocpp_bridge.v201.rules import FAULTS, TRIGGER_FOR_REASON, FaultEvent
from ocpp_bridge.v201.transactions import V201Transactions


class V201Commands(V201Transactions):
    """The commands from the API: what a driver, an EV or a technician does at the station."""

    async def cmd_plug_connector(self, payload: PlugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        guards.unplugged(self.state(connector_id))
        await self.plug(connector_id)
        return GenericOutcome(
            status=self.state(connector_id).status,
            msg="cable plugged",
            transaction_id=self.state(connector_id).transaction_id,
        )

    async def cmd_unplug_connector(self, payload: UnplugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        guards.plugged(self.state(connector_id))
        transaction_id = self.state(connector_id).transaction_id
        energy = await self.unplug(connector_id)
        return GenericOutcome(
            status=self.state(connector_id).status,
            msg="cable unplugged",
            transaction_id=transaction_id,
            energy_wh=energy,
        )

    async def cmd_unlock_connector(self, payload: UnlockConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if self.authorized_transaction(connector_id):
            return GenericOutcome(
                status="OngoingAuthorizedTransaction",
                msg=f"connector {connector_id} stays locked during its authorized transaction",
                transaction_id=self.state(connector_id).transaction_id,
            )
        return GenericOutcome(status="Unlocked", msg=f"connector {connector_id} unlocked")

    async def cmd_authorize(self, payload: Authorize) -> Outcome:
        connector_id = self.connector_number(payload)
        status = await self.authorize_tag(payload.id_tag)
        state = self.state(connector_id)
        waiting = state.transaction_id is not None and state.id_tag is None and not state.stop_authorized
        start_points, _ = tx_points.configured(self.cp.config)
        if state.transaction_id is None and "EVConnected" not in start_points:
            # Without EVConnected among the start points an authorization starts a transaction (with it,
            # a card shown before the cable is a pre-authorization: the cable starts it).
            waiting = tx_points.starts(start_points, plugged=state.plugged, authorized=True)
            waiting = waiting and state.operative and not guards.faulted(self.cp, state)
        if status == "Accepted" and self.pre_authorize(connector_id, payload.id_tag):
            return GenericOutcome(
                status=status, msg="id token Accepted; the transaction starts with the cable"
            )
        if status == "Accepted" and waiting and self.online.is_set():
            transaction_id, status = await self.authorize_transaction(
                connector_id, payload.id_tag, "Authorized"
            )
            return GenericOutcome(
                status=status, msg=f"id token {status} for the transaction", transaction_id=transaction_id
            )
        return GenericOutcome(status=status, msg=f"id token {status}")

    async def cmd_start_transaction(self, payload: StartTransaction) -> Outcome:
        connector_id = self.connector_number(payload)
        self._open_for_start(connector_id)
        state = self.state(connector_id)
        runtime = self.runtime[connector_id]
        if payload.meter_start_wh is not None:
            if state.transaction_id is not None:
                raise CommandError(
                    FailureCode.TRANSACTION_RUNNING,
                    f"transaction {state.transaction_id} started when the EV connected, at "
                    f"{state.meter_start_wh} Wh",
                )
            guards.meter_start_not_below(runtime.meter.energy_wh, payload.meter_start_wh)
            self.settle(connector_id)
            runtime.meter.energy_wh = float(payload.meter_start_wh)
        await self.plug(connector_id)
        transaction_id, status = await self.authorize_transaction(
            connector_id, payload.id_tag, "Authorized", record_tag=True
        )
        if status != "Accepted" and self.config_bool("StopTransactionOnInvalidId"):
            await self.end_transaction(connector_id, "Deauthorized", "DeAuthorized")
        return GenericOutcome(status=status, msg="transaction started", transaction_id=transaction_id)

    async def cmd_stop_transaction(self, payload: StopTransaction) -> Outcome:
        connector_id = self.connector_number(payload)
        state = self.state(connector_id)
        transaction_id = guards.transaction_running(state)
        if payload.reason is None and self.authorized_transaction(connector_id) and state.plugged:
            energy = await self.stop_authorize(connector_id)
            msg = "transaction stopped; it ends when the EV is unplugged"
            if self.state(connector_id).transaction_id is None:
                msg = "transaction ended"  # TxStopPoint Authorized
        else:
            reason = str(payload.reason or "Local")
            _, energy = await self.end_transaction(
                connector_id, TRIGGER_FOR_REASON.get(reason, "StopAuthorized"), reason
            )
            msg = "transaction ended"
        return GenericOutcome(status="Stopped", msg=msg, transaction_id=transaction_id, energy_wh=energy)

    async def cmd_start_session(self, payload: StartSession) -> Outcome:
        connector_id = self.connector_number(payload)
        self._open_for_start(connector_id)
        reservations.refuse_before_authorize(
            self.cp, connector_id, payload.id_tag
        )  # before the cable goes in
        await self.plug(connector_id, payload.power_w)
        ev = self.runtime[connector_id].ev
        if payload.power_w is not None and ev is not None:
            ev.max_power_w = payload.power_w
        status = await self.authorize_tag(payload.id_tag)
        refused = reservations.refusal(self.cp, connector_id, payload.id_tag)  # knowing its group now
        if status == "Accepted" and refused is None:
            transaction_id, status = await self.authorize_transaction(
                connector_id, payload.id_tag, "Authorized"
            )
            if status == "Accepted":
                self.limit_energy(connector_id, payload.target_energy_kwh)
                return GenericOutcome(status="Charging", msg="session started", transaction_id=transaction_id)
        if self.state(connector_id).transaction_id is not None:
            await self.end_transaction(connector_id, "Deauthorized", "DeAuthorized")
        await self.unplug(connector_id)
        if status == "Accepted" and refused is not None:
            raise refused  # the EVSE is reserved for another token (or group)
        raise CommandError(
            FailureCode.ID_TAG_REJECTED, f"the CSMS answered {status} for id token {payload.id_tag}"
        )

    async def cmd_stop_session(self, payload: StopSession) -> Outcome:
        connector_id = self.connector_number(payload)
        state = self.state(connector_id)
        transaction_id, energy = state.transaction_id, None
        if transaction_id is not None:
            if payload.reason is None and self.authorized_transaction(connector_id) and state.plugged:
                energy = await self.stop_authorize(connector_id)
            elif payload.reason is not None or not state.plugged:
                reason = str(payload.reason or "Local")
                _, energy = await self.end_transaction(
                    connector_id, TRIGGER_FOR_REASON.get(reason, "StopAuthorized"), reason
                )
        if self.state(connector_id).plugged:
            ended = await self.unplug(connector_id)
            energy = ended if energy is None else energy
        return GenericOutcome(
            status="Stopped", msg="session stopped", transaction_id=transaction_id, energy_wh=energy
        )

    async def cmd_ev_requests_energy(self, payload: EvRequestsEnergy) -> Outcome:
        connector_id = self.connector_number(payload)
        await self.update_charging(
            connector_id, lambda: self.cp.ev_demand_changed(connector_id, True, self.current_command)
        )
        return GenericOutcome(status=self.state(connector_id).status, msg="EV requests energy")

    async def cmd_ev_stops_energy(self, payload: EvStopsEnergy) -> Outcome:
        connector_id = self.connector_number(payload)
        await self.update_charging(
            connector_id, lambda: self.cp.ev_demand_changed(connector_id, False, self.current_command)
        )
        return GenericOutcome(status=self.state(connector_id).status, msg="EV stopped drawing energy")

    async def cmd_power_update(self, payload: PowerUpdate) -> Outcome:
        connector_id = self.connector_number(payload)
        await self.update_charging(
            connector_id, lambda: self.cp.power_offered(connector_id, payload.power_w, self.current_command)
        )
        return GenericOutcome(status=self.state(connector_id).status, msg=f"offering {payload.power_w:.0f} W")

    async def cmd_inject_fault(self, payload: InjectFault) -> Outcome:
        connector_id = self.connector_number(payload)
        code = str(payload.fault_type)
        targets = self.scope(connector_id)
        info = payload.info
        if payload.vendor_error_code is not None:
            info = f"{info or ''} vendor code {payload.vendor_error_code}".strip()
        reason = FAULTS.get(code, FaultEvent("ChargingStation", "Problem")).stopped_reason
        ended = []
        async with self.tx_lock:
            for target in targets:
                self.settle(target)
            event_id = next(self._event_ids)
            self.cp.fault_raised(
                connector_id, code, payload.info, payload.vendor_error_code, self.current_command, event_id
            )
            for target in targets:
                self.settle(target)  # energy stops with the fault
                await self.status_notification(target, "Faulted", code)
            await self.notify_event([self.fault_event(connector_id, code, event_id, info)])
            for target in targets:
                if self.state(target).transaction_id is not None:
                    await self._end(target, "AbnormalCondition", reason)
                    ended.append(target)
        self.record()
        for target in ended:
            self.after_transaction(target)
        return FaultOutcome(
            msg="fault raised",
            fault_type=code,
            evse_id=connector_id or None,
            connector_id=connector_id,
            status="Faulted",
        )

    async def cmd_clear_fault(self, payload: ClearFault) -> Outcome:
        connector_id = self.connector_number(payload)
        targets = self.scope(connector_id)
        was = guards.has_fault(self.cp, connector_id)
        async with self.tx_lock:
            cause = self.fault_event_id(connector_id)  # the NotifyEvent that raised it
            self.cp.fault_cleared(connector_id, self.current_command)
            event = self.fault_event(
                connector_id, was, next(self._event_ids), None, active=False, cause=cause
            )
            await self.notify_event([event])
            for target in targets:
                await self.refresh_status(target)
                await self._report_charging(target)
        status = "Available" if connector_id == 0 else self.state(connector_id).status
        return FaultOutcome(
            msg="fault cleared",
            fault_type=was,
            evse_id=connector_id or None,
            connector_id=connector_id,
            status=status,
        )
