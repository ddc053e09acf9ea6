from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, model_validator

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

    name: ChargerName | None = Field(None, description="the charger's name (as charge_point_name)")
    charge_point_name: ChargerName | None = None
    connector_type: ConnectorType | None = None
    ws_url: WsUrl | None = None
    ocpp_version: OcppVersion | None = None
    location_id: UUID | None = None
    location_name: ChargerName | None = Field(
        None, description="without location_id: move the charger to a new location of this name"
    )
    tls_verify: TlsVerify | None = None
    basic_auth_password: BasicAuthPassword | None = None

    def changes(self) -> dict[str, Any]:
        """The settings to change (`location_name` is not one: the route turns it into a location)."""
        changes = self.model_dump(exclude_unset=True, exclude={"location_name"})
        if "name" in changes:
            name = changes.pop("name")
            changes.setdefault("charge_point_name", name)
        for field in ("charge_point_name", "connector_type", "ws_url", "ocpp_version", "tls_verify"):
            if field in changes and changes[field] is None:
                changes.pop(field)  # these cannot be cleared; null means unchanged
        if "charge_point_name" in changes:
            changes["name"] = changes.pop("charge_point_name")
        return changes


class ChargerAcceptedResponse(BaseModel):
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


class ChargerResponse(BaseModel):
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


class ProvisioningErrorDetail(BaseModel):
    code: str
    message: str
    step: str | None = None
    param: str | None = None
    doc_url: str | None = None
    retryable: bool | None = None


class ProvisioningProgress(BaseModel):
    current_step: str | None = None
    chargers_ready: int | None = Field(None, description="ours: chargers a bridge runs")
    chargers_total: int | None = Field(None, description="ours: chargers the job created (still there)")


class ChargerStatusResponse(BaseModel):
    """PROVISIONING until a bridge runs the charger's simulated charge point, then READY (its CSMS
    connection is reported in the charger's `runtime`)."""

    charger_id: UUID
    status: ProvisioningStatus
    workflow_run_id: UUID | None
    error: ProvisioningErrorDetail | None
    progress: ProvisioningProgress | None = None
    provisioned_at: datetime | None


class ChargerListResponse(BaseModel):
    data: list[ChargerResponse]
    total: int
    page: int
    limit: int


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
    """`charger_ids` alone creates exactly those; `chargers_number` alone that many with random hex
    suffixes; both: the given suffixes first, truncated or padded with random hex to `chargers_number`."""

    template: ChargerTemplate
    charger_ids: (
        Annotated[
            list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9*_=:+|@.\-]{1,48}$")]],
            Field(max_length=10_000),
        ]
        | None
    ) = Field(None, description="identity suffixes")
    chargers_number: Annotated[int, Field(ge=1, le=10_000)] | None = None

    @model_validator(mode="after")
    def _some_chargers(self) -> Self:
        if not self.charger_ids and self.chargers_number is None:
            raise ValueError("give charger_ids, chargers_number, or both")
        return self

    @property
    def size(self) -> int:
        return self.chargers_number if self.chargers_number is not None else len(self.charger_ids or [])


class LocationChargerBulkAcceptedResponse(BaseModel):
    job_id: UUID
    status: ProvisioningStatus
    status_url: str
    workflow_run_id: UUID


class LocationChargerBulkStatusResponse(BaseModel):
    """PROVISIONING until a bridge runs every charger the job created (READY), FAILED if it created none;
    `results` lists what was created and what failed, per charger."""

    job_id: UUID
    job_type: str
    status: ProvisioningStatus
    workflow_run_id: UUID
    error: ProvisioningErrorDetail | None
    progress: ProvisioningProgress | None = None
    results: dict[str, Any] = Field(
        description="{created: [{charger_id, identity}], failed: [{identity, error}]}"
    )
    provisioned_at: datetime | None


class UpdateLocationChargerItem(ChargerUpdate):
    charger_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="the charger's id or OCPP identity"
    )

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        changes.pop("charger_id", None)
        return changes


class UpdateLocationChargersRequest(Strict):
    chargers: Annotated[list[UpdateLocationChargerItem], Field(min_length=1, max_length=10_000)]


class LocationUpdateChargerFailure(BaseModel):
    charger_id: str | None
    error: str


class UpdateLocationChargersResponse(BaseModel):
    updated_count: int
    failed_count: int
    updated: list[ChargerResponse]
    failed: list[LocationUpdateChargerFailure]


class LocationDeleteChargerFailure(BaseModel):
    charger_id: str | None
    error: str


class DeleteLocationChargersResponse(BaseModel):
    deleted_count: int
    failed_count: int
    deleted: list[str]
    failed: list[LocationDeleteChargerFailure]


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
) -> ChargerResponse:
    status, connectors = runtime if runtime is not None else (None, [])
    return ChargerResponse(
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
) -> ChargerStatusResponse:
    status = None if runtime is None else runtime[0]
    ready = status is not None and status["attached"]
    return ChargerStatusResponse(
        charger_id=row["id"],
        status="READY" if ready else "PROVISIONING",
        workflow_run_id=row["job_id"],
        error=None,
        progress=None
        if ready
        else ProvisioningProgress(current_step="waiting for a bridge to run the charger"),
        provisioned_at=None if status is None else status["provisioned_at"],
    )
