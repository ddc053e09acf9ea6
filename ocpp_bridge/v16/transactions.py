"""OCPP 1.6 transactions: StartTransaction, StopTransaction with its reason, plug and unplug, and the
status a transaction shows (Charging, SuspendedEV, SuspendedEVSE)."""

from __future__ import annotations

from collections.abc import Callable

from ocpp.v16 import call

from domain.clock import iso
from domain.reservations import ReservationEnd
from ocpp_bridge.core import guards, reservations, transaction_messages
from ocpp_bridge.core.effects import Failed
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.v16.session import V16Session


class V16Transactions(V16Session):
    """Start/StopTransaction, plug and unplug, Charging and Suspended."""

    async def plug(self, connector_id: int, ev_max_power_w: float | None = None) -> None:
        state = self.state(connector_id)
        if state.plugged:
            return
        if state.transaction_id is not None:
            # The EV comes back to a transaction kept running after an EV-side disconnect.
            self.cp.cable_plugged(connector_id, self.current_command)
            if self.runtime[connector_id].ev is None:
                self.ev_arrives(connector_id, ev_max_power_w)
            await self.change_charging(connector_id)
            return
        self.ensure_usable(connector_id)
        self.cp.cable_plugged(connector_id, self.current_command)
        self.ev_arrives(connector_id, ev_max_power_w)
        await self.status_notification(connector_id, self.resting_status(connector_id))  # Reserved stays

    async def unplug(self, connector_id: int) -> None:
        if self.state(connector_id).transaction_id is not None:
            if not self.config_bool("StopTransactionOnEVSideDisconnect"):
                # The transaction keeps running, suspended by the EV, until it returns or is stopped.
                self.cp.cable_unplugged(connector_id, self.current_command)
                self.settle(connector_id)
                if not self.faulted(connector_id):
                    await self.status_notification(connector_id, "SuspendedEV", info="EV side disconnected")
                return
            if not self.faulted(connector_id):
                await self.status_notification(connector_id, "Finishing", info="EV side disconnected")
            await self.stop_transaction(connector_id, "EVDisconnected")
        self.cp.cable_unplugged(connector_id, self.current_command)
        self.ev_leaves(connector_id)
        self.settle(connector_id)
        if not self.faulted(connector_id):
            await self.status_notification(connector_id, self.resting_status(connector_id))

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start_wh: int | None = None,
        ev_max_power_w: float | None = None,
    ) -> tuple[str, str]:
        guards.no_transaction_running(self.state(connector_id))
        self.ensure_usable(connector_id)
        guards.online(self.online.is_set())
        reservation = reservations.reservation_for_start(self.cp, connector_id, id_tag)  # or refused
        await self.plug(connector_id, ev_max_power_w)
        runtime = self.runtime[connector_id]
        if meter_start_wh is not None:
            guards.meter_start_not_below(runtime.meter.energy_wh, meter_start_wh)
            runtime.meter.energy_wh = float(meter_start_wh)
        await self.deliver_outbox()  # the StopTransaction of an earlier transaction goes first
        reading = self.settle(connector_id)
        started_at = iso(self.clock.now())
        # Retried as a transaction message, but awaited: the transaction exists once the CSMS gave its id.
        result = await self.run_step(
            transaction_messages.send_with_retries(
                call.StartTransaction(
                    connector_id=connector_id,
                    id_tag=id_tag,
                    meter_start=reading.energy_wh,
                    timestamp=started_at,
                    reservation_id=None if reservation is None else reservation.reservation_id,
                ),
                self.retry_policy(),
            )
        )
        if isinstance(result, Failed):
            raise CommandError(result.code, result.message)
        response = result.payload
        status = str(response.id_tag_info["status"])
        ev = runtime.ev
        self.cp.transaction_started(
            connector_id,
            str(response.transaction_id),
            id_tag,
            reading.energy_wh,
            started_at,
            status,
            self.current_command,
            None if ev is None else ev.max_power_w,
            None if ev is None else ev.soc,
        )
        self.cp.authorized(id_tag, status, "csms", self.current_command)
        if reservation is not None:  # its holder started: the reservation has done its job
            self.cp.reservation_ended(reservation.reservation_id, ReservationEnd.USED)
        if status != "Accepted" and self.config_bool("StopTransactionOnInvalidId"):
            await self.stop_transaction(connector_id, "DeAuthorized")
            return str(response.transaction_id), status
        self.settle(connector_id)
        await self.status_notification(connector_id, self.transaction_status(connector_id))
        self.record()
        return str(response.transaction_id), status

    async def stop_transaction(self, connector_id: int, reason: str) -> int:
        state = self.state(connector_id)
        transaction_id = guards.transaction_running(state)
        reading = self.settle(connector_id)
        stopped_at = iso(self.clock.now())
        id_tag = state.id_tag
        energy = reading.energy_wh - (state.meter_start_wh or 0)
        # The charger stops now: energy stops flowing before the message goes out, whatever the CSMS says.
        self.record_sample(connector_id, reading)
        self.cp.transaction_stopped(
            connector_id, transaction_id, reading.energy_wh, reason, stopped_at, self.current_command
        )
        self.settle(connector_id)
        message = call.StopTransaction(
            meter_stop=reading.energy_wh,
            timestamp=stopped_at,
            transaction_id=int(transaction_id),
            reason=reason,
            id_tag=id_tag,
            transaction_data=[
                {
                    "timestamp": stopped_at,
                    "sampled_value": [
                        {
                            "value": str(reading.energy_wh),
                            "context": "Transaction.End",
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        )
        # Sent, or queued to be retried in order (offline, behind others, or its try failed): the
        # transaction has ended here whatever the CSMS answers.
        await self.transact(message, connector_id)
        if not self.faulted(connector_id):
            await self.status_notification(connector_id, self.resting_status(connector_id))
            await self.report_charger_status(force=False)  # a scheduled Inoperative of the charger
        self.record()
        return energy

    async def update_charging(self, connector_id: int, change: Callable[[], None] | None = None) -> None:
        """Apply a change of power, demand or limit (the meter settled before it) and report the status."""
        self.settle(connector_id)
        if change is not None:
            change()
        await self.change_charging(connector_id)

    async def change_charging(self, connector_id: int) -> None:
        """Power or demand changed: settle the meter and report the resulting status."""
        self.settle(connector_id)
        if self.state(connector_id).transaction_id is not None:
            await self.status_notification(connector_id, self.transaction_status(connector_id))
