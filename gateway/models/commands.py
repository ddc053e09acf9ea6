from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from gateway.models.common import Strict

ChargerRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]
WireVersion = Literal["ocpp1.6", "ocpp2.0.1"]


class CommandTarget(Strict):
    """Exactly one of `charger_id` (id or OCPP identity) and `location_id`; `charger_ids` narrows a
    location to some of its chargers (ids or identities)."""

    charger_id: ChargerRef | None = None
    location_id: UUID | None = None
    charger_ids: Annotated[list[ChargerRef], Field(min_length=1, max_length=10_000)] | None = None

    @field_validator("charger_ids")
    @classmethod
    def _within_a_location(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and info.data.get("location_id") is None:
            raise ValueError(
                "charger_ids needs location_id: it narrows a location to some of its chargers "
                "(for one charger, give charger_id alone)"
            )
        return value

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.charger_id is None) == (self.location_id is None):
            raise ValueError("give exactly one of charger_id or location_id")
        return self


class ChargerCommandTarget(Strict):
    charger_id: ChargerRef = Field(description="the charger's id or its OCPP identity")


class QueuedCommandResponse(BaseModel):
    id: UUID
    event_type: str
    ocpp_version: WireVersion
    payload: dict[str, Any]
    response: dict[str, Any] | None = Field(
        None,
        description="ours, proxy-message only: the CSMS answer, {message_type: CALLRESULT, payload} or "
        "{message_type: CALLERROR, error_code, error_description, error_details}",
        exclude_if=lambda value: value is None,  # absent from every other command's answer
    )


class LocationQueuedCommandResult(BaseModel):
    charger_id: UUID
    identity: str
    command: QueuedCommandResponse


class ErrorInfo(BaseModel):
    code: str
    message: str


class LocationCommandFailure(BaseModel):
    """A charger the command could not be queued for: `error` says why; `code` is ours, machine-readable."""

    charger_id: str
    identity: str | None
    error: str
    code: str


class LocationCommandResponse(BaseModel):
    targeted_count: int
    queued_count: int
    failed_count: int
    results: list[LocationQueuedCommandResult]
    failed: list[LocationCommandFailure]


class ChargerLogEntry(BaseModel):
    direction: Literal["cp_to_csms", "csms_to_cp"]
    action: str | None
    message: str
    timestamp: datetime


class ChargerLogListResponse(BaseModel):
    data: list[ChargerLogEntry]
    total: int
    limit: int
    offset: int


class CommandDetail(QueuedCommandResponse):
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
    frames: list[ChargerLogEntry]


class CommandTimeoutBody(BaseModel):
    detail: str
    code: Literal["command_timeout"]
    command_id: UUID


# --- answers of the single-charger commands ------------------------------------------------------


class ConfigurationKeyResult(BaseModel):
    key: str
    status: Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]


class ConfigurationChangeResponse(BaseModel):
    status: Literal["Accepted", "Rejected", "RebootRequired", "NotSupported", "Partial"]
    configured: list[str]
    msg: str
    results: list[ConfigurationKeyResult]


class CacheResetResponse(BaseModel):
    msg: str
    cleared_entries: int


class LocalListMutationResponse(BaseModel):
    """local-auth-list fills status, list_version and entries_received; clear-local-auth-list msg and
    entries_deleted."""

    status: Literal["Accepted", "VersionMismatch", "Failed", "NotSupported"] | None = None
    list_version: int | None = None
    entries_received: int | None = None
    msg: str | None = None
    entries_deleted: int | None = None


class SecurityEventReportResponse(BaseModel):
    status: Literal["Sent", "Queued", "NotSent", "NotSupported"]
    msg: str


class FaultOperationResponse(BaseModel):
    msg: str
    fault_type: str | None
    evse_id: int | None
    connector_id: int
    status: str
