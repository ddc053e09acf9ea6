from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, model_validator

from domain.commands import CommandPayload
from gateway.models.common import Strict

P = TypeVar("P", bound=CommandPayload)
ChargerRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]
WireVersion = Literal["ocpp1.6", "ocpp2.0.1"]


class FleetTarget(Strict):
    """Exactly one of `charger_id` (id or OCPP identity) and `location_id`; `charger_ids` narrows a
    location to some of its chargers."""

    charger_id: ChargerRef | None = None
    location_id: UUID | None = None
    charger_ids: Annotated[list[ChargerRef], Field(min_length=1, max_length=10_000)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.charger_id is None) == (self.location_id is None):
            raise ValueError("give exactly one of charger_id or location_id")
        if self.charger_ids is not None and self.location_id is None:
            raise ValueError("charger_ids is only allowed with location_id")
        return self


class ChargerTarget(Strict):
    charger_id: ChargerRef


class FleetCommand(Strict, Generic[P]):
    target: FleetTarget
    event: P


class ChargerCommand(Strict, Generic[P]):
    target: ChargerTarget
    event: P


class CommandObject(BaseModel):
    id: UUID
    event_type: str
    ocpp_version: WireVersion
    payload: dict[str, Any]


class FleetResult(BaseModel):
    charger_id: UUID
    identity: str
    command: CommandObject


class ErrorInfo(BaseModel):
    code: str
    message: str


class FleetFailure(BaseModel):
    charger_id: str
    identity: str | None
    error: ErrorInfo


class FleetCommandResponse(BaseModel):
    targeted_count: int
    queued_count: int
    failed_count: int
    results: list[FleetResult]
    failed: list[FleetFailure]


class FrameRecord(BaseModel):
    direction: Literal["cp_to_csms", "csms_to_cp"]
    action: str | None
    message: str
    timestamp: datetime


class LogPage(BaseModel):
    data: list[FrameRecord]
    total: int
    limit: int
    offset: int


class CommandDetail(CommandObject):
    status: Literal["queued", "dispatched", "completed", "failed"]
    charger_id: UUID
    identity: str
    location_id: UUID | None
    origin: str
    requested_by: str
    batch_id: UUID
    idempotency_key: str | None
    queued_at: datetime
    dispatched_at: datetime | None
    completed_at: datetime | None
    result: dict[str, Any] | None
    error: ErrorInfo | None
    frames: list[FrameRecord]


class CommandTimeoutBody(BaseModel):
    detail: str
    code: Literal["command_timeout"]
    command_id: UUID


# --- answers of the single-charger commands ------------------------------------------------------


class ProxyResult(CommandObject):
    response: dict[str, Any] | None = Field(
        description="the CSMS answer: {message_type: CALLRESULT, payload} or {message_type: CALLERROR, "
        "error_code, error_description, error_details}"
    )


class ConfigurationKeyResult(BaseModel):
    key: str
    status: Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]


class ConfigurationResult(BaseModel):
    status: Literal["Accepted", "Rejected", "RebootRequired", "NotSupported", "Partial"]
    configured: list[str]
    msg: str
    results: list[ConfigurationKeyResult]


class CacheResetResult(BaseModel):
    msg: str
    cleared_entries: int


class LocalAuthListResult(BaseModel):
    status: Literal["Accepted", "VersionMismatch", "Failed", "NotSupported"]
    list_version: int
    entries_received: int


class ClearLocalAuthListResult(BaseModel):
    msg: str
    entries_deleted: int


class FaultResult(BaseModel):
    msg: str
    fault_type: str | None
    evse_id: int | None
    connector_id: int
    status: str
