"""OCPP 2.0.1: the message sequences of a simulated charging station, and its answers to the CSMS.

Each simulated EVSE has one connector (EVSE N = connector N, connectorId 1). Transactions follow
TxStartPoint = EVConnected,Authorized and TxStopPoint = EVConnected,Authorized as in OCPP.md: a transaction
starts when the cable is plugged in (or at authorization when the cable is already in), energy flows once
it is authorized, a local stop authorizes the stop and the transaction ends when the EV leaves; a stop with
a reason, a remote stop, a fault or a reset end it at once. Transaction ids are UUIDs from the station's
seeded randomness; seqNo starts at 0 for each transaction and is kept on the aggregate (it survives
restarts). Every TransactionEvent is numbered and sent under one lock, so seqNo is monotone on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint as OcppChargePoint
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from domain.chargepoint import ChargePoint, FaultOutcome, GenericOutcome, LocalListEntry, Outcome
from domain.charger import Charger
from domain.clock import Clock, iso
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
from ocpp_bridge.station import CommandError, FollowUp, Station, StationSettings
from ocpp_bridge.writer import EventWriter

FIRMWARE = "ocpp-ledger 0.1"
TOKEN_TYPE = "ISO14443"  # noqa: S105 - the idToken type of a local RFID card
VENDOR_ID = "ocpp-ledger"
REPORT_ITEMS_PER_MESSAGE = 10
ENERGY = "Energy.Active.Import.Register"
MEASURAND_UNITS = {
    ENERGY: "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}
MEASURAND_KEYS = {"MeterValuesSampledData", "MeterValuesAlignedData", "StopTxnSampledData"}
TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer"
AVAILABILITY_STATES = "Available,Occupied,Reserved,Unavailable,Faulted"


@dataclass(frozen=True)
class FaultEvent:
    """How a 1.6 ChargePointErrorCode shows in the 2.0.1 device model (OCPP.md, Faults)."""

    component: str
    variable: str
    stopped_reason: str = "Other"
    on_connector: bool = False  # the component sits on the connector (else on the EVSE)


FAULTS: dict[str, FaultEvent] = {
    "GroundFailure": FaultEvent("RCD", "Tripped", "GroundFault"),
    "OverCurrentFailure": FaultEvent("OverCurrentProtection", "Operated", "OvercurrentFault"),
    "ConnectorLockFailure": FaultEvent("ConnectorPlugRetentionLock", "Problem", on_connector=True),
    "HighTemperature": FaultEvent("TemperatureSensor", "Problem"),
    "OverVoltage": FaultEvent("ElectricalFeed", "Problem"),
    "UnderVoltage": FaultEvent("ElectricalFeed", "Problem"),
    "PowerMeterFailure": FaultEvent("FiscalMetering", "Problem"),
    "ReaderFailure": FaultEvent("TokenReader", "Problem"),
    "EVCommunicationError": FaultEvent("ConnectedEV", "Problem"),
    "PowerSwitchFailure": FaultEvent("PowerContactor", "Problem"),
    "InternalError": FaultEvent("Controller", "Problem"),
    "ResetFailure": FaultEvent("Controller", "Problem"),
    "WeakSignal": FaultEvent("DataLink", "Problem"),
    "LocalListConflict": FaultEvent("ChargingStation", "Problem"),
    "OtherError": FaultEvent("ChargingStation", "Problem"),
}

# The triggerReason of a TransactionEvent Ended for a stop asked with a stoppedReason.
TRIGGER_FOR_REASON = {
    "DeAuthorized": "Deauthorized",
    "EmergencyStop": "AbnormalCondition",
    "EnergyLimitReached": "EnergyLimitReached",
    "EVDisconnected": "EVCommunicationLost",
    "GroundFault": "AbnormalCondition",
    "ImmediateReset": "ResetCommand",
    "OvercurrentFault": "AbnormalCondition",
    "PowerLoss": "AbnormalCondition",
    "PowerQuality": "AbnormalCondition",
    "Reboot": "ResetCommand",
    "Remote": "RemoteStop",
    "StoppedByEV": "ChargingStateChanged",
    "TimeLimitReached": "TimeLimitReached",
    "Timeout": "EVConnectTimeout",
}


def limit_watts(schedules: list[dict[str, Any]] | None, current_type: str) -> float | None:
    """The limit of the first period of the first schedule, in W."""
    if not schedules:
        return None
    schedule = schedules[0]
    periods = schedule.get("charging_schedule_period") or []
    if not periods:
        return None
    limit = float(periods[0]["limit"])
    if schedule.get("charging_rate_unit") == "A":
        phases = int(periods[0].get("number_phases") or 3)
        return limit * (230.0 * phases if current_type == "ac" else 400.0)
    return limit


@dataclass(frozen=True)
class DeviceVariable:
    """One variable of the station's device model, with its Actual value."""

    component: str
    variable: str
    value: str
    data_type: str
    mutability: str = "ReadOnly"
    instance: str | None = None
    evse: int | None = None
    connector: int | None = None
    values_list: str | None = None
    key: configuration.Key | None = None  # the configuration key behind it (writable unless readonly)

    def component_ref(self) -> dict[str, Any]:
        evse = None if self.evse is None else {"id": self.evse, "connector_id": self.connector}
        return {"name": self.component, "evse": evse}

    def variable_ref(self) -> dict[str, Any]:
        return {"name": self.variable, "instance": self.instance}

    def matches_component(self, component: dict[str, Any]) -> bool:
        if component.get("name") != self.component:
            return False
        evse = component.get("evse")
        if evse is None or self.evse is None:
            return evse is None and self.evse is None
        return evse.get("id") == self.evse and evse.get("connector_id") in (None, self.connector)

    def matches_variable(self, variable: dict[str, Any]) -> bool:
        return variable.get("name") == self.variable and variable.get("instance") == self.instance

    def report(self) -> dict[str, Any]:
        return {
            "component": self.component_ref(),
            "variable": self.variable_ref(),
            "variable_attribute": [
                {"type": "Actual", "value": self.value, "mutability": self.mutability, "persistent": True}
            ],
            "variable_characteristics": {
                "data_type": self.data_type,
                "supports_monitoring": False,
                "values_list": self.values_list,
            },
        }


DATA_TYPES = {"int": "integer", "bool": "boolean", "csl": "MemberList", "str": "string"}


class V201Station(Station):
    version = OcppVersion.V201
    subprotocol = "ocpp2.0.1"

    def __init__(
        self,
        charger: Charger,
        cp: ChargePoint,
        writer: EventWriter,
        clock: Clock,
        settings: StationSettings,
    ) -> None:
        super().__init__(charger, cp, writer, clock, settings)
        # TransactionEvents are numbered and sent under this lock (taken before the call lock, never after).
        self.tx_lock = asyncio.Lock()
        self.boot_reason = "PowerUp"
        self._boot_now = asyncio.Event()
        self.reported_charging: dict[int, str] = {}  # last chargingState sent per connector
        # TransactionEvents that could not be sent (offline, or the line cut during the call), delivered
        # in order, before anything else, after the next boot. In memory only, as in 1.6.
        self.queued_transaction_events: list[call.TransactionEvent] = []
        self.token_types: dict[str, str] = {}  # idToken types the CSMS used (remote start, local list)
        self.profiles: dict[int, tuple[int, str]] = {}  # charging profile id -> (evse id, purpose)
        self.pending_availability: dict[int, bool] = {}  # Scheduled ChangeAvailability per connector
        self.pending_reset: int | None = None  # Scheduled OnIdle reset: 0 = station, N = EVSE N
        self.fault_events: dict[int, int] = {}  # eventId of the NotifyEvent that raised a fault
        # NotifyEvent eventIds: from the seeded randomness (seeded per aggregate version, so a restarted
        # station does not repeat the ids of the previous run), then counting.
        self._event_ids = itertools.count(self.rng.randrange(1, 2**30))

    def make_client(self, connection: RecordingConnection) -> OcppChargePoint:
        client = V201Client(self.identity, connection, response_timeout=self.settings.response_timeout)
        client.station = self
        patches.seed_message_ids(client, self.new_message_id)  # seeded ids: replays reproduce them
        return client

    # --- session -------------------------------------------------------------------------------------

    def charging_station(self) -> dict[str, Any]:
        return {
            "model": self.charger.spec.model_name[:20],
            "vendor_name": self.charger.spec.vendor_name[:50],
            "serial_number": self.identity[:25],
            "firmware_version": FIRMWARE,
        }

    async def boot(self) -> None:
        while True:
            self._boot_now.clear()
            response = await self.call(
                call.BootNotification(charging_station=self.charging_station(), reason=self.boot_reason),
                require_online=False,
            )
            self.cp.boot_answered(str(response.status), int(response.interval))
            self.record()
            if response.status == "Accepted":
                self.boot_reason = "PowerUp"
                if response.interval > 0:
                    self.heartbeat_interval = int(response.interval)
                return
            # Pending: stay connected, answer the CSMS, boot again after the interval (or when triggered).
            # Rejected: say nothing until the interval has passed (0 = choose our own back-off).
            wait = response.interval if response.interval > 0 else self.settings.backoff_initial * 10
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._boot_now.wait(), self.clock.real_seconds(wait))

    async def report_all(self) -> None:
        await self.deliver_queued_transaction_events()
        for connector_id in self.cp.connectors:
            status, code = self.connector_status(connector_id)
            await self.status_notification(connector_id, status, code, force=True)
            await self.notify_event([self.availability_event(connector_id)])

    async def heartbeat(self) -> None:
        await self.call(call.Heartbeat())

    def connector_status(self, connector_id: int) -> tuple[str, str]:
        """The 2.0.1 connectorStatus the connector has now, and the fault code kept beside it."""
        state = self.state(connector_id)
        fault = state.fault or self.cp.charger_fault
        if fault is not None:
            return "Faulted", fault
        if not state.operative:
            return "Unavailable", "NoError"
        return ("Occupied" if state.plugged else "Available"), "NoError"

    async def status_notification(
        self, connector_id: int, status: str, error_code: str = "NoError", *, force: bool = False
    ) -> bool:
        """Record a status change and tell the CSMS (if connected); re-reports only when forced."""
        current = self.state(connector_id)
        changed = (current.status, current.error_code) != (status, error_code)
        if not force and not changed:
            return False
        if changed:
            self.cp.status_changed(connector_id, status, error_code, None, self.current_command)
        if self.online.is_set():
            await self.call(
                call.StatusNotification(
                    timestamp=iso(self.clock.now()),
                    connector_status=status,
                    evse_id=connector_id,
                    connector_id=1,
                )
            )
        return changed

    async def refresh_status(self, connector_id: int, *, availability_event: bool = False) -> None:
        """Report the connector's status if it changed (with a NotifyEvent AvailabilityState if asked)."""
        status, code = self.connector_status(connector_id)
        if await self.status_notification(connector_id, status, code) and availability_event:
            await self.notify_event([self.availability_event(connector_id)])

    # --- device-model events --------------------------------------------------------------------------

    def availability_event(self, connector_id: int) -> dict[str, Any]:
        return {
            "event_id": next(self._event_ids),
            "timestamp": iso(self.clock.now()),
            "trigger": "Delta",
            "actual_value": self.state(connector_id).status,
            "event_notification_type": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": connector_id, "connector_id": 1}},
            "variable": {"name": "AvailabilityState"},
        }

    def fault_event(self, connector_id: int, code: str, active: bool, info: str | None) -> dict[str, Any]:
        fault = FAULTS.get(code, FaultEvent("ChargingStation", "Problem"))
        evse = None
        if connector_id != 0:
            evse = {"id": connector_id, "connector_id": 1 if fault.on_connector else None}
        event_id = next(self._event_ids)
        cause = None
        if active:
            self.fault_events[connector_id] = event_id
        else:
            cause = self.fault_events.pop(connector_id, None)
        return {
            "event_id": event_id,
            "timestamp": iso(self.clock.now()),
            "trigger": "Delta",
            "actual_value": "true" if active else "false",
            "cleared": None if active else True,
            "cause": cause,
            "tech_code": code,
            "tech_info": info,
            "event_notification_type": "HardWiredNotification",
            "component": {"name": fault.component, "evse": evse},
            "variable": {"name": fault.variable},
        }

    async def notify_event(self, events: list[dict[str, Any]]) -> None:
        if self.online.is_set():
            await self.call(call.NotifyEvent(generated_at=iso(self.clock.now()), seq_no=0, event_data=events))

    # --- authorization and meter values ---------------------------------------------------------------

    def id_token(self, id_tag: str) -> dict[str, str]:
        return {"id_token": id_tag, "type": self.token_types.get(id_tag, TOKEN_TYPE)}

    async def authorize_remote(self, id_tag: str) -> str:
        response = await self.call(call.Authorize(id_token=self.id_token(id_tag)))
        return str(response.id_token_info["status"])

    def measurands(self, key: str) -> list[str]:
        wanted = [m.strip() for m in self.config(key).split(",") if m.strip() in MEASURAND_UNITS]
        return wanted or [ENERGY]

    def meter_value(self, reading: Reading, context: str, measurands: list[str]) -> dict[str, Any]:
        values: dict[str, float | int | None] = {
            ENERGY: reading.energy_wh,
            "Power.Active.Import": reading.power_w,
            "Current.Import": reading.current_a,
            "Voltage": reading.voltage_v,
            "SoC": reading.soc,
        }
        sampled = []
        for measurand in measurands:
            value = values.get(measurand)
            if value is None:
                continue
            sampled.append(
                {
                    "value": value,
                    "context": context,
                    "measurand": measurand,
                    "location": "EV" if measurand == "SoC" else None,
                    "unit_of_measure": {"unit": MEASURAND_UNITS[measurand]},
                }
            )
        if not sampled:
            sampled = [
                {
                    "value": reading.energy_wh,
                    "context": context,
                    "measurand": ENERGY,
                    "unit_of_measure": {"unit": "Wh"},
                }
            ]
        return {"timestamp": iso(self.clock.now()), "sampled_value": sampled}

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
            if self.reported_charging.get(connector_id) != now_state:
                await self._send(connector_id, "Updated", "ChargingStateChanged", charging_state=now_state)
            await self._send(
                connector_id,
                "Updated",
                "MeterValuePeriodic",
                charging_state=now_state,
                meter=self.meter_value(reading, context, self.measurands("MeterValuesSampledData")),
            )

    # --- transactions --------------------------------------------------------------------------------

    def charging(self, connector_id: int) -> bool:
        """Energy flows only in an authorized transaction whose stop has not been authorized."""
        c = self.state(connector_id)
        return super().charging(connector_id) and c.id_tag is not None and not c.stop_authorized

    def authorized_transaction(self, connector_id: int) -> bool:
        c = self.state(connector_id)
        return c.transaction_id is not None and c.id_tag is not None and not c.stop_authorized

    def charging_state(self, connector_id: int) -> str:
        c = self.state(connector_id)
        if not c.plugged:
            return "Idle"
        if not self.charging(connector_id):
            return (
                "SuspendedEV"
                if self.authorized_transaction(connector_id) and not c.ev_requesting
                else "EVConnected"
            )
        runtime = self.runtime[connector_id]
        if runtime.ev is not None and runtime.ev.accepted_power_w() <= 0:
            return "SuspendedEV"
        if runtime.power_w <= 0:
            return "SuspendedEVSE"
        return "Charging"

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
    ) -> Any:
        """One TransactionEvent with the next seqNo; the caller holds tx_lock. Offline (or cut off during
        the call) it is queued for the next connection, flagged offline, and the answer is None."""
        assert self.tx_lock.locked()
        state = self.state(connector_id)
        transaction_id = transaction_id or state.transaction_id
        if transaction_id is None:
            return None
        seq_no = state.seq_no
        self.cp.sequence_advanced(connector_id, seq_no + 1)  # consumed before it leaves: never sent twice
        if charging_state is not None:
            self.reported_charging[connector_id] = charging_state
        # Behind queued events it waits its turn too: the CSMS gets a transaction's events in seqNo order.
        offline = not self.online.is_set() or bool(self.queued_transaction_events)
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
        )
        if offline:
            self.queued_transaction_events.append(message)
            return None
        try:
            return await self.call(message)
        except CommandError as error:
            if error.code != "charger_not_connected":
                raise
            self.queued_transaction_events.append(message)  # it may have arrived: the CSMS dedups by seqNo
            return None

    async def deliver_queued_transaction_events(self) -> None:
        """After a boot, before anything else: what was queued while offline, in order."""
        async with self.tx_lock:  # no new TransactionEvent overtakes the queued ones
            await self.deliver_queued(self.queued_transaction_events)

    async def _start(
        self,
        connector_id: int,
        trigger: str,
        *,
        id_token: dict[str, str] | None = None,
        remote_start_id: int | None = None,
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
        self.reported_charging.pop(connector_id, None)
        response = await self._send(
            connector_id,
            "Started",
            trigger,
            charging_state="EVConnected" if self.state(connector_id).plugged else "Idle",
            id_token=id_token,
            remote_start_id=remote_start_id,
            meter=self.meter_value(reading, "Transaction.Begin", [ENERGY]),
        )
        return transaction_id, response

    async def _report_charging(self, connector_id: int) -> None:
        """Settle the meter and report a new chargingState, if any; the caller holds tx_lock."""
        self.settle(connector_id)
        if self.state(connector_id).transaction_id is None:
            return
        now_state = self.charging_state(connector_id)
        if self.reported_charging.get(connector_id) != now_state:
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
            if state.fault is not None or self.cp.charger_fault or not state.operative:
                raise CommandError("connector_unavailable", f"connector {connector_id} is {state.status}")
            self.cp.cable_plugged(connector_id, self.current_command)
            self.ev_arrives(connector_id, ev_max_power_w)
            await self.refresh_status(connector_id)
            if self.state(connector_id).transaction_id is None:
                if self.online.is_set():  # offline, the transaction starts at authorization instead
                    await self._start(connector_id, "CablePluggedIn")
            else:  # started by a remote start before the cable was in
                await self._send(connector_id, "Updated", "CablePluggedIn", charging_state="EVConnected")
            await self._report_charging(connector_id)
        self.record()

    async def unplug(self, connector_id: int) -> int | None:
        """The EV leaves: Available, and the transaction ends (EVDisconnected). Returns its energy."""
        async with self.tx_lock:
            state = self.state(connector_id)
            keeps_running = self.authorized_transaction(connector_id) and not self.config_bool(
                "StopTransactionOnEVSideDisconnect"
            )
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
            if state.transaction_id is None:
                transaction_id, response = await self._start(
                    connector_id, trigger, id_token=token, remote_start_id=remote_start_id
                )
            else:
                transaction_id = state.transaction_id
                response = await self._send(
                    connector_id, "Updated", trigger, id_token=token, remote_start_id=remote_start_id
                )
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

    async def stop_authorize(self, connector_id: int) -> int:
        """A local stop: energy stops now, the transaction ends when the EV leaves. Returns its energy."""
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
        if state.transaction_id is None:
            raise CommandError("no_transaction", f"connector {connector_id} has no transaction")
        transaction_id = state.transaction_id
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
        self.reported_charging.pop(connector_id, None)
        return transaction_id, energy

    def after_transaction(self, connector_id: int) -> None:
        """Carry out what was Scheduled until the transaction ended (ChangeAvailability, Reset OnIdle)."""
        if connector_id in self.pending_availability and not self.busy(connector_id):
            operative = self.pending_availability.pop(connector_id)
            self.cp.availability_changed(connector_id, operative)
            self.record()
            follow_up = self.availability_follow_up(connector_id)
            self.enqueue(FollowUp(None, follow_up, "ChangeAvailability (scheduled)"))
        if self.pending_reset is not None and not self.busy(self.pending_reset):
            scope, self.pending_reset = self.pending_reset, None
            self.enqueue(FollowUp(None, self.reset_follow_up(scope), "Reset OnIdle (scheduled)"))

    def busy(self, evse_id: int) -> bool:
        return any(self.state(n).transaction_id is not None for n in self.scope(evse_id))

    def _open_for_start(self, connector_id: int) -> None:
        state = self.state(connector_id)
        if self.authorized_transaction(connector_id):
            raise CommandError(
                "transaction_running",
                f"connector {connector_id} already has transaction {state.transaction_id}",
            )
        if state.stop_authorized:
            raise CommandError(
                "transaction_running",
                f"transaction {state.transaction_id} on connector {connector_id} was stopped and ends "
                "when the EV is unplugged",
            )
        if state.fault is not None or self.cp.charger_fault or not state.operative:
            raise CommandError("connector_unavailable", f"connector {connector_id} is {state.status}")
        if not self.online.is_set():
            raise CommandError("charger_not_connected", "the charger is not connected to its CSMS")

    # --- commands from the API ----------------------------------------------------------------------

    async def cmd_plug_connector(self, payload: PlugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if self.state(connector_id).plugged:
            raise CommandError("already_plugged", f"connector {connector_id} is already plugged")
        await self.plug(connector_id)
        return GenericOutcome(
            status=self.state(connector_id).status,
            msg="cable plugged",
            transaction_id=self.state(connector_id).transaction_id,
        )

    async def cmd_unplug_connector(self, payload: UnplugConnector) -> Outcome:
        connector_id = self.connector_number(payload)
        if not self.state(connector_id).plugged:
            raise CommandError("not_plugged", f"connector {connector_id} has no cable plugged")
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
                    "transaction_running",
                    f"transaction {state.transaction_id} started when the EV connected, at "
                    f"{state.meter_start_wh} Wh",
                )
            if payload.meter_start_wh < int(runtime.meter.energy_wh):
                raise CommandError(
                    "meter_start_below_register",
                    f"the register already reads {int(runtime.meter.energy_wh)} Wh",
                )
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
        transaction_id = state.transaction_id
        if transaction_id is None:
            raise CommandError("no_transaction", f"connector {connector_id} has no transaction")
        if payload.reason is None and self.authorized_transaction(connector_id) and state.plugged:
            energy = await self.stop_authorize(connector_id)
            msg = "transaction stopped; it ends when the EV is unplugged"
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
        await self.plug(connector_id, payload.power_w)
        ev = self.runtime[connector_id].ev
        if payload.power_w is not None and ev is not None:
            ev.max_power_w = payload.power_w
        status = await self.authorize_tag(payload.id_tag)
        if status == "Accepted":
            transaction_id, status = await self.authorize_transaction(
                connector_id, payload.id_tag, "Authorized"
            )
            if status == "Accepted":
                self.limit_energy(connector_id, payload.target_energy_kwh)
                return GenericOutcome(status="Charging", msg="session started", transaction_id=transaction_id)
        if self.state(connector_id).transaction_id is not None:
            await self.end_transaction(connector_id, "Deauthorized", "DeAuthorized")
        await self.unplug(connector_id)
        raise CommandError("id_tag_rejected", f"the CSMS answered {status} for id token {payload.id_tag}")

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
            self.cp.fault_raised(
                connector_id, code, payload.info, payload.vendor_error_code, self.current_command
            )
            for target in targets:
                self.settle(target)  # energy stops with the fault
                await self.status_notification(target, "Faulted", code)
            await self.notify_event([self.fault_event(connector_id, code, True, info)])
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
        was = self.cp.charger_fault if connector_id == 0 else self.state(connector_id).fault
        if was is None:
            raise CommandError("no_fault", f"connector {connector_id} has no fault")
        async with self.tx_lock:
            self.cp.fault_cleared(connector_id, self.current_command)
            await self.notify_event([self.fault_event(connector_id, was, False, None)])
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

    # --- CSMS-initiated calls (answers are immediate; follow-ups go through the intent worker) ------

    def _usable(self, connector_id: int) -> bool:
        state = self.cp.connectors.get(connector_id)
        return (
            state is not None
            and state.fault is None
            and not self.cp.charger_fault
            and state.operative
            and not state.stop_authorized
            and not self.authorized_transaction(connector_id)
        )

    def request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None,
        charging_profile: dict[str, Any] | None,
        message_id: str,
    ) -> tuple[str, str | None]:
        if not self.online.is_set():
            return "Rejected", None
        if charging_profile is not None and charging_profile.get("charging_profile_purpose") != "TxProfile":
            return "Rejected", None
        candidates = [
            n for n in ([evse_id] if evse_id is not None else list(self.cp.connectors)) if self._usable(n)
        ]
        # An EV already waiting for authorization first (cable plugged in before the remote start).
        waiting = [n for n in candidates if self.state(n).transaction_id is not None]
        idle = [n for n in candidates if self.state(n).transaction_id is None]
        target = (waiting or idle or [None])[0]
        if target is None:
            return "Rejected", None
        tag = str(id_token["id_token"])
        self.token_types[tag] = str(id_token["type"])

        async def follow_up() -> None:
            if charging_profile is not None:
                limit = limit_watts(charging_profile.get("charging_schedule"), self.charger.spec.current_type)
                self.settle(target)
                self.cp.charging_limit_changed(target, limit)
                self.profiles[int(charging_profile["id"])] = (target, "TxProfile")
            if self.config_bool("AuthorizeRemoteTxRequests") and await self.authorize_tag(tag) != "Accepted":
                return
            _, status = await self.authorize_transaction(
                target, tag, "RemoteStart", remote_start_id=remote_start_id, record_tag=True
            )
            if status != "Accepted":
                if self.config_bool("StopTransactionOnInvalidId"):
                    await self.end_transaction(target, "Deauthorized", "DeAuthorized")
                return
            if not self.state(target).plugged:
                await self.plug(target)  # the driver plugs in right away

        self.enqueue(FollowUp(message_id, follow_up, "RequestStartTransaction"))
        return "Accepted", self.state(target).transaction_id

    def request_stop(self, transaction_id: str, message_id: str) -> str:
        for n, state in self.cp.connectors.items():
            if state.transaction_id == transaction_id:

                async def follow_up(n: int = n) -> None:
                    if self.state(n).transaction_id == transaction_id:
                        await self.end_transaction(n, "RemoteStop", "Remote")

                self.enqueue(FollowUp(message_id, follow_up, "RequestStopTransaction"))
                return "Accepted"
        return "Rejected"

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

    def reset(self, kind: str, evse_id: int | None, message_id: str) -> str:
        if evse_id is not None and evse_id not in self.cp.connectors:
            return "Rejected"
        scope = evse_id or 0
        if kind == "OnIdle" and self.busy(scope):
            self.pending_reset = scope
            return "Scheduled"
        self.enqueue(FollowUp(message_id, self.reset_follow_up(scope), f"Reset {kind}"))
        return "Accepted"

    def trigger(self, requested: str, evse: dict[str, Any] | None, message_id: str) -> str:
        evse_id = None if evse is None else int(evse["id"])
        if evse is not None and (
            evse_id not in self.cp.connectors or evse.get("connector_id") not in (None, 1)
        ):
            return "Rejected"
        targets = [evse_id] if evse_id is not None else list(self.cp.connectors)
        run: Callable[[], Awaitable[None]]
        if requested == "BootNotification":
            if self.cp.boot_status == "Accepted":
                return "Rejected"  # F06.FR.17: not once the boot was accepted

            async def run() -> None:
                self.boot_reason = "Triggered"
                self._boot_now.set()

        elif requested == "Heartbeat":
            run = self.heartbeat
        elif requested == "StatusNotification":
            if evse_id is None:
                return "Rejected"

            async def run() -> None:
                status, code = self.connector_status(evse_id)
                await self.status_notification(evse_id, status, code, force=True)

        elif requested == "MeterValues":

            async def run() -> None:
                for n in targets:
                    await self.send_meter_values(n, self.settle(n), "Trigger")

        elif requested == "TransactionEvent":
            running = [n for n in targets if self.state(n).transaction_id is not None]
            if not running:
                return "Rejected"

            async def run() -> None:
                for n in running:
                    async with self.tx_lock:
                        reading = self.settle(n)
                        await self._send(
                            n,
                            "Updated",
                            "Trigger",
                            charging_state=self.charging_state(n),
                            meter=self.meter_value(
                                reading, "Trigger", self.measurands("MeterValuesSampledData")
                            ),
                        )

        elif requested == "LogStatusNotification":

            async def run() -> None:
                await self.call(call.LogStatusNotification(status="Idle"))

        elif requested == "FirmwareStatusNotification":

            async def run() -> None:
                await self.call(call.FirmwareStatusNotification(status="Idle"))

        else:
            return "NotImplemented"
        self.enqueue(FollowUp(message_id, run, f"TriggerMessage {requested}"))
        return "Accepted"

    def unlock(self, evse_id: int, connector_id: int) -> str:
        if evse_id not in self.cp.connectors or connector_id != 1:
            return "UnknownConnector"
        if self.authorized_transaction(evse_id):
            return "OngoingAuthorizedTransaction"
        return "Unlocked"

    def availability_follow_up(self, evse_id: int) -> Callable[[], Awaitable[None]]:
        async def follow_up() -> None:
            for n in list(self.cp.connectors) if evse_id == 0 else [evse_id]:
                await self.refresh_status(n, availability_event=True)

        return follow_up

    def change_availability(
        self, operational_status: str, evse: dict[str, Any] | None, message_id: str
    ) -> str:
        evse_id = 0 if evse is None else int(evse["id"])
        if evse is not None and (
            evse_id not in self.cp.connectors or evse.get("connector_id") not in (None, 1)
        ):
            return "Rejected"
        operative = operational_status == "Operative"
        targets = list(self.cp.connectors) if evse_id == 0 else [evse_id]
        if operative:
            for n in targets:
                self.pending_availability.pop(n, None)
        scheduled = [n for n in targets if not operative and self.state(n).transaction_id is not None]
        for n in scheduled:
            self.pending_availability[n] = False
        if not scheduled:
            self.cp.availability_changed(evse_id, operative)
        else:
            for n in targets:
                if n not in scheduled:
                    self.cp.availability_changed(n, operative)
        self.record()
        self.enqueue(FollowUp(message_id, self.availability_follow_up(evse_id), "ChangeAvailability"))
        return "Scheduled" if scheduled else "Accepted"

    def set_charging_profile(self, evse_id: int, profile: dict[str, Any], message_id: str) -> str:
        purpose = profile.get("charging_profile_purpose")
        if evse_id != 0 and evse_id not in self.cp.connectors:
            return "Rejected"
        if purpose == "ChargingStationExternalConstraints":
            return "Rejected"  # set by an external system, never by the CSMS
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "Rejected"
        if purpose == "TxProfile":
            if evse_id == 0:
                return "Rejected"
            running = self.state(evse_id).transaction_id
            if running is None or profile.get("transaction_id") not in (None, running):
                return "Rejected"
        limit = limit_watts(profile.get("charging_schedule"), self.charger.spec.current_type)
        if limit is None:
            return "Rejected"
        targets = list(self.cp.connectors) if evse_id == 0 else [evse_id]
        for n in targets:
            self.settle(n)
        self.cp.charging_limit_changed(evse_id, limit)
        self.profiles[int(profile["id"])] = (evse_id, str(purpose))
        self.record()
        self.enqueue(FollowUp(message_id, self._charging_follow_up(targets), "SetChargingProfile"))
        return "Accepted"

    def _charging_follow_up(self, targets: list[int]) -> Callable[[], Awaitable[None]]:
        async def follow_up() -> None:
            for n in targets:
                await self.update_charging(n)

        return follow_up

    def clear_charging_profile(
        self, profile_id: int | None, criteria: dict[str, Any] | None, message_id: str
    ) -> str:
        """Profiles are kept as one limit per connector: clearing any profile of a connector lifts it."""
        if profile_id is not None:
            known = self.profiles.pop(profile_id, None)
            if known is None:
                return "Unknown"
            scope = known[0]
        else:
            criteria = criteria or {}
            scope, purpose = criteria.get("evse_id") or 0, criteria.get("charging_profile_purpose")
            matched = [
                pid
                for pid, (evse_id, kind) in self.profiles.items()
                if scope in (0, evse_id) and purpose in (None, kind)
            ]
            for pid in matched:
                del self.profiles[pid]
            limited = [n for n in self.scope(scope) if self.cp.connectors[n].limit_w is not None]
            if not matched and (purpose is not None or not limited):
                return "Unknown"
        targets = self.scope(scope)
        for n in targets:
            self.settle(n)
            self.cp.charging_limit_changed(n, None)
        self.record()
        self.enqueue(FollowUp(message_id, self._charging_follow_up(targets), "ClearChargingProfile"))
        return "Accepted"

    def scope(self, evse_id: int) -> list[int]:
        """The connectors an evseId names: all of them for 0."""
        if evse_id == 0:
            return list(self.cp.connectors)
        return [evse_id] if evse_id in self.cp.connectors else []

    # --- device model ---------------------------------------------------------------------------------

    def device_model(self) -> list[DeviceVariable]:
        rows = []
        for key in configuration.KEYS.values():
            if key.component is None or key.variable is None:
                continue
            rows.append(
                DeviceVariable(
                    key.component,
                    key.variable,
                    self.config(key.name),
                    DATA_TYPES[key.kind],
                    mutability="ReadOnly" if key.readonly else "ReadWrite",
                    values_list=",".join(MEASURAND_UNITS) if key.name in MEASURAND_KEYS else None,
                    key=key,
                )
            )
        rows += [
            DeviceVariable(
                "TxCtrlr", "TxStartPoint", "EVConnected,Authorized", "MemberList", values_list=TX_POINTS
            ),
            DeviceVariable(
                "TxCtrlr", "TxStopPoint", "EVConnected,Authorized", "MemberList", values_list=TX_POINTS
            ),
            DeviceVariable(
                "DeviceDataCtrlr",
                "ItemsPerMessage",
                str(REPORT_ITEMS_PER_MESSAGE),
                "integer",
                instance="GetReport",
            ),
        ]
        station = "Faulted" if self.cp.charger_fault else "Available"
        if all(not c.operative for c in self.cp.connectors.values()):
            station = "Unavailable"
        rows.append(
            DeviceVariable(
                "ChargingStation", "AvailabilityState", station, "OptionList", values_list=AVAILABILITY_STATES
            )
        )
        for n, state in self.cp.connectors.items():
            for component, connector in (("EVSE", None), ("Connector", 1)):
                rows.append(
                    DeviceVariable(
                        component,
                        "AvailabilityState",
                        state.status,
                        "OptionList",
                        evse=n,
                        connector=connector,
                        values_list=AVAILABILITY_STATES,
                    )
                )
        return rows

    def find_variable(
        self, component: dict[str, Any], variable: dict[str, Any]
    ) -> tuple[str, DeviceVariable | None]:
        rows = [r for r in self.device_model() if r.matches_component(component)]
        if not rows:
            return "UnknownComponent", None
        for row in rows:
            if row.matches_variable(variable):
                return "Accepted", row
        return "UnknownVariable", None

    def get_variables(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in items:
            status, row = self.find_variable(item["component"], item["variable"])
            if row is not None and item.get("attribute_type") not in (None, "Actual"):
                status = "NotSupportedAttributeType"
            results.append(
                {
                    "attribute_status": status,
                    "attribute_type": item.get("attribute_type"),
                    "attribute_value": row.value if row is not None and status == "Accepted" else None,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return results

    def set_variables(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for item in items:
            status, row = self.find_variable(item["component"], item["variable"])
            value = str(item["attribute_value"])
            if row is not None:
                key = row.key
                if item.get("attribute_type") not in (None, "Actual"):
                    status = "NotSupportedAttributeType"
                elif key is None or not self.acceptable(key, value):
                    status = "Rejected"
                else:
                    status = "RebootRequired" if key.reboot else "Accepted"
                    self.apply_configuration(key.name, configuration.normalise(key, value))
            results.append(
                {
                    "attribute_status": status,
                    "attribute_type": item.get("attribute_type"),
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        self.record()
        return results

    @staticmethod
    def acceptable(key: configuration.Key, value: str) -> bool:
        if key.readonly or not configuration.check_value(key, value):
            return False
        members = [m.strip() for m in value.split(",") if m.strip()]
        return key.name not in MEASURAND_KEYS or all(m in MEASURAND_UNITS for m in members)

    def base_report(self, request_id: int, report_base: str, message_id: str) -> str:
        rows = self.device_model()
        if report_base == "ConfigurationInventory":
            rows = [r for r in rows if r.mutability == "ReadWrite"]
        elif report_base == "SummaryInventory":
            rows = [r for r in rows if r.variable == "AvailabilityState"]
        if not rows:
            return "EmptyResultSet"
        chunks = [
            rows[i : i + REPORT_ITEMS_PER_MESSAGE] for i in range(0, len(rows), REPORT_ITEMS_PER_MESSAGE)
        ]

        async def follow_up() -> None:
            for seq_no, chunk in enumerate(chunks):
                await self.call(
                    call.NotifyReport(
                        request_id=request_id,
                        generated_at=iso(self.clock.now()),
                        seq_no=seq_no,
                        report_data=[r.report() for r in chunk],
                        tbc=seq_no < len(chunks) - 1,
                    )
                )

        self.enqueue(FollowUp(message_id, follow_up, f"GetBaseReport {report_base}"))
        return "Accepted"

    def send_local_list(
        self, version_number: int, update_type: str, entries: list[dict[str, Any]] | None
    ) -> str:
        if not self.config_bool("LocalAuthListEnabled"):
            return "Failed"
        if update_type == "Differential" and version_number <= self.cp.local_list_version:
            return "VersionMismatch"
        kept, removed = [], []
        for entry in entries or []:
            token = entry["id_token"]
            self.token_types[token["id_token"]] = token["type"]
            info = entry.get("id_token_info")
            if info is None:
                removed.append(token["id_token"])
                continue
            kept.append(
                LocalListEntry(
                    id_tag=token["id_token"],
                    status=info["status"],
                    expiry_date=info.get("cache_expiry_date_time"),
                    parent_id_tag=(info.get("group_id_token") or {}).get("id_token"),
                )
            )
        self.cp.local_list_changed(
            version_number, update_type, kept, removed if update_type == "Differential" else [], None
        )
        self.record()
        return "Accepted"

    def clear_cache(self) -> str:
        if not self.config_bool("AuthorizationCacheEnabled"):
            return "Rejected"
        self.cp.auth_cache_cleared(len(self.cp.auth_cache), None)
        self.record()
        return "Accepted"


class V201Client(OcppChargePoint):
    """The `ocpp` library's 2.0.1 charging station; each handler answers at once and leaves follow-ups to
    the station's intent worker (a call() inside a handler would block the reader)."""

    station: V201Station

    @on(Action.request_start_transaction)
    def on_request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        call_unique_id: str,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.RequestStartTransaction:
        status, transaction_id = self.station.request_start(
            id_token, remote_start_id, evse_id, charging_profile, call_unique_id
        )
        return call_result.RequestStartTransaction(status=status, transaction_id=transaction_id)

    @on(Action.request_stop_transaction)
    def on_request_stop(
        self, transaction_id: str, call_unique_id: str, **_: Any
    ) -> call_result.RequestStopTransaction:
        return call_result.RequestStopTransaction(
            status=self.station.request_stop(transaction_id, call_unique_id)
        )

    @on(Action.reset)
    def on_reset(
        self, type: str, call_unique_id: str, evse_id: int | None = None, **_: Any
    ) -> call_result.Reset:
        return call_result.Reset(status=self.station.reset(type, evse_id, call_unique_id))

    @on(Action.trigger_message)
    def on_trigger(
        self, requested_message: str, call_unique_id: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        return call_result.TriggerMessage(
            status=self.station.trigger(requested_message, evse, call_unique_id)
        )

    @on(Action.unlock_connector)
    def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        return call_result.UnlockConnector(status=self.station.unlock(evse_id, connector_id))

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, call_unique_id: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        return call_result.ChangeAvailability(
            status=self.station.change_availability(operational_status, evse, call_unique_id)
        )

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], call_unique_id: str, **_: Any
    ) -> call_result.SetChargingProfile:
        return call_result.SetChargingProfile(
            status=self.station.set_charging_profile(evse_id, charging_profile, call_unique_id)
        )

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        call_unique_id: str,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        return call_result.ClearChargingProfile(
            status=self.station.clear_charging_profile(
                charging_profile_id, charging_profile_criteria, call_unique_id
            )
        )

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> call_result.GetVariables:
        return call_result.GetVariables(get_variable_result=self.station.get_variables(get_variable_data))

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> call_result.SetVariables:
        return call_result.SetVariables(set_variable_result=self.station.set_variables(set_variable_data))

    @on(Action.get_base_report)
    def on_get_base_report(
        self, request_id: int, report_base: str, call_unique_id: str, **_: Any
    ) -> call_result.GetBaseReport:
        return call_result.GetBaseReport(
            status=self.station.base_report(request_id, report_base, call_unique_id)
        )

    @on(Action.send_local_list)
    def on_send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.SendLocalList:
        return call_result.SendLocalList(
            status=self.station.send_local_list(version_number, update_type, local_authorization_list)
        )

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(version_number=self.station.cp.local_list_version)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(status=self.station.clear_cache())

    @on(Action.data_transfer)
    def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any
    ) -> call_result.DataTransfer:
        if vendor_id != VENDOR_ID:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=data)

    @on(Action.get_transaction_status)
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        ongoing = None
        if transaction_id is not None:
            ongoing = any(c.transaction_id == transaction_id for c in self.station.cp.connectors.values())
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)
