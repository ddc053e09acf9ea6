"""OCPP 1.6J: the message sequences of a simulated charge point, and its answers to the CSMS.

Sequences follow OCPP 1.6 edition 2 with errata v4 (see OCPP.md): boot, StatusNotification for
connector 0 and each connector, Authorize, StartTransaction / MeterValues / StopTransaction with reason,
Charging ⇄ SuspendedEV/SuspendedEVSE, Faulted with the ChargePointErrorCode and back. A connector at
rest shows Available, Preparing (cable in), Finishing (cable still in after a transaction) or
Unavailable (ChangeAvailability, Scheduled until its transaction ends). A StopTransaction that cannot
be sent is queued and delivered after the next boot.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from domain.chargepoint import FaultOutcome, GenericOutcome, LocalListEntry, Outcome
from domain.clock import iso
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
from domain.protocol import OcppVersion
from infra import patches
from ocpp_bridge import configuration
from ocpp_bridge.connection import RecordingConnection
from ocpp_bridge.meter import Reading
from ocpp_bridge.station import CommandError, FollowUp, Station

FIRMWARE = "ocpp-ledger 0.1"
MEASURAND_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


def _limit_watts(schedule: dict[str, Any], current_type: str) -> float | None:
    periods = schedule.get("charging_schedule_period") or []
    if not periods:
        return None
    limit = float(periods[0]["limit"])
    if schedule.get("charging_rate_unit") == "A":
        phases = int(periods[0].get("number_phases") or 3)
        return limit * (230.0 * phases if current_type == "ac" else 400.0)
    return limit


class V16Station(Station):
    version = OcppVersion.V16
    subprotocol = "ocpp1.6"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # StopTransaction messages that could not be sent (offline), delivered in order after the next
        # boot. In memory only: a bridge restart loses them (OCPP: "must be queued while offline").
        self.queued_transaction_messages: list[call.StopTransaction] = []
        self.charger_reported: tuple[str, str] | None = None  # connector 0's last reported status

    def make_client(self, connection: RecordingConnection) -> OcppChargePoint:
        client = V16Client(self.identity, connection, response_timeout=self.settings.response_timeout)
        client.station = self
        patches.seed_message_ids(client, self.new_message_id)  # seeded ids: replays reproduce them
        return client

    # --- session -------------------------------------------------------------------------------------

    async def boot(self) -> None:
        while True:
            response = await self.call(
                call.BootNotification(
                    charge_point_model=self.charger.spec.model_name[:20],
                    charge_point_vendor=self.charger.spec.vendor_name[:20],
                    charge_point_serial_number=self.identity[:25],
                    firmware_version=FIRMWARE,
                ),
                require_online=False,
            )
            self.cp.boot_answered(str(response.status), int(response.interval))
            self.record()
            if response.status == "Accepted":
                # The interval is the heartbeat interval from now on, and the HeartbeatInterval key's value.
                if response.interval > 0 and self.config("HeartbeatInterval") != str(response.interval):
                    self.apply_configuration("HeartbeatInterval", str(response.interval))
                    self.record()
                return
            # Pending: stay connected, answer the CSMS, boot again after the interval. Rejected: say
            # nothing until the interval has passed (0 = choose our own back-off).
            wait = response.interval if response.interval > 0 else self.settings.backoff_initial * 10
            await asyncio.sleep(self.clock.real_seconds(wait))

    async def report_all(self) -> None:
        """After a boot: deliver what was queued offline, then the status of connector 0 and each one."""
        await self.deliver_queued(self.queued_transaction_messages)
        await self.report_charger_status()
        for connector_id, state in self.cp.connectors.items():
            await self.status_notification(connector_id, state.status, state.error_code, force=True)

    def charger_status(self) -> tuple[str, str]:
        """Connector 0 (the charge point as a whole): Faulted, Unavailable (every connector inoperative
        and no transaction left to finish) or Available, and its error code."""
        if self.cp.charger_fault:
            return "Faulted", self.cp.charger_fault
        connectors = self.cp.connectors.values()
        if all(not c.operative and c.transaction_id is None for c in connectors):
            return "Unavailable", "NoError"
        return "Available", "NoError"

    async def report_charger_status(self, *, force: bool = True) -> None:
        """Connector 0's status; unless forced (boot, TriggerMessage), only when it changed."""
        status, error_code = self.charger_status()
        if not force and self.charger_reported == (status, error_code):
            return
        self.charger_reported = (status, error_code)
        await self.status_notification(0, status, error_code, force=True)

    async def heartbeat(self) -> None:
        await self.call(call.Heartbeat())

    async def status_notification(
        self,
        connector_id: int,
        status: str,
        error_code: str = "NoError",
        info: str | None = None,
        vendor_error_code: str | None = None,
        *,
        force: bool = False,
    ) -> None:
        """Record a status change and tell the CSMS (if connected); re-reports only when forced."""
        if connector_id != 0:
            current = self.state(connector_id)
            if not force and current.status == status and current.error_code == error_code:
                return
            if (current.status, current.error_code) != (status, error_code):
                self.cp.status_changed(connector_id, status, error_code, info, self.current_command)
        elif not force:
            self.cp.status_changed(0, status, error_code, info, self.current_command)
        if self.online.is_set():
            await self.call(
                call.StatusNotification(
                    connector_id=connector_id,
                    error_code=error_code,
                    status=status,
                    timestamp=iso(self.clock.now()),
                    info=info,
                    vendor_error_code=vendor_error_code,
                )
            )

    def transaction_status(self, connector_id: int) -> str:
        """Charging, or which side suspends it: the EVSE (power update or profile of 0 W) wins."""
        c = self.state(connector_id)
        if any(w is not None and w <= 0 for w in (c.offered_power_w, c.limit_w)):
            return "SuspendedEVSE"
        ev = self.runtime[connector_id].ev
        if not c.plugged or not c.ev_requesting or (ev is not None and ev.accepted_power_w() <= 0):
            return "SuspendedEV"
        if self.runtime[connector_id].power_w <= 0:
            return "SuspendedEVSE"
        return "Charging"

    def faulted(self, connector_id: int) -> bool:
        return self.state(connector_id).fault is not None or self.cp.charger_fault is not None

    def resting_status(self, connector_id: int) -> str:
        """The status a connector shows when no fault overrides it: a transaction's charging state,
        Unavailable (ChangeAvailability), Finishing (a transaction ended, cable still in), Preparing
        (cable in, no transaction yet) or Available."""
        c = self.state(connector_id)
        if c.transaction_id is not None:
            return self.transaction_status(connector_id)
        if not c.operative:
            return "Unavailable"
        if c.plugged:
            return "Finishing" if self.runtime[connector_id].pending.get("finished") else "Preparing"
        return "Available"

    def ensure_usable(self, connector_id: int) -> None:
        c = self.state(connector_id)
        if self.faulted(connector_id) or not c.operative:
            raise CommandError("connector_unavailable", f"connector {connector_id} is {c.status}")

    async def authorize_remote(self, id_tag: str) -> str:
        response = await self.call(call.Authorize(id_tag=id_tag))
        return str(response.id_tag_info["status"])

    async def send_meter_values(self, connector_id: int, reading: Reading, context: str) -> None:
        state = self.state(connector_id)
        values = {
            "Energy.Active.Import.Register": str(reading.energy_wh),
            "Power.Active.Import": f"{reading.power_w:.1f}",
            "Current.Import": f"{reading.current_a:.2f}",
            "Voltage": f"{reading.voltage_v:.1f}",
            "SoC": None if reading.soc is None else f"{reading.soc:.1f}",
        }
        wanted = [m.strip() for m in self.config("MeterValuesSampledData").split(",") if m.strip()]
        if context in ("Transaction.Begin", "Transaction.End"):
            wanted = ["Energy.Active.Import.Register"]
        sampled = []
        for measurand in wanted or ["Energy.Active.Import.Register"]:
            value = values.get(measurand)
            if value is None:
                continue
            item: dict[str, Any] = {
                "value": value,
                "context": context,
                "measurand": measurand,
                "unit": MEASURAND_UNITS[measurand],
            }
            if measurand == "SoC":
                item["location"] = "EV"
            sampled.append(item)
        await self.call(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=None if state.transaction_id is None else int(state.transaction_id),
                meter_value=[
                    {"timestamp": iso(reading.taken_at or self.clock.now()), "sampled_value": sampled}
                ],
            )
        )

    # --- transactions --------------------------------------------------------------------------------

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
        self.runtime[connector_id].pending.pop("finished", None)
        self.ev_arrives(connector_id, ev_max_power_w)
        await self.status_notification(connector_id, "Preparing")

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
        self.runtime[connector_id].pending.pop("finished", None)
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
        state = self.state(connector_id)
        if state.transaction_id is not None:
            raise CommandError(
                "transaction_running",
                f"connector {connector_id} already has transaction {state.transaction_id}",
            )
        self.ensure_usable(connector_id)
        if not self.online.is_set():
            raise CommandError("charger_not_connected", "the charger is not connected to its CSMS")
        await self.plug(connector_id, ev_max_power_w)
        runtime = self.runtime[connector_id]
        runtime.pending.pop("finished", None)
        if meter_start_wh is not None:
            if meter_start_wh < int(runtime.meter.energy_wh):
                raise CommandError(
                    "meter_start_below_register",
                    f"the register already reads {int(runtime.meter.energy_wh)} Wh",
                )
            runtime.meter.energy_wh = float(meter_start_wh)
        reading = self.settle(connector_id)
        started_at = iso(self.clock.now())
        response = await self.call(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=reading.energy_wh, timestamp=started_at
            )
        )
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
        if status != "Accepted" and self.config_bool("StopTransactionOnInvalidId"):
            await self.stop_transaction(connector_id, "DeAuthorized")
            return str(response.transaction_id), status
        self.settle(connector_id)
        await self.status_notification(connector_id, self.transaction_status(connector_id))
        self.record()
        return str(response.transaction_id), status

    async def stop_transaction(self, connector_id: int, reason: str) -> int:
        state = self.state(connector_id)
        if state.transaction_id is None:
            raise CommandError("no_transaction", f"connector {connector_id} has no transaction")
        reading = self.settle(connector_id)
        stopped_at = iso(self.clock.now())
        transaction_id, id_tag = state.transaction_id, state.id_tag
        energy = reading.energy_wh - (state.meter_start_wh or 0)
        # The charger stops now: energy stops flowing before the message goes out, whatever the CSMS says.
        self.record_sample(connector_id, reading)
        self.cp.transaction_stopped(
            connector_id, transaction_id, reading.energy_wh, reason, stopped_at, self.current_command
        )
        runtime = self.runtime[connector_id]
        if runtime.pending.pop("tx_profile", False):  # a TxProfile ends with its transaction
            self.cp.charging_limit_changed(connector_id, None)
        runtime.pending["finished"] = True
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
        if self.online.is_set():
            try:
                await self.call(message)
            except CommandError as error:
                if error.code != "charger_not_connected":
                    raise
                self.queued_transaction_messages.append(message)
        else:
            self.queued_transaction_messages.append(message)
        if not self.faulted(connector_id):
            await self.status_notification(connector_id, self.resting_status(connector_id))
            await self.report_charger_status(force=False)  # a scheduled Inoperative of the charger
        self.record()
        return energy

    async def change_charging(self, connector_id: int) -> None:
        """Power or demand changed: settle the meter and report the resulting status."""
        self.settle(connector_id)
        if self.state(connector_id).transaction_id is not None:
            await self.status_notification(connector_id, self.transaction_status(connector_id))

    # --- commands from the API ----------------------------------------------------------------------

    async def cmd_plug_connector(self, payload: PlugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if self.state(connector_id).plugged:
            raise CommandError("already_plugged", f"connector {connector_id} is already plugged")
        await self.plug(connector_id)
        return GenericOutcome(status=self.state(connector_id).status, msg="cable plugged")

    async def cmd_unplug_connector(self, payload: UnplugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if not self.state(connector_id).plugged:
            raise CommandError("not_plugged", f"connector {connector_id} has no cable plugged")
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
        state = self.state(connector_id)
        if state.transaction_id is not None:
            raise CommandError(
                "transaction_running",
                f"connector {connector_id} already has transaction {state.transaction_id}",
            )
        self.ensure_usable(connector_id)
        await self.plug(connector_id, payload.power_w)
        if payload.power_w is not None and self.runtime[connector_id].ev is not None:
            self.runtime[connector_id].ev.max_power_w = payload.power_w  # type: ignore[union-attr]
        status = await self.authorize_tag(payload.id_tag)
        if status != "Accepted":
            await self.unplug(connector_id)
            raise CommandError("id_tag_rejected", f"the CSMS answered {status} for id tag {payload.id_tag}")
        transaction_id, status = await self.start_transaction(connector_id, payload.id_tag)
        if status != "Accepted":
            await self.unplug(connector_id)
            raise CommandError(
                "id_tag_rejected", f"StartTransaction answered {status} for id tag {payload.id_tag}"
            )
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
        was = self.cp.charger_fault if connector_id == 0 else self.state(connector_id).fault
        if was is None:
            raise CommandError("no_fault", f"connector {connector_id} has no fault")
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

    # --- CSMS-initiated calls (answers are immediate; follow-ups go through the intent worker) ------

    def _free_connector(self, requested: int | None) -> int | None:
        candidates = [requested] if requested else list(self.cp.connectors)
        for n in candidates:
            state = self.cp.connectors.get(n)
            if (
                state
                and state.transaction_id is None
                and state.fault is None
                and state.operative
                and not self.cp.charger_fault
            ):
                return n
        return None

    def remote_start(
        self, id_tag: str, connector_id: int | None, charging_profile: dict[str, Any] | None, message_id: str
    ) -> str:
        target = self._free_connector(connector_id)
        if target is None:
            return "Rejected"

        async def follow_up() -> None:
            if charging_profile:
                limit = _limit_watts(
                    charging_profile.get("charging_schedule", {}), self.charger.spec.current_type
                )
                self.settle(target)
                self.cp.charging_limit_changed(target, limit)
                self.runtime[target].pending["tx_profile"] = True
            await self.plug(target)
            authorize = self.config_bool("AuthorizeRemoteTxRequests")
            if authorize and await self.authorize_tag(id_tag) != "Accepted":
                return
            await self.start_transaction(target, id_tag)

        self.enqueue(FollowUp(message_id, follow_up, "RemoteStartTransaction"))
        return "Accepted"

    def remote_stop(self, transaction_id: int, message_id: str) -> str:
        for n, state in self.cp.connectors.items():
            if state.transaction_id == str(transaction_id):

                async def follow_up(n: int = n) -> None:
                    await self.stop_transaction(n, "Remote")

                self.enqueue(FollowUp(message_id, follow_up, "RemoteStopTransaction"))
                return "Accepted"
        return "Rejected"

    def reset(self, kind: str, message_id: str) -> str:
        async def follow_up() -> None:
            reason = "SoftReset" if kind == "Soft" else "HardReset"
            for n, state in list(self.cp.connectors.items()):
                if state.transaction_id is not None:
                    await self.stop_transaction(n, reason)
            self.record()
            self.reboot()

        self.enqueue(FollowUp(message_id, follow_up, "Reset"))
        return "Accepted"

    def trigger(self, requested: str, connector_id: int | None, message_id: str) -> str:
        if connector_id is not None and connector_id != 0 and connector_id not in self.cp.connectors:
            return "Rejected"

        async def follow_up() -> None:
            if requested == "BootNotification":
                await self.call(
                    call.BootNotification(
                        charge_point_model=self.charger.spec.model_name[:20],
                        charge_point_vendor=self.charger.spec.vendor_name[:20],
                        charge_point_serial_number=self.identity[:25],
                        firmware_version=FIRMWARE,
                    )
                )
            elif requested == "Heartbeat":
                await self.heartbeat()
            elif requested == "StatusNotification":
                if connector_id in (None, 0):  # the charger itself; without a connector id, every one
                    await self.report_charger_status()
                if connector_id is None:
                    targets = list(self.cp.connectors)
                else:
                    targets = [] if connector_id == 0 else [connector_id]
                for n in targets:
                    await self.status_notification(
                        n, self.state(n).status, self.state(n).error_code, force=True
                    )
            elif requested == "MeterValues":
                targets = [connector_id] if connector_id else list(self.cp.connectors)
                for n in targets:
                    await self.send_meter_values(n, self.settle(n), "Trigger")
            elif requested == "DiagnosticsStatusNotification":
                await self.call(call.DiagnosticsStatusNotification(status="Idle"))
            elif requested == "FirmwareStatusNotification":
                await self.call(call.FirmwareStatusNotification(status="Idle"))

        if requested not in (
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "MeterValues",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
        ):
            return "NotImplemented"
        self.enqueue(FollowUp(message_id, follow_up, f"TriggerMessage {requested}"))
        return "Accepted"

    def unlock(self, connector_id: int, message_id: str) -> str:
        if connector_id not in self.cp.connectors:
            return "NotSupported"
        if self.state(connector_id).transaction_id is not None:

            async def follow_up() -> None:
                await self.stop_transaction(connector_id, "UnlockCommand")

            self.enqueue(FollowUp(message_id, follow_up, "UnlockConnector"))
        return "Unlocked"

    def change_availability(self, connector_id: int, kind: str, message_id: str) -> str:
        """Accepted, or Scheduled when a transaction runs on a connector concerned: the change is on
        record at once (it survives a reboot) and such a connector becomes Unavailable when its
        transaction ends."""
        if connector_id != 0 and connector_id not in self.cp.connectors:
            return "Rejected"
        operative = kind == "Operative"
        targets = list(self.cp.connectors) if connector_id == 0 else [connector_id]
        busy = [n for n in targets if self.state(n).transaction_id is not None]
        self.cp.availability_changed(connector_id, operative)
        self.record()

        async def follow_up() -> None:
            await self.report_charger_status(force=False)
            for n in targets:
                if not self.faulted(n):
                    await self.status_notification(n, self.resting_status(n))

        self.enqueue(FollowUp(message_id, follow_up, "ChangeAvailability"))
        return "Scheduled" if busy and not operative else "Accepted"

    def set_charging_profile(self, connector_id: int, profile: dict[str, Any], message_id: str) -> str:
        """The profile's first period caps the power of the connector (0: every connector)."""
        purpose = profile.get("charging_profile_purpose")
        if connector_id != 0 and connector_id not in self.cp.connectors:
            return "Rejected"
        if purpose == "ChargePointMaxProfile" and connector_id != 0:
            return "Rejected"
        if purpose == "TxProfile":
            running = None if connector_id == 0 else self.state(connector_id).transaction_id
            wanted = profile.get("transaction_id")
            if running is None or (wanted is not None and str(wanted) != running):
                return "Rejected"
        limit = _limit_watts(profile.get("charging_schedule", {}), self.charger.spec.current_type)
        if limit is None:
            return "Rejected"
        targets = list(self.cp.connectors) if connector_id == 0 else [connector_id]
        for n in targets:
            self.settle(n)
        self.cp.charging_limit_changed(connector_id, limit)
        for n in targets:
            self.settle(n)
            if purpose == "TxProfile":
                self.runtime[n].pending["tx_profile"] = True
        self.record()
        self.enqueue(FollowUp(message_id, self._report_charging, "SetChargingProfile"))
        return "Accepted"

    async def _report_charging(self) -> None:
        """After a limit changed: the status of every transaction (SuspendedEVSE at 0 W, and back)."""
        for n in self.cp.connectors:
            await self.change_charging(n)

    def clear_charging_profile(self, connector_id: int | None, message_id: str) -> str:
        targets = [
            n for n in ([connector_id] if connector_id else self.cp.connectors) if n in self.cp.connectors
        ]
        had = [n for n in targets if self.cp.connectors[n].limit_w is not None]
        for n in had:
            self.settle(n)
            self.cp.charging_limit_changed(n, None)
            self.runtime[n].pending.pop("tx_profile", None)
            self.settle(n)
        if not had:
            return "Unknown"
        self.record()
        self.enqueue(FollowUp(message_id, self._report_charging, "ClearChargingProfile"))
        return "Accepted"

    def send_local_list(
        self, list_version: int, update_type: str, entries: list[dict[str, Any]] | None
    ) -> str:
        if not self.config_bool("LocalAuthListEnabled"):
            return "NotSupported"
        if update_type == "Differential" and list_version <= self.cp.local_list_version:
            return "VersionMismatch"
        kept = [
            LocalListEntry(
                id_tag=e["id_tag"],
                status=e["id_tag_info"]["status"],
                expiry_date=e["id_tag_info"].get("expiry_date"),
                parent_id_tag=e["id_tag_info"].get("parent_id_tag"),
            )
            for e in entries or []
            if e.get("id_tag_info")
        ]
        removed = [e["id_tag"] for e in entries or [] if not e.get("id_tag_info")]
        self.cp.local_list_changed(list_version, update_type, kept, removed, None)
        self.record()
        return "Accepted"

    def change_configuration(self, key: str, value: str) -> str:
        status, resolved = configuration.decide_change(key, value)
        if resolved is not None and status in ("Accepted", "RebootRequired"):
            self.apply_configuration(resolved.name, configuration.normalise(resolved, value))
            self.record()
        return status

    def get_configuration(self, keys: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        names = keys or list(configuration.KEYS)
        known, unknown = [], []
        for name in names:
            key = configuration.KEYS.get(name)
            if key is None:
                unknown.append(name)
            else:
                known.append({"key": name, "readonly": key.readonly, "value": self.config(name)})
        return known, unknown


class V16Client(OcppChargePoint):
    """The `ocpp` library's 1.6 charge point; each handler answers at once and leaves follow-ups to
    the station's intent worker (a call() inside a handler would block the reader)."""

    station: V16Station

    @on(Action.remote_start_transaction)
    def on_remote_start(
        self,
        id_tag: str,
        call_unique_id: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.RemoteStartTransaction:
        return call_result.RemoteStartTransaction(
            status=self.station.remote_start(id_tag, connector_id, charging_profile, call_unique_id)
        )

    @on(Action.remote_stop_transaction)
    def on_remote_stop(
        self, transaction_id: int, call_unique_id: str, **_: Any
    ) -> call_result.RemoteStopTransaction:
        return call_result.RemoteStopTransaction(
            status=self.station.remote_stop(transaction_id, call_unique_id)
        )

    @on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_: Any) -> call_result.Reset:
        return call_result.Reset(status=self.station.reset(type, call_unique_id))

    @on(Action.trigger_message)
    def on_trigger(
        self, requested_message: str, call_unique_id: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        return call_result.TriggerMessage(
            status=self.station.trigger(requested_message, connector_id, call_unique_id)
        )

    @on(Action.unlock_connector)
    def on_unlock(self, connector_id: int, call_unique_id: str, **_: Any) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status=self.station.unlock(connector_id, call_unique_id))

    @on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str, call_unique_id: str, **_: Any
    ) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(
            status=self.station.change_availability(connector_id, type, call_unique_id)
        )

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], call_unique_id: str, **_: Any
    ) -> call_result.SetChargingProfile:
        return call_result.SetChargingProfile(
            status=self.station.set_charging_profile(connector_id, cs_charging_profiles, call_unique_id)
        )

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, call_unique_id: str, connector_id: int | None = None, **_: Any
    ) -> call_result.ClearChargingProfile:
        return call_result.ClearChargingProfile(
            status=self.station.clear_charging_profile(connector_id, call_unique_id)
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, **_: Any
    ) -> call_result.GetCompositeSchedule:
        state = self.station.cp.connectors.get(connector_id)
        if state is None or state.limit_w is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=iso(self.station.clock.now()),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": "W",
                "charging_schedule_period": [{"start_period": 0, "limit": state.limit_w}],
            },
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status=self.station.change_configuration(key, value))

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> call_result.GetConfiguration:
        known, unknown = self.station.get_configuration(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.SendLocalList:
        return call_result.SendLocalList(
            status=self.station.send_local_list(list_version, update_type, local_authorization_list)
        )

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(list_version=self.station.cp.local_list_version)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        station = self.station
        station.cp.auth_cache_cleared(len(station.cp.auth_cache), None)
        station.record()
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        if vendor_id != "ocpp-ledger":
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @on(Action.reserve_now)
    def on_reserve_now(self, **_: Any) -> call_result.ReserveNow:
        return call_result.ReserveNow(status="Rejected")

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, **_: Any) -> call_result.CancelReservation:
        return call_result.CancelReservation(status="Rejected")
