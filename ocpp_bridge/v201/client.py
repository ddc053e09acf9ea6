"""The ocpp library's 2.0.1 charge point: routes each CSMS-initiated call to the station's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint as OcppChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from ocpp_bridge.runtime.maintenance import LogRoutes
from ocpp_bridge.v201.rules import VENDOR_ID

if TYPE_CHECKING:
    from ocpp_bridge.v201.station import V201Station


class V201Client(LogRoutes, OcppChargePoint):
    """The `ocpp` library's 2.0.1 charging station; each handler answers at once and leaves follow-ups to
    the station's intent worker (a call() inside a handler would block the reader)."""

    station: V201Station
    results = call_result

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
            **self.station.set_charging_profile(evse_id, charging_profile, call_unique_id)
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
            **self.station.clear_charging_profile(
                charging_profile_id, charging_profile_criteria, call_unique_id
            )
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, evse_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        return call_result.GetCompositeSchedule(
            **self.station.composite_schedule(evse_id, duration, charging_rate_unit)
        )

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self,
        request_id: int,
        charging_profile: dict[str, Any],
        call_unique_id: str,
        evse_id: int | None = None,
        **_: Any,
    ) -> call_result.GetChargingProfiles:
        return call_result.GetChargingProfiles(
            **self.station.charging_profiles(request_id, charging_profile, evse_id, call_unique_id)
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

    @on(Action.get_report)
    def on_get_report(
        self,
        request_id: int,
        call_unique_id: str,
        component_variable: list[dict[str, Any]] | None = None,
        component_criteria: list[str] | None = None,
        **_: Any,
    ) -> call_result.GetReport:
        return call_result.GetReport(
            status=self.station.get_report(request_id, component_variable, component_criteria, call_unique_id)
        )

    @on(Action.set_variable_monitoring)
    def on_set_variable_monitoring(
        self, set_monitoring_data: list[dict[str, Any]], **_: Any
    ) -> call_result.SetVariableMonitoring:
        return call_result.SetVariableMonitoring(
            set_monitoring_result=self.station.set_variable_monitoring(set_monitoring_data)
        )

    @on(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id: list[int], **_: Any) -> call_result.ClearVariableMonitoring:
        return call_result.ClearVariableMonitoring(
            clear_monitoring_result=self.station.clear_variable_monitoring(id)
        )

    @on(Action.set_monitoring_base)
    def on_set_monitoring_base(self, monitoring_base: str, **_: Any) -> call_result.SetMonitoringBase:
        return call_result.SetMonitoringBase(status=self.station.set_monitoring_base(monitoring_base))

    @on(Action.set_monitoring_level)
    def on_set_monitoring_level(self, severity: int, **_: Any) -> call_result.SetMonitoringLevel:
        return call_result.SetMonitoringLevel(status=self.station.set_monitoring_level(severity))

    @on(Action.get_monitoring_report)
    def on_get_monitoring_report(
        self,
        request_id: int,
        call_unique_id: str,
        component_variable: list[dict[str, Any]] | None = None,
        monitoring_criteria: list[str] | None = None,
        **_: Any,
    ) -> call_result.GetMonitoringReport:
        return call_result.GetMonitoringReport(
            status=self.station.get_monitoring_report(
                request_id, component_variable, monitoring_criteria, call_unique_id
            )
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

    @on(Action.reserve_now)
    def on_reserve_now(
        self,
        id: int,
        expiry_date_time: str,
        id_token: dict[str, Any],
        call_unique_id: str,
        evse_id: int | None = None,
        connector_type: str | None = None,
        group_id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.ReserveNow:
        status = self.station.reserve_now(
            id, expiry_date_time, id_token, evse_id, connector_type, group_id_token, call_unique_id
        )
        return call_result.ReserveNow(status=status)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(
        self, reservation_id: int, call_unique_id: str, **_: Any
    ) -> call_result.CancelReservation:
        return call_result.CancelReservation(
            status=self.station.cancel_reservation(reservation_id, call_unique_id)
        )

    @on(Action.set_display_message)
    def on_set_display_message(self, message: dict[str, Any], **_: Any) -> call_result.SetDisplayMessage:
        return call_result.SetDisplayMessage(status=self.station.set_display_message(message))

    @on(Action.get_display_messages)
    def on_get_display_messages(
        self,
        request_id: int,
        call_unique_id: str,
        id: list[int] | None = None,
        priority: str | None = None,
        state: str | None = None,
        **_: Any,
    ) -> call_result.GetDisplayMessages:
        status = self.station.get_display_messages(request_id, id, priority, state, call_unique_id)
        return call_result.GetDisplayMessages(status=status)

    @on(Action.clear_display_message)
    def on_clear_display_message(self, id: int, **_: Any) -> call_result.ClearDisplayMessage:
        return call_result.ClearDisplayMessage(status=self.station.clear_display_message(id))

    @on(Action.customer_information)
    def on_customer_information(
        self,
        request_id: int,
        report: bool,
        clear: bool,
        call_unique_id: str,
        id_token: dict[str, Any] | None = None,
        customer_identifier: str | None = None,
        customer_certificate: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.CustomerInformation:
        status = self.station.customer_information(
            request_id, report, clear, id_token, customer_identifier, customer_certificate, call_unique_id
        )
        return call_result.CustomerInformation(status=status)

    @on(Action.cost_updated)
    def on_cost_updated(self, total_cost: float, transaction_id: str, **_: Any) -> call_result.CostUpdated:
        self.station.cost_updated(total_cost, transaction_id)
        return call_result.CostUpdated()

    @on(Action.get_transaction_status)
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        ongoing = None
        if transaction_id is not None:
            ongoing = any(c.transaction_id == transaction_id for c in self.station.cp.connectors.values())
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    # --- certificates, block A and M (ocpp_bridge.runtime.station_certificates) ----------------------------

    @on(Action.install_certificate)
    def on_install_certificate(
        self, certificate_type: str, certificate: str, **_: Any
    ) -> call_result.InstallCertificate:
        return call_result.InstallCertificate(
            **self.station.install_certificate(certificate_type, certificate)
        )

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(
        self, certificate_type: list[str] | None = None, **_: Any
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
        self, certificate_chain: str, call_unique_id: str, certificate_type: str | None = None, **_: Any
    ) -> call_result.CertificateSigned:
        return call_result.CertificateSigned(
            **self.station.certificate_signed(certificate_chain, certificate_type, call_unique_id)
        )

    @on(Action.update_firmware)
    def on_update_firmware(
        self,
        request_id: int,
        firmware: dict[str, Any],
        call_unique_id: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> call_result.UpdateFirmware:
        return call_result.UpdateFirmware(
            status=self.station.signed_update_firmware(
                request_id, firmware, retries, retry_interval, call_unique_id
            )
        )

    @on(Action.set_network_profile)
    def on_set_network_profile(
        self, configuration_slot: int, connection_data: dict[str, Any], **_: Any
    ) -> call_result.SetNetworkProfile:
        status, why = self.station.set_network_profile(configuration_slot, connection_data)
        info = {"reason_code": "InvalidValue", "additional_info": why[:512]} if why else None
        return call_result.SetNetworkProfile(status=status, status_info=info)
