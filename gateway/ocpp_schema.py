"""Validation of proxy-message requests against the OCPP JSON schemas, at the edge (422 on a bad one).

The schemas are those shipped in the `ocpp` library, the same ones the bridge's charge point and the
CSMS validate with, so a request accepted here is one the wire will accept.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaValidationError
from ocpp.charge_point import snake_to_camel_case
from ocpp.messages import MessageType, get_validator

from domain.commands import CommandPayload, ProxyMessage
from domain.errors import InvalidRequest
from domain.protocol import OcppVersion

# Calls a charge point may send to a CSMS (the direction a proxied message goes).
CHARGE_POINT_ACTIONS: dict[OcppVersion, frozenset[str]] = {
    OcppVersion.V16: frozenset(
        {
            "Authorize",
            "BootNotification",
            "DataTransfer",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "StartTransaction",
            "StatusNotification",
            "StopTransaction",
            "LogStatusNotification",
            "SecurityEventNotification",
            "SignCertificate",
            "SignedFirmwareStatusNotification",
        }
    ),
    OcppVersion.V201: frozenset(
        {
            "Authorize",
            "BootNotification",
            "ClearedChargingLimit",
            "DataTransfer",
            "FirmwareStatusNotification",
            "Get15118EVCertificate",
            "GetCertificateStatus",
            "Heartbeat",
            "LogStatusNotification",
            "MeterValues",
            "NotifyChargingLimit",
            "NotifyCustomerInformation",
            "NotifyDisplayMessages",
            "NotifyEVChargingNeeds",
            "NotifyEVChargingSchedule",
            "NotifyEvent",
            "NotifyMonitoringReport",
            "NotifyReport",
            "PublishFirmwareStatusNotification",
            "ReportChargingProfiles",
            "ReservationStatusUpdate",
            "SecurityEventNotification",
            "SignCertificate",
            "StatusNotification",
            "TransactionEvent",
        }
    ),
}
SCHEMA_VERSION = {OcppVersion.V16: "1.6", OcppVersion.V201: "2.0.1"}


def camel_action(action: str) -> str:
    if "_" in action or action[:1].islower():
        return "".join(part[:1].upper() + part[1:] for part in re.split(r"_+", action) if part)
    return action


def check_proxy_message(payload: CommandPayload, version: OcppVersion) -> CommandPayload:
    """The message with its action in CamelCase and camelCase keys; 422 if it is not a valid call of
    the charger's version (unless validate=false)."""
    assert isinstance(payload, ProxyMessage)
    action = camel_action(payload.action)
    message: dict[str, Any] = snake_to_camel_case(payload.payload)
    if payload.validate_payload:
        if action not in CHARGE_POINT_ACTIONS[version]:
            raise InvalidRequest(
                f"{action} is not a call a {version.value} charge point sends", field="event.action"
            )
        try:
            get_validator(MessageType.Call, action, SCHEMA_VERSION[version]).validate(message)
        except SchemaValidationError as error:
            where = ".".join(str(p) for p in error.absolute_path)
            raise InvalidRequest(
                f"not a valid {action} ({version.value}): {error.message}",
                field="event.payload" + (f".{where}" if where else ""),
            ) from None
    return payload.model_copy(update={"action": action, "payload": message})
