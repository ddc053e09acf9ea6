from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from domain.charger import BasicAuthPassword, ChargerName, Identity, WsUrl
from domain.protocol import OcppVersion
from gateway.models.common import Strict

Slug = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ConnectorType = Annotated[str, StringConstraints(min_length=1, max_length=40)]
ProvisioningStatus = Literal["PENDING", "PROVISIONING", "READY", "FAILED"]
TlsVerify = Annotated[
    bool,
    Field(description="wss:// only: verify the CSMS certificate; false accepts a self-signed lab CSMS"),
]


class ChargerCreate(Strict):
    identity: Identity
    brand_slug: Slug
    model_slug: Slug
    connector_type: ConnectorType | None = Field(None, description="default: the model's first type")
    ws_url: WsUrl
    ocpp_version: OcppVersion = OcppVersion.V16
    charge_point_name: ChargerName | None = Field(None, description="default: the identity")
    location_id: UUID | None = None
    location_name: ChargerName | None = Field(
        None, description="without location_id: create a location of this name for the charger"
    )
    tls_verify: TlsVerify = True
    basic_auth_password: BasicAuthPassword | None = None


class ChargerUpdate(Strict):
    """Partial update; `location_id` moves the charger (null: out of its location);
    `basic_auth_password: null` turns HTTP Basic auth off (security profile 0)."""

    charge_point_name: ChargerName | None = None
    connector_type: ConnectorType | None = None
    ws_url: WsUrl | None = None
    ocpp_version: OcppVersion | None = None
    location_id: UUID | None = None
    tls_verify: TlsVerify | None = None
    basic_auth_password: BasicAuthPassword | None = None

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True)
        for field in ("charge_point_name", "connector_type", "ws_url", "ocpp_version", "tls_verify"):
            if field in changes and changes[field] is None:
                changes.pop(field)  # these cannot be cleared; null means unchanged
        if "charge_point_name" in changes:
            changes["name"] = changes.pop("charge_point_name")
        return changes


class ChargerAccepted(BaseModel):
    charger_id: UUID
    identity: str
    status: ProvisioningStatus
    status_url: str
    workflow_run_id: UUID


class RuntimeState(BaseModel):
    state: Literal["provisioning", "running", "stopped", "failed"]
    connected: bool
    boot_status: str | None
    last_seen_at: datetime | None


class ConnectorState(BaseModel):
    connector_id: int
    evse_id: int | None
    status: str | None
    plugged: bool
    transaction_id: str | None
    energy_wh: int | None
    power_w: float | None
    fault: str | None


class ChargerPublic(BaseModel):
    id: UUID
    identity: str
    name: str
    vendor_name: str
    model: str
    brand_slug: str
    model_slug: str
    image_url: str | None
    ocpp_version: OcppVersion
    number_of_connectors: int
    max_charging_power: int = Field(description="W")
    connector_type: str
    ws_url: str
    security_profile: Literal[0, 1, 2] = Field(
        description="0: no HTTP Basic auth; 1: Basic auth over ws://; 2: Basic auth over wss://"
    )
    tls_verify: bool
    location_id: UUID | None
    created_at: datetime
    updated_at: datetime
    runtime: RuntimeState
    connectors: list[ConnectorState]


class ChargerStatusError(BaseModel):
    code: str
    message: str
    retryable: bool


class ChargerStatus(BaseModel):
    charger_id: UUID
    status: ProvisioningStatus
    workflow_run_id: UUID | None
    error: ChargerStatusError | None
    provisioned_at: datetime | None


class ChargerDeleted(BaseModel):
    id: UUID
    deleted: bool = True


class ChargerTemplate(Strict):
    brand_slug: Slug
    model_slug: Slug
    connector_type: ConnectorType | None = None
    ws_url: WsUrl
    ocpp_version: OcppVersion = OcppVersion.V16
    identity_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9*_=:+|@.\-]{0,40}$")] = ""
    template_name: ChargerName | None = None
    tls_verify: TlsVerify = True
    basic_auth_password: BasicAuthPassword | None = Field(
        None, description="every charger of the group gets this password (see ChargerCreate)"
    )


class ChargerGroup(Strict):
    template: ChargerTemplate
    charger_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9*_=:+|@.\-]{1,48}$")]],
        Field(max_length=10_000),
    ] = Field(default_factory=list, description="identity suffixes; padded with random hex")
    chargers_number: Annotated[int, Field(ge=1, le=10_000)]


class JobAccepted(BaseModel):
    job_id: UUID
    status: Literal["COMPLETED", "FAILED"]
    status_url: str
    workflow_run_id: UUID


class JobCreated(BaseModel):
    charger_id: UUID
    identity: str


class JobFailedError(BaseModel):
    code: str
    message: str


class JobFailed(BaseModel):
    identity: str
    error: JobFailedError


class JobResults(BaseModel):
    created: list[JobCreated]
    failed: list[JobFailed]


class JobStatus(BaseModel):
    job_id: UUID
    job_type: str
    status: Literal["COMPLETED", "FAILED"]
    workflow_run_id: UUID
    error: JobFailedError | None
    results: JobResults
    provisioned_at: datetime


class BulkChargerUpdate(Strict):
    charger_ids: Annotated[list[str], Field(min_length=1, max_length=10_000)]
    changes: ChargerUpdate


class BulkUpdated(BaseModel):
    updated: list[UUID]
    not_found: list[str]


class BulkDeleted(BaseModel):
    deleted: list[UUID]
    not_found: list[str]


def runtime_of(row: dict[str, Any], status: dict[str, Any] | None) -> RuntimeState:
    attached = status is not None and status["attached"]
    # provisioning: it should run, but no bridge runs it yet
    state = "stopped" if not row["running"] else "running" if attached else "provisioning"
    return RuntimeState(
        state=state,
        connected=bool(status and status["connected"]),
        boot_status=None if status is None else status["boot_status"],
        last_seen_at=None if status is None else status["last_seen_at"],
    )


def connectors_of(row: dict[str, Any], observed: list[dict[str, Any]]) -> list[ConnectorState]:
    is_201 = row["ocpp_version"] == OcppVersion.V201
    by_id = {c["connector_id"]: c for c in observed}
    states = []
    for n in range(1, row["connector_count"] + 1):
        c = by_id.get(n)
        states.append(
            ConnectorState(
                connector_id=n,
                evse_id=n if is_201 else None,
                status=None if c is None else c["status"],
                plugged=bool(c and c["plugged"]),
                transaction_id=None if c is None else c["transaction_id"],
                energy_wh=None if c is None else c["energy_wh"],
                power_w=None if c is None else c["power_w"],
                fault=None if c is None else c["fault"],
            )
        )
    return states


def charger_public(
    row: dict[str, Any], runtime: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
) -> ChargerPublic:
    status, connectors = runtime if runtime is not None else (None, [])
    return ChargerPublic(
        id=row["id"],
        identity=row["identity"],
        name=row["name"],
        vendor_name=row["vendor_name"],
        model=row["model_name"],
        brand_slug=row["brand_slug"],
        model_slug=row["model_slug"],
        image_url=None,
        ocpp_version=row["ocpp_version"],
        number_of_connectors=row["connector_count"],
        max_charging_power=row["max_power_w"],
        connector_type=row["connector_type"],
        ws_url=row["ws_url"],
        security_profile=row["security_profile"],
        tls_verify=row["tls_verify"],
        location_id=row["location_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        runtime=runtime_of(row, status),
        connectors=connectors_of(row, connectors),
    )


def charger_status(
    row: dict[str, Any], runtime: tuple[dict[str, Any], list[dict[str, Any]]] | None
) -> ChargerStatus:
    status = None if runtime is None else runtime[0]
    ready = status is not None and status["attached"]
    return ChargerStatus(
        charger_id=row["id"],
        status="READY" if ready else "PROVISIONING",
        workflow_run_id=row["job_id"],
        error=None,
        provisioned_at=None if status is None else status["provisioned_at"],
    )
