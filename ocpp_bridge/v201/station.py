"""The OCPP 2.0.1 station assembled from its concerns, and its typed map of commands."""

from __future__ import annotations

from domain.commands import (
    CommandType,
)
from ocpp_bridge.runtime.maintenance import MAINTENANCE_COMMANDS
from ocpp_bridge.runtime.station import SHARED_COMMANDS
from ocpp_bridge.runtime.station_certificates import StationCertificates
from ocpp_bridge.v201.aligned_data import V201AlignedData
from ocpp_bridge.v201.customer_calls import V201CustomerCalls
from ocpp_bridge.v201.device_model import V201DeviceModel
from ocpp_bridge.v201.firmware import V201Firmware
from ocpp_bridge.v201.monitors import V201Monitoring
from ocpp_bridge.v201.reservations import V201Reservations
from ocpp_bridge.v201.smart_charging import V201SmartCharging


class V201Station(
    StationCertificates,
    V201Firmware,
    V201SmartCharging,
    V201Reservations,
    V201CustomerCalls,
    V201AlignedData,
    V201Monitoring,
    V201DeviceModel,
):
    """An OCPP 2.0.1 charging station: session, transactions, commands, CSMS calls, smart charging,
    reservations, display messages and customer information, device model and monitoring, certificates,
    firmware and logs."""


# Every command on this version → its handler (tests/unit/cores/test_command_maps.py checks that every
# CommandType has one).
V201Station.commands = {
    **SHARED_COMMANDS,
    **MAINTENANCE_COMMANDS,
    CommandType.PLUG_CONNECTOR: V201Station.cmd_plug_connector,
    CommandType.UNPLUG_CONNECTOR: V201Station.cmd_unplug_connector,
    CommandType.UNLOCK_CONNECTOR: V201Station.cmd_unlock_connector,
    CommandType.START_TRANSACTION: V201Station.cmd_start_transaction,
    CommandType.STOP_TRANSACTION: V201Station.cmd_stop_transaction,
    CommandType.START_SESSION: V201Station.cmd_start_session,
    CommandType.STOP_SESSION: V201Station.cmd_stop_session,
    CommandType.AUTHORIZE: V201Station.cmd_authorize,
    CommandType.EV_REQUESTS_ENERGY: V201Station.cmd_ev_requests_energy,
    CommandType.EV_STOPS_ENERGY: V201Station.cmd_ev_stops_energy,
    CommandType.POWER_UPDATE: V201Station.cmd_power_update,
    CommandType.INJECT_FAULT: V201Station.cmd_inject_fault,
    CommandType.CLEAR_FAULT: V201Station.cmd_clear_fault,
    CommandType.REPORT_SECURITY_EVENT: V201Station.cmd_report_security_event,
}
