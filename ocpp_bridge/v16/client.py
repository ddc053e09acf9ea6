"""The ocpp library's 1.6 charge point: routes each CSMS-initiated call to the station's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ocpp_bridge.core.certificates.keys import SigningUse
from ocpp_bridge.runtime.maintenance import LogRoutes

if TYPE_CHECKING:
    from ocpp_bridge.v16.station import V16Station


class V16Client(LogRoutes, OcppChargePoint):
    """The `ocpp` library's 1.6 charge point; each handler answers at once and leaves follow-ups to
    the station's intent worker (a call() inside a handler would block the reader)."""

    station: V16Station
    results = call_result

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
        self,
        call_unique_id: str,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        return call_result.ClearChargingProfile(
            status=self.station.clear_charging_profile(
                call_unique_id, id, connector_id, charging_profile_purpose, stack_level
            )
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        return call_result.GetCompositeSchedule(
            **self.station.composite_schedule(connector_id, duration, charging_rate_unit)
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
    def on_reserve_now(
        self,
        connector_id: int,
        expiry_date: str,
        id_tag: str,
        reservation_id: int,
        call_unique_id: str,
        parent_id_tag: str | None = None,
        **_: Any,
    ) -> call_result.ReserveNow:
        status = self.station.reserve_now(
            connector_id, expiry_date, id_tag, reservation_id, parent_id_tag, call_unique_id
        )
        return call_result.ReserveNow(status=status)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(
        self, reservation_id: int, call_unique_id: str, **_: Any
    ) -> call_result.CancelReservation:
        return call_result.CancelReservation(
            status=self.station.cancel_reservation(reservation_id, call_unique_id)
        )

    # --- security whitepaper (ocpp_bridge.runtime.station_certificates) -------------------------------------

    @on(Action.install_certificate)
    def on_install_certificate(
        self, certificate_type: str, certificate: str, **_: Any
    ) -> call_result.InstallCertificate:
        return call_result.InstallCertificate(
            **self.station.install_certificate(certificate_type, certificate)
        )

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(
        self, certificate_type: str, **_: Any
    ) -> call_result.GetInstalledCertificateIds:
        return call_result.GetInstalledCertificateIds(
            **self.station.installed_certificate_ids(certificate_type)
        )

    @on(Action.delete_certificate)
    def on_delete_certificate(
        self, certificate_hash_data: dict[str, Any], **_: Any
    ) -> call_result.DeleteCertificate:
        return call_result.DeleteCertificate(**self.station.delete_certificate(certificate_hash_data))

    @on(Action.certificate_signed)
    def on_certificate_signed(
        self, certificate_chain: str, call_unique_id: str, **_: Any
    ) -> call_result.CertificateSigned:
        return call_result.CertificateSigned(
            **self.station.certificate_signed(certificate_chain, None, call_unique_id)
        )

    @on(Action.extended_trigger_message)
    def on_extended_trigger(
        self, requested_message: str, call_unique_id: str, connector_id: int | None = None, **_: Any
    ) -> call_result.ExtendedTriggerMessage:
        if requested_message == "SignChargePointCertificate":
            status = self.station.trigger_signing(SigningUse.CHARGING_STATION, call_unique_id)
        elif requested_message == "LogStatusNotification":
            status = "NotImplemented"
        else:  # the messages of TriggerMessage, answered the same way
            status = self.station.trigger(requested_message, connector_id, call_unique_id)
        return call_result.ExtendedTriggerMessage(status=status)

    @on(Action.update_firmware)
    def on_update_firmware(
        self,
        location: str,
        retrieve_date: str,
        call_unique_id: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> call_result.UpdateFirmware:
        self.station.update_firmware(location, retrieve_date, retries, retry_interval, call_unique_id)
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    def on_get_diagnostics(
        self,
        location: str,
        call_unique_id: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        start_time: str | None = None,
        stop_time: str | None = None,
        **_: Any,
    ) -> call_result.GetDiagnostics:
        name = self.station.get_diagnostics(
            location, retries, retry_interval, start_time, stop_time, call_unique_id
        )
        return call_result.GetDiagnostics(file_name=name)

    @on(Action.signed_update_firmware)
    def on_signed_update_firmware(
        self,
        request_id: int,
        firmware: dict[str, Any],
        call_unique_id: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> call_result.SignedUpdateFirmware:
        status = self.station.signed_update_firmware(
            request_id, firmware, retries, retry_interval, call_unique_id
        )
        return call_result.SignedUpdateFirmware(status=status)
