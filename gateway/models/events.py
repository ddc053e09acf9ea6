"""The `event` of each command request, as OCPPLAB's SDK names and shapes it (ConnectorCommandEvent, ...),
plus our extras (e.g. `reason`, `power_w`, `validate`). Each turns into the domain's command payload;
a rule that needs the charger (its version, its connectors) is checked there, per charger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from domain import commands as c
from domain.commands import ConnectorNumber, EvseNumber, FaultConnectorNumber, IdTag
from domain.errors import InvalidRequest
from domain.protocol import FAULT_NAMES, AuthorizationStatus, StopReason, fault_type_named
from gateway.models.common import Strict

Reason = Annotated[StopReason | None, Field(description="ours: OCPP stop reason of the charger's version")]


class ConnectorCommandEvent(Strict):
    """A connector: `connector_id` (default 1), or `evse_id` (2.0.1; on 1.6 taken when it equals
    `connector_id`)."""

    evse_id: EvseNumber | None = None
    connector_id: ConnectorNumber | None = None

    def connector_fields(self) -> dict[str, Any]:
        return {"evse_id": self.evse_id, "connector_id": self.connector_id}


class StartTransactionCommandEvent(ConnectorCommandEvent):
    id_tag: IdTag
    meter_start_wh: Annotated[int, Field(ge=0, le=2**31 - 1, description="ours")] | None = None

    def payload(self) -> c.StartTransaction:
        return c.StartTransaction(
            **self.connector_fields(), id_tag=self.id_tag, meter_start_wh=self.meter_start_wh
        )


class StopTransactionCommandEvent(ConnectorCommandEvent):
    """`transaction_id` names the transaction (its connector is found); without it, `connector_id`."""

    transaction_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    reason: Reason = None

    def payload(self, connector_id: int | None = None) -> c.StopTransaction:
        fields = self.connector_fields()
        if connector_id is not None:
            fields = {"connector_id": connector_id, "evse_id": None}
        return c.StopTransaction(**fields, transaction_id=self.transaction_id, reason=self.reason)


class StartSessionCommandEvent(ConnectorCommandEvent):
    id_tag: IdTag
    duration_seconds: Annotated[float, Field(gt=0, le=30 * 24 * 3600)] | None = None
    target_energy_kwh: Annotated[float, Field(gt=0, le=10_000)] | None = None
    power_w: (
        Annotated[float, Field(gt=0, le=1_000_000, description="ours: the EV's maximum power")] | None
    ) = None

    def payload(self) -> c.StartSession:
        return c.StartSession(
            **self.connector_fields(),
            id_tag=self.id_tag,
            duration_seconds=self.duration_seconds,
            target_energy_kwh=self.target_energy_kwh,
            power_w=self.power_w,
        )


class StopSessionCommandEvent(ConnectorCommandEvent):
    reason: Reason = None

    def payload(self) -> c.StopSession:
        return c.StopSession(**self.connector_fields(), reason=self.reason)


class AuthorizeIdTagCommandEvent(ConnectorCommandEvent):
    id_tag: IdTag

    def payload(self) -> c.Authorize:
        return c.Authorize(**self.connector_fields(), id_tag=self.id_tag)


class PowerUpdateCommandEvent(ConnectorCommandEvent):
    power_w: Annotated[float, Field(ge=0, le=1_000_000)]

    def payload(self) -> c.PowerUpdate:
        return c.PowerUpdate(**self.connector_fields(), power_w=self.power_w)


class ProxyMessageEvent(Strict):
    action: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_]+$")] = Field(
        description="OCPP action of the charger's version, snake_case or CamelCase"
    )
    ocpp_version: Literal["ocpp1.6", "ocpp2.0.1", "OCPP1.6", "OCPP2.0.1"] | None = Field(
        None, description="defaults to the charger's version"
    )
    payload: dict[str, Any] = Field(default_factory=dict, description="snake_case or camelCase fields")
    validate_payload: bool = Field(
        True, alias="validate", description="ours: false sends the payload unchecked (negative tests)"
    )

    def to_payload(self) -> c.ProxyMessage:
        return c.ProxyMessage.model_validate(
            {
                "action": self.action,
                "ocpp_version": self.ocpp_version,
                "payload": self.payload,
                "validate": self.validate_payload,
            }
        )


ConfigurationKey = Annotated[str, StringConstraints(min_length=1, max_length=50)]
ConfigurationValue = Annotated[str, StringConstraints(max_length=500)]


class ConfigurationUpdateEvent(Strict):
    configuration: Annotated[
        dict[ConfigurationKey, ConfigurationValue], Field(min_length=1, max_length=100)
    ] = Field(description="key → value: 1.6 keys, or Component.Variable on 2.0.1 (1.6 key names are mapped)")

    def payload(self) -> c.Configuration:
        return c.Configuration(
            configuration=[c.ConfigurationItem(key=k, value=v) for k, v in self.configuration.items()]
        )


class EmptyEvent(Strict):
    """No fields: the command needs only its target."""


class LocalAuthListEntry(Strict):
    id_tag: IdTag
    expiry_date: datetime | None = None
    parent_id_tag: IdTag | None = None
    status: AuthorizationStatus | None = Field(
        None, description="ours; default Accepted; absent in a Differential update = remove the entry"
    )


class LocalAuthListEvent(Strict):
    list_version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    entries: Annotated[list[LocalAuthListEntry], Field(max_length=10_000)]
    update_type: Literal["Full", "Differential"] = Field("Full", description="ours; default Full")

    def payload(self) -> c.LocalAuthList:
        full = self.update_type == "Full"
        entries = [
            c.LocalAuthListEntry(
                id_tag=e.id_tag,
                expiry_date=e.expiry_date,
                parent_id_tag=e.parent_id_tag,
                status=e.status or (AuthorizationStatus.ACCEPTED if full else None),
            )
            for e in self.entries
        ]
        return c.LocalAuthList(list_version=self.list_version, update_type=self.update_type, entries=entries)


class InjectFaultEvent(Strict):
    fault_type: Annotated[str, StringConstraints(min_length=1, max_length=50)] = Field(
        description="an OCPP 1.6 ChargePointErrorCode (OverCurrentFailure) or its short name (OverCurrent), "
        "mapped to the charger version's error code"
    )
    evse_id: EvseNumber | None = None
    connector_id: FaultConnectorNumber | None = Field(None, description="default 1; 0 = whole charger")
    vendor_error_code: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        None, description="ours"
    )
    info: Annotated[str, StringConstraints(max_length=50)] | None = Field(None, description="ours")

    def payload(self) -> c.InjectFault:
        fault_type = fault_type_named(self.fault_type)
        if fault_type is None:
            names = sorted({f.value for f in FAULT_NAMES.values()})
            raise InvalidRequest(
                f"unknown fault_type {self.fault_type[:50]!r}; one of {', '.join(names)} "
                "(or the name without Failure/Error)",
                field="event.fault_type",
            )
        return c.InjectFault(
            evse_id=self.evse_id,
            connector_id=self.connector_id,
            fault_type=fault_type,
            vendor_error_code=self.vendor_error_code,
            info=self.info,
        )


class ReportSecurityEventEvent(Strict):
    type: c.SecurityEventType = Field(
        description="a security event by its 2.0.1 name (a 1.6 charger reports the whitepaper's name)"
    )
    tech_info: Annotated[str, StringConstraints(max_length=255)] | None = None

    def payload(self) -> c.ReportSecurityEvent:
        return c.ReportSecurityEvent(type=self.type, tech_info=self.tech_info)


class ClearFaultEvent(Strict):
    evse_id: EvseNumber | None = None
    connector_id: FaultConnectorNumber | None = Field(None, description="default 1; 0 = whole charger")

    def payload(self) -> c.ClearFault:
        return c.ClearFault(evse_id=self.evse_id, connector_id=self.connector_id)
