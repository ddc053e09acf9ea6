"""Provisioning jobs: the outcome of a bulk charger creation in a location."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event
from pydantic import BaseModel, ConfigDict

from domain.aggregates import LedgerAggregate, topic


class CreatedCharger(BaseModel):
    model_config = ConfigDict(frozen=True)

    charger_id: UUID
    identity: str


class FailedCharger(BaseModel):
    model_config = ConfigDict(frozen=True)

    identity: str
    code: str
    message: str


class ProvisioningJob(LedgerAggregate):
    TOPIC = topic("ProvisioningJob")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("ProvisioningJob.Created")

    class Completed(Created):
        TOPIC = topic("ProvisioningJob.Completed")
        tenant: str
        location_id: UUID
        job_type: str
        created: list[CreatedCharger]
        failed: list[FailedCharger]
        requested_by: str

    @event(Completed)
    def __init__(
        self,
        tenant: str,
        location_id: UUID,
        job_type: str,
        created: list[CreatedCharger],
        failed: list[FailedCharger],
        requested_by: str,
    ) -> None:
        self.tenant = tenant
        self.location_id = location_id
        self.job_type = job_type
        self.created = tuple(created)
        self.failed = tuple(failed)
