"""Use cases of the ledger. Each is a function over a unit of work: load, decide, record events.

Callers run them inside `Ledger.transact`, which saves everything they recorded in one transaction.
Ids are chosen here (outside the aggregates) so that the aggregates stay deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from domain.catalog import find_model
from domain.charger import Charger, ChargerSettings, CommandRejected
from domain.commands import CommandPayload, Rejection, TargetKind
from domain.errors import ChargerNotFound, DuplicateIdentity, InvalidRequest, LocationNotFound
from domain.identity import ChargerIdentity
from domain.ids import identity_claim_id
from domain.jobs import CreatedCharger, FailedCharger, ProvisioningJob
from domain.ledger import UnitOfWork
from domain.location import Location, LocationDetails
from domain.protocol import OcppVersion


@dataclass(frozen=True)
class ChargerRegistration:
    identity: str
    brand_slug: str
    model_slug: str
    ws_url: str
    ocpp_version: OcppVersion
    connector_type: str | None = None
    name: str | None = None
    tls_verify: bool = True
    basic_auth_password: str | None = field(default=None, repr=False)  # never in a log line


# --- locations -------------------------------------------------------------------------------------


def create_location(uow: UnitOfWork, tenant: str, details: LocationDetails, requested_by: str) -> Location:
    location = Location.create(tenant, details, requested_by)
    uow.add(location)
    return location


def owned_location(uow: UnitOfWork, tenant: str, location_id: UUID) -> Location:
    location = uow.get(Location, location_id)
    if location is None:
        raise LocationNotFound(f"location {location_id} not found")
    location.check_owned_by(tenant)
    return location


def update_location(
    uow: UnitOfWork, tenant: str, location_id: UUID, changes: dict[str, Any], requested_by: str
) -> Location:
    location = owned_location(uow, tenant, location_id)
    changes = dict(changes)
    slug = changes.pop("slug", None)
    merged = {**location.details.model_dump(), **changes}
    try:
        details = LocationDetails.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidRequest(first["msg"], field=".".join(map(str, first["loc"]))) from None
    location.update(details, requested_by, slug)
    return location


def delete_location(
    uow: UnitOfWork, tenant: str, location_id: UUID, requested_by: str, *, cascade: bool
) -> list[UUID]:
    """Delete a location (and, with cascade, its chargers); returns the deleted charger ids."""
    location = owned_location(uow, tenant, location_id)
    charger_ids = sorted(location.charger_ids)
    location.delete(requested_by, cascade=cascade)
    for charger_id in charger_ids:
        charger = uow.get(Charger, charger_id)
        if charger is not None and not charger.deleted:
            _delete_charger(uow, charger, requested_by)
    return charger_ids


# --- chargers --------------------------------------------------------------------------------------


def owned_charger(uow: UnitOfWork, tenant: str, charger_id: UUID) -> Charger:
    charger = uow.get(Charger, charger_id)
    if charger is None:
        raise ChargerNotFound(f"charger {charger_id} not found")
    charger.check_owned_by(tenant)
    return charger


def _claim_identity(uow: UnitOfWork, tenant: str, identity: str, charger_id: UUID) -> None:
    claim = uow.get(ChargerIdentity, identity_claim_id(tenant, identity))
    if claim is None:
        uow.add(ChargerIdentity(tenant=tenant, identity=identity, charger_id=charger_id))
    else:
        claim.claim_again(charger_id)


def _new_charger(
    uow: UnitOfWork,
    tenant: str,
    registration: ChargerRegistration,
    location: Location | None,
    requested_by: str,
    job_id: UUID,
) -> Charger:
    model = find_model(registration.brand_slug, registration.model_slug)
    settings = ChargerSettings(
        name=registration.name or registration.identity,
        connector_type=registration.connector_type or model.default_connector_type,
        ocpp_version=registration.ocpp_version,
        ws_url=registration.ws_url,
        tls_verify=registration.tls_verify,
        basic_auth_password=registration.basic_auth_password,
    )
    charger = Charger.register(
        tenant=tenant,
        identity=registration.identity,
        model=model,
        settings=settings,
        location_id=None if location is None else location.id,
        requested_by=requested_by,
        job_id=job_id,
    )
    _claim_identity(uow, tenant, registration.identity, charger.id)
    uow.add(charger)
    return charger


def register_charger(
    uow: UnitOfWork,
    tenant: str,
    registration: ChargerRegistration,
    location_id: UUID | None,
    requested_by: str,
    new_location_name: str | None = None,
) -> Charger:
    """Register one charger, in an existing location, a new one named `new_location_name`, or none."""
    location: Location | None = None
    if location_id is not None:
        location = owned_location(uow, tenant, location_id)
    elif new_location_name:
        location = create_location(uow, tenant, LocationDetails(name=new_location_name), requested_by)
    charger = _new_charger(uow, tenant, registration, location, requested_by, job_id=uuid4())
    if location is not None:
        location.assign([charger.id])
    return charger


def provision_chargers(
    uow: UnitOfWork,
    tenant: str,
    location_id: UUID,
    registrations: list[ChargerRegistration],
    requested_by: str,
) -> ProvisioningJob:
    """Register many chargers in a location as one job: the ones whose identity is taken fail,
    the rest are created, all in one transaction."""
    location = owned_location(uow, tenant, location_id)
    job_id = uuid4()
    created: list[CreatedCharger] = []
    failed: list[FailedCharger] = []
    seen: set[str] = set()
    for registration in registrations:
        if registration.identity in seen:
            failed.append(
                FailedCharger(
                    identity=registration.identity,
                    code=DuplicateIdentity.code,
                    message="identity appears twice in this request",
                )
            )
            continue
        seen.add(registration.identity)
        try:
            charger = _new_charger(uow, tenant, registration, location, requested_by, job_id)
        except DuplicateIdentity as error:
            failed.append(
                FailedCharger(identity=registration.identity, code=error.code, message=error.message)
            )
            continue
        created.append(CreatedCharger(charger_id=charger.id, identity=charger.identity))
    location.assign([c.charger_id for c in created])
    job = ProvisioningJob(
        tenant=tenant,
        location_id=location_id,
        job_type="bulk_create_chargers",
        created=created,
        failed=failed,
        requested_by=requested_by,
    )
    uow.add(job)
    return job


def update_charger(
    uow: UnitOfWork,
    tenant: str,
    charger_id: UUID,
    changes: dict[str, Any],
    requested_by: str,
) -> Charger:
    """Apply a partial update; `location_id` in changes moves the charger (None: out of any location)."""
    charger = owned_charger(uow, tenant, charger_id)
    if "location_id" in changes:
        move_charger(uow, tenant, charger, changes.pop("location_id"), requested_by)
    if changes:
        merged = {**charger.settings.model_dump(), **changes}
        try:
            settings = ChargerSettings.model_validate(merged)
        except ValidationError as error:
            first = error.errors()[0]
            raise InvalidRequest(first["msg"], field=".".join(map(str, first["loc"]))) from None
        charger.update(settings, requested_by)
    return charger


def move_charger(
    uow: UnitOfWork, tenant: str, charger: Charger, location_id: UUID | None, requested_by: str
) -> None:
    if location_id == charger.location_id:
        return
    if location_id is not None:
        owned_location(uow, tenant, location_id).assign([charger.id])
    if charger.location_id is not None:
        old = uow.get(Location, charger.location_id)
        if old is not None and not old.deleted:
            old.unassign([charger.id])
    charger.move_to(location_id, requested_by)


def _delete_charger(uow: UnitOfWork, charger: Charger, requested_by: str) -> None:
    charger.delete(requested_by)
    claim = uow.get(ChargerIdentity, identity_claim_id(charger.tenant, charger.identity))
    if claim is not None and claim.charger_id == charger.id:
        claim.release()
    if charger.location_id is not None:
        location = uow.get(Location, charger.location_id)
        if location is not None and not location.deleted:
            location.unassign([charger.id])


def delete_charger(uow: UnitOfWork, tenant: str, charger_id: UUID, requested_by: str) -> None:
    _delete_charger(uow, owned_charger(uow, tenant, charger_id), requested_by)


# --- commands --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedCommand:
    command_id: UUID
    charger_id: UUID
    identity: str
    ocpp_version: OcppVersion
    payload: CommandPayload


@dataclass(frozen=True)
class FailedTarget:
    charger_id: str
    identity: str | None
    rejection: Rejection


@dataclass
class FanOut:
    batch_id: UUID
    queued: list[QueuedCommand] = field(default_factory=list)
    failed: list[FailedTarget] = field(default_factory=list)

    @property
    def targeted(self) -> int:
        return len(self.queued) + len(self.failed)


def queue_commands(
    uow: UnitOfWork,
    tenant: str,
    charger_ids: list[UUID],
    payload: CommandPayload,
    target_kind: TargetKind,
    requested_by: str,
    origin: str = "api",
    idempotency_key: str | None = None,
) -> FanOut:
    """Queue one command per charger. A charger where it cannot apply is a failed target; the
    others are queued together (the caller's single save makes it all or nothing)."""
    fan_out = FanOut(batch_id=uuid4())
    for charger_id in charger_ids:
        charger = uow.get(Charger, charger_id)
        if charger is None or charger.deleted or charger.tenant != tenant:
            fan_out.failed.append(
                FailedTarget(
                    str(charger_id),
                    None,
                    Rejection(code="charger_not_found", message=f"charger {charger_id} not found"),
                )
            )
            continue
        command_id = uuid4()
        try:
            charger.queue(
                command_id=command_id,
                payload=payload,
                target_kind=target_kind,
                requested_by=requested_by,
                origin=origin,
                batch_id=fan_out.batch_id,
                idempotency_key=idempotency_key,
            )
        except CommandRejected as rejected:
            fan_out.failed.append(FailedTarget(str(charger.id), charger.identity, rejected.rejection))
            continue
        fan_out.queued.append(
            QueuedCommand(command_id, charger.id, charger.identity, charger.settings.ocpp_version, payload)
        )
    return fan_out
