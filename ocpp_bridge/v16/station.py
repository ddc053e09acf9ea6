"""The OCPP 1.6 charge point assembled from its concerns, and its typed map of commands."""

from __future__ import annotations

from domain.commands import (
    CommandType,
)
from ocpp_bridge.runtime.maintenance import MAINTENANCE_COMMANDS
from ocpp_bridge.runtime.station import SHARED_COMMANDS
from ocpp_bridge.runtime.station_certificates import StationCertificates
from ocpp_bridge.v16.firmware import V16Firmware
from ocpp_bridge.v16.reservations import V16Reservations
from ocpp_bridge.v16.smart_charging import V16SmartCharging


class V16Station(StationCertificates, V16Firmware, V16SmartCharging, V16Reservations):
    """An OCPP 1.6 charge point: session, transactions, commands, CSMS calls, smart charging,
    reservations, certificates, firmware and diagnostics."""


# Every command on this version → its handler (tests/unit/cores/test_command_maps.py checks that every
# CommandType has one).
V16Station.commands = {
    **SHARED_COMMANDS,
    **MAINTENANCE_COMMANDS,
    CommandType.PLUG_CONNECTOR: V16Station.cmd_plug_connector,
    CommandType.UNPLUG_CONNECTOR: V16Station.cmd_unplug_connector,
    CommandType.UNLOCK_CONNECTOR: V16Station.cmd_unlock_connector,
    CommandType.START_TRANSACTION: V16Station.cmd_start_transaction,
    CommandType.STOP_TRANSACTION: V16Station.cmd_stop_transaction,
    CommandType.START_SESSION: V16Station.cmd_start_session,
    CommandType.STOP_SESSION: V16Station.cmd_stop_session,
    CommandType.AUTHORIZE: V16Station.cmd_authorize,
    CommandType.EV_REQUESTS_ENERGY: V16Station.cmd_ev_requests_energy,
    CommandType.EV_STOPS_ENERGY: V16Station.cmd_ev_stops_energy,
    CommandType.POWER_UPDATE: V16Station.cmd_power_update,
    CommandType.INJECT_FAULT: V16Station.cmd_inject_fault,
    CommandType.CLEAR_FAULT: V16Station.cmd_clear_fault,
    CommandType.REPORT_SECURITY_EVENT: V16Station.cmd_report_security_event,
}
