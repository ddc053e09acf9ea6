"""OCPP 1.6 charge point, the session: boot, the statuses of connector 0 and each connector, Authorize,
MeterValues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call

from domain.clock import iso
from domain.protocol import OcppVersion
from infra import patches
from ocpp_bridge.core import boot, guards
from ocpp_bridge.core.meter import Reading
from ocpp_bridge.core.reservations import reservation_on
from ocpp_bridge.runtime.connection import RecordingConnection
from ocpp_bridge.runtime.smart_charging import SmartChargingStation
from ocpp_bridge.v16 import rules
from ocpp_bridge.v16.client import V16Client

if TYPE_CHECKING:
    from ocpp_bridge.v16.station import V16Station
from ocpp_bridge.v16.rules import FIRMWARE, MEASURAND_UNITS


class V16Session(SmartChargingStation):
    """Boot, StatusNotification of connector 0 and each connector, Authorize, MeterValues."""

    version = OcppVersion.V16
    subprotocol = "ocpp1.6"
    calls = call

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.charger_reported: tuple[str, str] | None = None  # connector 0's last reported status

    def make_client(self, connection: RecordingConnection) -> OcppChargePoint:
        client = V16Client(self.identity, connection, response_timeout=self.settings.response_timeout)
        client.station = cast("V16Station", self)  # the assembled station is always a V16Station
        patches.seed_message_ids(client, self.new_message_id)  # seeded ids: replays reproduce them
        return client

    # --- session -------------------------------------------------------------------------------------

    async def boot(self) -> None:
        request = call.BootNotification(
            charge_point_model=self.charger.spec.model_name[:20],
            charge_point_vendor=self.charger.spec.vendor_name[:20],
            charge_point_serial_number=self.identity[:25],
            firmware_version=self.cp.firmware_version or FIRMWARE,
        )
        interval = await self.run_step(
            boot.boot(self.cp, request, own_wait_s=self.settings.backoff_initial * 10)
        )
        # The interval is the heartbeat interval from now on, and the HeartbeatInterval key's value.
        if interval > 0 and self.config("HeartbeatInterval") != str(interval):
            self.apply_configuration("HeartbeatInterval", str(interval))
            self.record()

    async def report_all(self) -> None:
        """After a boot: deliver what was queued offline, then the status of connector 0 and each one."""
        await self.deliver_outbox()
        await self.report_charger_status()
        for connector_id, state in self.cp.connectors.items():
            await self.status_notification(connector_id, state.status, state.error_code, force=True)

    def charger_status(self) -> tuple[str, str]:
        return rules.charger_status(self.cp)

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
        runtime = self.runtime[connector_id]
        return rules.transaction_status(self.state(connector_id), runtime.ev, runtime.power_w)

    def faulted(self, connector_id: int) -> bool:
        return guards.faulted(self.cp, self.state(connector_id))

    def resting_status(self, connector_id: int) -> str:
        runtime = self.runtime[connector_id]
        reserved = reservation_on(self.cp.reservations.values(), connector_id) is not None
        return rules.resting_status(self.state(connector_id), runtime.ev, runtime.power_w, reserved=reserved)

    def ensure_usable(self, connector_id: int) -> None:
        guards.usable(self.cp, self.state(connector_id))

    def authorize_request(self, id_tag: str) -> call.Authorize:
        return call.Authorize(id_tag=id_tag)

    def authorized_status(self, answer: Any) -> str:
        return str(answer.id_tag_info["status"])

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
        message = call.MeterValues(
            connector_id=connector_id,
            transaction_id=None if state.transaction_id is None else int(state.transaction_id),
            meter_value=[{"timestamp": iso(reading.taken_at or self.clock.now()), "sampled_value": sampled}],
        )
        if state.transaction_id is None:
            await self.call(message)
        else:  # a transaction message: retried in order if it fails
            await self.transact(message, connector_id)
