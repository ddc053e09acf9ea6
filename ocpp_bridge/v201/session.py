"""OCPP 2.0.1 station, the session: boot, StatusNotification, NotifyEvent, Authorize, MeterValues."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import TYPE_CHECKING, Any, cast

from ocpp.v201 import ChargePoint as OcppChargePoint
from ocpp.v201 import call

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import Clock, iso
from domain.protocol import OcppVersion
from infra import patches
from ocpp_bridge.core.meter import Reading
from ocpp_bridge.runtime.connection import RecordingConnection
from ocpp_bridge.runtime.smart_charging import SmartChargingStation
from ocpp_bridge.runtime.station import StationSettings
from ocpp_bridge.v201 import csms_answers as answers
from ocpp_bridge.v201 import rules
from ocpp_bridge.v201.client import V201Client

if TYPE_CHECKING:
    from ocpp_bridge.v201.station import V201Station
from ocpp_bridge.runtime.writer import EventWriter
from ocpp_bridge.v201.rules import ENERGY, FAULTS, FIRMWARE, MEASURAND_UNITS, TOKEN_TYPE, FaultEvent


class V201Session(SmartChargingStation):
    """Boot, status, device-model events, authorization and meter values of a 2.0.1 station."""

    def scope(self, evse_id: int) -> list[int]:
        return answers.scope(self.cp, evse_id)

    def busy(self, evse_id: int) -> bool:
        return answers.busy(self.cp, evse_id)

    async def deliver_queued_transaction_events(self) -> None:
        """After a boot, before anything else: what was queued, in order, with its retries."""
        async with self.tx_lock:  # no new TransactionEvent overtakes the queued ones
            await self.deliver_outbox()

    version = OcppVersion.V201
    subprotocol = "ocpp2.0.1"
    calls = call

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
        # NotifyEvent eventIds: from the seeded randomness (seeded per aggregate version, so a restarted
        # station does not repeat the ids of the previous run), then counting.
        self._event_ids = itertools.count(self.rng.randrange(1, 2**30))

    def make_client(self, connection: RecordingConnection) -> OcppChargePoint:
        client = V201Client(self.identity, connection, response_timeout=self.settings.response_timeout)
        client.station = cast("V201Station", self)  # the assembled station is always a V201Station
        patches.seed_message_ids(client, self.new_message_id)  # seeded ids: replays reproduce them
        return client

    # --- session -------------------------------------------------------------------------------------

    def charging_station(self) -> dict[str, Any]:
        return {
            "model": self.charger.spec.model_name[:20],
            "vendor_name": self.charger.spec.vendor_name[:50],
            "serial_number": self.identity[:25],
            "firmware_version": self.cp.firmware_version or FIRMWARE,
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
        return rules.connector_status(self.cp, self.state(connector_id))

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

    def fault_event_id(self, connector_id: int) -> int | None:
        """The eventId of the NotifyEvent that raised the fault of the connector (0: the station)."""
        if connector_id == 0:
            return self.cp.charger_fault_event_id
        return self.state(connector_id).fault_event_id

    def fault_event(
        self,
        connector_id: int,
        code: str,
        event_id: int,
        info: str | None,
        *,
        active: bool = True,
        cause: int | None = None,
    ) -> dict[str, Any]:
        """A fault raised, or cleared (its cause: the eventId of the NotifyEvent that raised it)."""
        fault = FAULTS.get(code, FaultEvent("ChargingStation", "Problem"))
        evse = None
        if connector_id != 0:
            evse = {"id": connector_id, "connector_id": 1 if fault.on_connector else None}
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

    def token_type_used(self, id_tag: str, token_type: str) -> None:
        if self.cp.token_types.get(id_tag) != token_type:
            self.cp.id_token_type_used(id_tag, token_type)

    def id_token(self, id_tag: str) -> dict[str, str]:
        return {"id_token": id_tag, "type": self.cp.token_types.get(id_tag, TOKEN_TYPE)}

    def authorize_request(self, id_tag: str) -> call.Authorize:
        return call.Authorize(id_token=self.id_token(id_tag))

    def authorized_status(self, answer: Any) -> str:
        return str(answer.id_token_info["status"])

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
