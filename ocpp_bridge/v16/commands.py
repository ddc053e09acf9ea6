"""OCPP 1.6 commands from the API (plug, start-session, inject-fault, ...), each a cmd_* method."""

from __future__ import annotations

import contextlib

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
from domain.outcomes import FaultOutcome, GenericOutcome, Outcome
from ocpp_bridge.core import guards, reservations
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.v16.transactions import V16Transactions


class V16Commands(V16Transactions):
    """The commands from the API: what a driver, an EV or a technician does at the charger."""

    async def cmd_plug_connector(self, payload: PlugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        guards.unplugged(self.state(connector_id))
        await self.plug(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg="cable plugged")

    async def cmd_unplug_connector(self, payload: UnplugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        guards.plugged(self.state(connector_id))
        await self.unplug(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg="cable unplugged")

    async def cmd_unlock_connector(self, payload: UnlockConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if self.state(connector_id).transaction_id is not None:
            await self.stop_transaction(connector_id, "UnlockCommand")
        return GenericOutcome(status="Unlocked", msg=f"connector {connector_id} unlocked")

    async def cmd_authorize(self, payload: Authorize) -> Outcome:
        status = await self.authorize_tag(payload.id_tag)
        return GenericOutcome(status=status, msg=f"id tag {status}")

    async def cmd_start_transaction(self, payload: StartTransaction) -> Outcome:
        connector_id = self.connector_number(payload)
        transaction_id, status = await self.start_transaction(
            connector_id, payload.id_tag, payload.meter_start_wh
        )
        return GenericOutcome(status=status, msg="transaction started", transaction_id=transaction_id)

    async def cmd_stop_transaction(self, payload: StopTransaction) -> Outcome:
        connector_id = self.connector_number(payload)
        transaction_id = self.state(connector_id).transaction_id
        energy = await self.stop_transaction(connector_id, str(payload.reason or "Local"))
        return GenericOutcome(
            status="Stopped", msg="transaction stopped", transaction_id=transaction_id, energy_wh=energy
        )

    async def cmd_start_session(self, payload: StartSession) -> Outcome:
        connector_id = self.connector_number(payload)
        guards.no_transaction_running(self.state(connector_id))
        self.ensure_usable(connector_id)
        reservations.refuse_before_authorize(
            self.cp, connector_id, payload.id_tag
        )  # before the cable goes in
        await self.plug(connector_id, payload.power_w)
        ev = self.runtime[connector_id].ev
        if payload.power_w is not None and ev is not None:
            ev.max_power_w = payload.power_w
        try:
            guards.tag_accepted(await self.authorize_tag(payload.id_tag), payload.id_tag)
            transaction_id, status = await self.start_transaction(connector_id, payload.id_tag)
            guards.tag_accepted(status, payload.id_tag, "StartTransaction")
        except CommandError:
            # Refused or failed: the session leaves nothing behind, the cable comes out again (and a
            # transaction the CSMS refused ends with it).
            with contextlib.suppress(CommandError):
                await self.unplug(connector_id)
            raise
        self.limit_energy(connector_id, payload.target_energy_kwh)
        return GenericOutcome(status="Charging", msg="session started", transaction_id=transaction_id)

    async def cmd_stop_session(self, payload: StopSession) -> Outcome:
        connector_id = self.connector_number(payload)
        state = self.state(connector_id)
        transaction_id, energy = state.transaction_id, None
        if state.transaction_id is not None:
            energy = await self.stop_transaction(connector_id, str(payload.reason or "Local"))
        if self.state(connector_id).plugged:
            await self.unplug(connector_id)
        return GenericOutcome(
            status="Stopped", msg="session stopped", transaction_id=transaction_id, energy_wh=energy
        )

    async def cmd_ev_requests_energy(self, payload: EvRequestsEnergy) -> Outcome:
        connector_id = self.connector_number(payload)
        self.cp.ev_demand_changed(connector_id, True, self.current_command)
        await self.change_charging(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg="EV requests energy")

    async def cmd_ev_stops_energy(self, payload: EvStopsEnergy) -> Outcome:
        connector_id = self.connector_number(payload)
        self.cp.ev_demand_changed(connector_id, False, self.current_command)
        await self.change_charging(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg="EV stopped drawing energy")

    async def cmd_power_update(self, payload: PowerUpdate) -> Outcome:
        connector_id = self.connector_number(payload)
        self.settle(connector_id)
        self.cp.power_offered(connector_id, payload.power_w, self.current_command)
        await self.change_charging(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg=f"offering {payload.power_w:.0f} W")

    async def cmd_inject_fault(self, payload: InjectFault) -> Outcome:
        """Faulted with the error code (connector 0: the charger and every connector), and any
        transaction on a faulted connector stops: it cannot deliver energy any more."""
        connector_id = self.connector_number(payload)
        code = str(payload.fault_type)
        targets = list(self.cp.connectors) if connector_id == 0 else [connector_id]
        reason = (
            "EmergencyStop" if code in ("GroundFailure", "OverCurrentFailure", "OverVoltage") else "Other"
        )
        self.cp.fault_raised(
            connector_id, code, payload.info, payload.vendor_error_code, self.current_command
        )
        if connector_id == 0:
            self.charger_reported = ("Faulted", code)
            await self.status_notification(0, "Faulted", code, payload.info, payload.vendor_error_code)
        for target in targets:
            await self.status_notification(target, "Faulted", code, payload.info, payload.vendor_error_code)
            if self.state(target).transaction_id is not None:
                await self.stop_transaction(target, reason)
        return FaultOutcome(
            msg="fault raised", fault_type=code, evse_id=None, connector_id=connector_id, status="Faulted"
        )

    async def cmd_clear_fault(self, payload: ClearFault) -> Outcome:
        """Back to the status the connector would have without the fault, with errorCode NoError
        (Finishing if the fault ended a transaction and the cable is still in)."""
        connector_id = self.connector_number(payload)
        targets = list(self.cp.connectors) if connector_id == 0 else [connector_id]
        was = guards.has_fault(self.cp, connector_id)
        self.cp.fault_cleared(connector_id, self.current_command)
        if connector_id == 0:
            await self.report_charger_status(force=False)
        for target in targets:
            if not self.faulted(target):
                self.settle(target)
                await self.status_notification(target, self.resting_status(target))
        status = self.charger_status()[0] if connector_id == 0 else self.state(connector_id).status
        return FaultOutcome(
            msg="fault cleared", fault_type=was, evse_id=None, connector_id=connector_id, status=status
        )
