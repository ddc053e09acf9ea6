"""The bodies of the command requests, `{target, event}`: a fleet target (a charger, a location, or some
of its chargers) or one charger, and the command's event."""

from __future__ import annotations

from domain.commands import DropNetwork, EvTargetSoc, FailFirmware, FailUpload
from gateway.models.commands import ChargerCommandTarget, CommandTarget
from gateway.models.common import Strict
from gateway.models.events import (
    AuthorizeIdTagCommandEvent,
    ClearFaultEvent,
    ConfigurationUpdateEvent,
    ConnectorCommandEvent,
    EmptyEvent,
    InjectFaultEvent,
    LocalAuthListEvent,
    PowerUpdateCommandEvent,
    ProxyMessageEvent,
    ReportSecurityEventEvent,
    StartSessionCommandEvent,
    StartTransactionCommandEvent,
    StopSessionCommandEvent,
    StopTransactionCommandEvent,
)


class UnifiedConnectorRequest(Strict):
    target: CommandTarget
    event: ConnectorCommandEvent


class StartTransactionRequest(Strict):
    target: CommandTarget
    event: StartTransactionCommandEvent


class StopTransactionRequest(Strict):
    target: CommandTarget
    event: StopTransactionCommandEvent


class StartSessionRequest(Strict):
    target: CommandTarget
    event: StartSessionCommandEvent


class StopSessionRequest(Strict):
    target: CommandTarget
    event: StopSessionCommandEvent


class AuthorizeIdTagRequest(Strict):
    target: CommandTarget
    event: AuthorizeIdTagCommandEvent


class PowerUpdateRequest(Strict):
    target: CommandTarget
    event: PowerUpdateCommandEvent


class ProxyMessageRequest(Strict):
    target: ChargerCommandTarget
    event: ProxyMessageEvent


class ConfigurationUpdateRequest(Strict):
    target: ChargerCommandTarget
    event: ConfigurationUpdateEvent


class EmptyCommandRequest(Strict):
    target: ChargerCommandTarget
    event: EmptyEvent


class LocalAuthListRequest(Strict):
    target: ChargerCommandTarget
    event: LocalAuthListEvent


class InjectFaultRequest(Strict):
    target: ChargerCommandTarget
    event: InjectFaultEvent


class ReportSecurityEventRequest(Strict):
    target: ChargerCommandTarget
    event: ReportSecurityEventEvent


class ClearFaultRequest(Strict):
    target: ChargerCommandTarget
    event: ClearFaultEvent


# Ours (issue 11 item 8): failures a test injects; the event is the command's payload as it is recorded.
class FailFirmwareRequest(Strict):
    target: CommandTarget
    event: FailFirmware


class FailUploadRequest(Strict):
    target: CommandTarget
    event: FailUpload


# Ours (issue 11 item 8): charger-side events a test causes.
class DropNetworkRequest(Strict):
    target: CommandTarget
    event: DropNetwork


class EvTargetSocRequest(Strict):
    target: CommandTarget
    event: EvTargetSoc
