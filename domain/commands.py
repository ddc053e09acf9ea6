"""Command payloads: what a user may ask a charger to do, validated before it is queued.

Each payload is a frozen pydantic model (unknown fields refused) that knows its `event_type` and
whether it can apply to a given charger (`rejection`). A payload that cannot apply to one charger of
a fleet is a per-charger failure, never an error of the whole request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from domain.protocol import (
    ID_TAG_MAX_LENGTH,
    STOP_REASONS,
    AuthorizationStatus,
    FaultType,
    OcppVersion,
    StopReason,
)


class CommandType(StrEnum):
    PLUG_CONNECTOR = "plug_connector"
    UNPLUG_CONNECTOR = "unplug_connector"
    UNLOCK_CONNECTOR = "unlock_connector"
    START_TRANSACTION = "start_transaction"
    STOP_TRANSACTION = "stop_transaction"
    START_SESSION = "start_session"
    STOP_SESSION = "stop_session"
    AUTHORIZE = "authorize"
    EV_REQUESTS_ENERGY = "ev_requests_energy"
    EV_STOPS_ENERGY = "ev_stops_energy"
    POWER_UPDATE = "power_update"
    PROXY_MESSAGE = "proxy_message"
    CONFIGURATION = "configuration"
    CACHE_RESET = "cache_reset"
    LOCAL_AUTH_LIST = "local_auth_list"
    CLEAR_LOCAL_AUTH_LIST = "clear_local_auth_list"
    INJECT_FAULT = "inject_fault"
    CLEAR_FAULT = "clear_fault"
    START_CHARGER = "start_charger"
    STOP_CHARGER = "stop_charger"
    RESTART_CHARGER = "restart_charger"
    REPORT_SECURITY_EVENT = "report_security_event"  # ours (issue 11 item 8)

    # Ours (issue 11 item 8): charger-side failures a test causes.
    FAIL_FIRMWARE = "fail_firmware"
    FAIL_UPLOAD = "fail_upload"
    DROP_NETWORK = "drop_network"
    EV_TARGET_SOC = "ev_target_soc"


RUNTIME_COMMANDS = frozenset(
    {CommandType.START_CHARGER, CommandType.STOP_CHARGER, CommandType.RESTART_CHARGER}
)


TargetKind = Literal["charger", "location", "subset", "policy"]


class CommandTarget(BaseModel):
    """How a charger came to be targeted: the tenant, the request's target kind, and the charger's
    identity, location and OCPP version at the time the command was queued."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    kind: TargetKind
    charger_identity: str
    location_id: UUID | None
    ocpp_version: OcppVersion


class Rejection(BaseModel):
    """Why a command cannot apply to one charger."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


def _printable_ascii(value: str) -> str:
    # OCPP id tags are CiString (1.6) / identifierString-like (2.0.1): printable ASCII, no spaces.
    if not all(0x21 <= ord(ch) <= 0x7E for ch in value):
        raise ValueError("must be printable ASCII without spaces")
    return value


IdTag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ID_TAG_MAX_LENGTH),
    AfterValidator(_printable_ascii),
]
ConnectorNumber = Annotated[int, Field(ge=1, le=1000)]
FaultConnectorNumber = Annotated[int, Field(ge=0, le=1000, description="0 = the whole charger")]
EvseNumber = Annotated[int, Field(ge=1, le=1000)]


def _id_tag_rejection(id_tag: str | None, version: OcppVersion, field: str = "id_tag") -> Rejection | None:
    if id_tag is not None and len(id_tag) > version.id_tag_max_length:
        return Rejection(
            code="id_tag_too_long",
            message=f"{field} is {len(id_tag)} characters; {version.value} allows "
            f"{version.id_tag_max_length}",
        )
    return None


class CommandPayload(BaseModel):
    """Base of every command payload."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    event_type: ClassVar[CommandType]

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        """Why this command cannot apply to a charger of this version and size, or None."""
        return None

    def wire(self) -> dict[str, Any]:
        """The payload as the API shows it in a command object."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ConnectorCommand(CommandPayload):
    """A command aimed at one connector. On OCPP 2.0.1 each simulated EVSE has one connector, so
    `evse_id` N names connector N (and `connector_id`, if given with it, must be 1)."""

    connector_id: ConnectorNumber | None = Field(None, description="default 1")
    evse_id: EvseNumber | None = Field(None, description="OCPP 2.0.1 only")

    allow_whole_charger: ClassVar[bool] = False

    def connector(self) -> int:
        if self.evse_id is not None:
            return self.evse_id
        return 1 if self.connector_id is None else self.connector_id

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        if self.evse_id is not None:
            # A 1.6 charger has no EVSEs, but clients written for both versions send evse_id N with
            # connector_id N (OCPPLAB's examples: evse_id=1, connector_id=1): they agree, so it is taken.
            if version is OcppVersion.V16 and self.connector_id not in (None, self.evse_id):
                return Rejection(
                    code="not_applicable",
                    message=f"evse_id {self.evse_id} and connector_id {self.connector_id} disagree; "
                    "OCPP 1.6 has no EVSEs (give connector_id alone)",
                )
            if version is OcppVersion.V201 and self.connector_id not in (None, 1):
                return Rejection(
                    code="connector_not_found",
                    message=f"EVSE {self.evse_id} has one connector (connector_id 1)",
                )
        connector = self.connector()
        if connector > connector_count or (connector == 0 and not self.allow_whole_charger):
            return Rejection(
                code="connector_not_found",
                message=f"connector {connector} does not exist (charger has {connector_count})",
            )
        return None


class PlugConnector(ConnectorCommand):
    event_type = CommandType.PLUG_CONNECTOR


class UnplugConnector(ConnectorCommand):
    event_type = CommandType.UNPLUG_CONNECTOR


class UnlockConnector(ConnectorCommand):
    event_type = CommandType.UNLOCK_CONNECTOR


class EvRequestsEnergy(ConnectorCommand):
    event_type = CommandType.EV_REQUESTS_ENERGY


class EvStopsEnergy(ConnectorCommand):
    event_type = CommandType.EV_STOPS_ENERGY


class StartTransaction(ConnectorCommand):
    event_type = CommandType.START_TRANSACTION

    id_tag: IdTag
    meter_start_wh: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None  # Wh; 32-bit, as CSMSs store it

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        return super().rejection(version, connector_count) or _id_tag_rejection(self.id_tag, version)


class _StopsWithReason(ConnectorCommand):
    reason: StopReason | None = Field(None, description="OCPP stop reason of the charger's version")

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        if self.reason is not None and self.reason not in STOP_REASONS[version]:
            return Rejection(
                code="not_applicable",
                message=f"reason {self.reason.value} does not exist in {version.value}",
            )
        return super().rejection(version, connector_count)


class StopTransaction(_StopsWithReason):
    event_type = CommandType.STOP_TRANSACTION

    # The transaction the client named (the gateway found its connector); absent in events before it.
    transaction_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class StopSession(_StopsWithReason):
    event_type = CommandType.STOP_SESSION


class StartSession(ConnectorCommand):
    """Plug, authorize, start and charge; stopped by whichever limit is reached first."""

    event_type = CommandType.START_SESSION

    id_tag: IdTag
    duration_seconds: Annotated[float, Field(gt=0, le=30 * 24 * 3600)] | None = None
    target_energy_kwh: Annotated[float, Field(gt=0, le=10_000)] | None = None
    power_w: Annotated[float, Field(gt=0, le=1_000_000)] | None = Field(
        None, description="the EV's maximum charging power"
    )

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        return super().rejection(version, connector_count) or _id_tag_rejection(self.id_tag, version)


class Authorize(ConnectorCommand):
    event_type = CommandType.AUTHORIZE

    id_tag: IdTag

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        return super().rejection(version, connector_count) or _id_tag_rejection(self.id_tag, version)


class PowerUpdate(ConnectorCommand):
    event_type = CommandType.POWER_UPDATE

    power_w: Annotated[float, Field(ge=0, le=1_000_000)]


class InjectFault(ConnectorCommand):
    event_type = CommandType.INJECT_FAULT
    allow_whole_charger = True

    connector_id: FaultConnectorNumber | None = Field(None, description="default 1; 0 = whole charger")
    fault_type: FaultType
    vendor_error_code: Annotated[str, StringConstraints(max_length=50)] | None = None
    info: Annotated[str, StringConstraints(max_length=50)] | None = None


class ClearFault(ConnectorCommand):
    event_type = CommandType.CLEAR_FAULT
    allow_whole_charger = True

    connector_id: FaultConnectorNumber | None = Field(None, description="default 1; 0 = whole charger")


def _version_spelling(value: Any) -> Any:
    if isinstance(value, str):
        return {"ocpp1.6": "OCPP1.6", "ocpp2.0.1": "OCPP2.0.1"}.get(value.lower(), value)
    return value


class ProxyMessage(CommandPayload):
    """A raw OCPP call the charger sends to the CSMS as given (schema-checked unless validate=false)."""

    event_type = CommandType.PROXY_MESSAGE

    action: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_]+$")]
    ocpp_version: Annotated[OcppVersion, BeforeValidator(_version_spelling)] | None = Field(
        None, description="defaults to the charger's version"
    )
    payload: dict[str, Any] = Field(default_factory=dict, description="snake_case or camelCase fields")
    validate_payload: bool = Field(True, alias="validate")

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        if self.ocpp_version is not None and self.ocpp_version is not version:
            return Rejection(
                code="not_applicable",
                message=f"charger speaks {version.value}, message is {self.ocpp_version.value}",
            )
        return None


class ConfigurationItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, StringConstraints(min_length=1, max_length=50)] = Field(
        description="1.6 key, or Component.Variable on 2.0.1 (1.6 key names are mapped)"
    )
    value: Annotated[str, StringConstraints(max_length=500)]


class Configuration(CommandPayload):
    event_type = CommandType.CONFIGURATION

    configuration: Annotated[list[ConfigurationItem], Field(min_length=1, max_length=100)]


class CacheReset(CommandPayload):
    event_type = CommandType.CACHE_RESET


class LocalAuthListEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id_tag: IdTag
    expiry_date: datetime | None = None
    status: AuthorizationStatus | None = Field(
        None, description="absent in a Differential update = remove the entry"
    )
    parent_id_tag: IdTag | None = None


class LocalAuthList(CommandPayload):
    event_type = CommandType.LOCAL_AUTH_LIST

    list_version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    update_type: Literal["Full", "Differential"] = "Full"
    entries: Annotated[list[LocalAuthListEntry], Field(max_length=10_000)] = Field(default_factory=list)

    def rejection(self, version: OcppVersion, connector_count: int) -> Rejection | None:
        for index, entry in enumerate(self.entries):
            for field in ("id_tag", "parent_id_tag"):
                rejection = _id_tag_rejection(getattr(entry, field), version, f"entries[{index}].{field}")
                if rejection:
                    return rejection
        return None


class ClearLocalAuthList(CommandPayload):
    event_type = CommandType.CLEAR_LOCAL_AUTH_LIST


class StartCharger(CommandPayload):
    event_type = CommandType.START_CHARGER


class StopCharger(CommandPayload):
    event_type = CommandType.STOP_CHARGER


class RestartCharger(CommandPayload):
    event_type = CommandType.RESTART_CHARGER


# The security events of 2.0.1 appendix "Security events" (1.6 whitepaper names mapped by the bridge);
# the same list as ocpp_bridge.core.certificates.events.SecurityEvent (a unit test checks).
SecurityEventType = Literal[
    "FirmwareUpdated",
    "FailedToAuthenticateAtCsms",
    "CsmsFailedToAuthenticate",
    "SettingSystemTime",
    "StartupOfTheDevice",
    "ResetOrReboot",
    "SecurityLogWasCleared",
    "ReconfigurationOfSecurityParameters",
    "MemoryExhaustion",
    "InvalidMessages",
    "AttemptedReplayAttacks",
    "TamperDetectionActivated",
    "InvalidFirmwareSignature",
    "InvalidFirmwareSigningCertificate",
    "InvalidCsmsCertificate",
    "InvalidChargingStationCertificate",
    "InvalidTLSVersion",
    "InvalidTLSCipherSuite",
    "MaintenanceLoginAccepted",
    "MaintenanceLoginFailed",
]


class ReportSecurityEvent(CommandPayload):
    """Ours: make the charger report a security event (SecurityEventNotification), as if it happened."""

    event_type = CommandType.REPORT_SECURITY_EVENT

    type: SecurityEventType
    tech_info: Annotated[str, StringConstraints(max_length=255)] | None = None


FailureTimes = Annotated[int, Field(ge=1, le=100, description="how many tries in a row fail; default 1")]


class FailFirmware(CommandPayload):
    """Ours: the next firmware update fails at a stage: its next `times` download tries (each retry is
    one; DownloadFailed once the CSMS's retries are used up) or installations (InstallationFailed)."""

    event_type = CommandType.FAIL_FIRMWARE

    stage: Literal["download", "install"]
    times: FailureTimes = 1


class FailUpload(CommandPayload):
    """Ours: the next `times` diagnostics / log upload tries fail (UploadFailed / UploadFailure once the
    CSMS's retries are used up)."""

    event_type = CommandType.FAIL_UPLOAD

    times: FailureTimes = 1


class DropNetwork(CommandPayload):
    """Ours: the charger's network drops for `seconds` (simulated): the TCP connection is cut without a
    WebSocket close (the CSMS sees 1006), the charger runs on offline (transactions, meter samples,
    queued transaction messages) and reconnects once the network is back."""

    event_type = CommandType.DROP_NETWORK

    seconds: Annotated[float, Field(gt=0, le=86_400, description="simulated seconds offline")]


Percent = Annotated[float, Field(ge=0, le=100)]


class EvTargetSoc(ConnectorCommand):
    """Ours: the EV on the connector (or the next one plugged in) has a charge limit: it stops drawing
    energy when its state of charge reaches `target_soc` (SuspendedEV), as a car set to charge to 80 %
    does. `soc` sets its state of charge now (or on arrival). It ends when the EV leaves."""

    event_type = CommandType.EV_TARGET_SOC

    target_soc: Annotated[float, Field(gt=0, le=100, description="percent")]
    soc: Percent | None = Field(None, description="percent; default: the EV's own")


PAYLOAD_TYPES: dict[CommandType, type[CommandPayload]] = {
    cls.event_type: cls
    for cls in (
        PlugConnector,
        UnplugConnector,
        UnlockConnector,
        StartTransaction,
        StopTransaction,
        StartSession,
        StopSession,
        Authorize,
        EvRequestsEnergy,
        EvStopsEnergy,
        PowerUpdate,
        ProxyMessage,
        Configuration,
        CacheReset,
        LocalAuthList,
        ClearLocalAuthList,
        InjectFault,
        ClearFault,
        StartCharger,
        StopCharger,
        RestartCharger,
        ReportSecurityEvent,
        FailFirmware,
        FailUpload,
        DropNetwork,
        EvTargetSoc,
    )
}
