"""The identity index: one OCPP identity per tenant, reusable once its charger is deleted."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.aggregates import LedgerAggregate, topic
from domain.errors import DuplicateIdentity
from domain.ids import identity_claim_id


class ChargerIdentity(LedgerAggregate):
    """Index aggregate that makes an OCPP identity unique per tenant, and reusable once released.

    Its id is derived from (tenant, identity), so two concurrent claims collide in the event store.
    """

    TOPIC = topic("ChargerIdentity")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("ChargerIdentity.Created")

    class Claimed(Created):
        TOPIC = topic("ChargerIdentity.Claimed")
        tenant: str
        identity: str
        charger_id: UUID

    @event(Claimed)
    def __init__(self, tenant: str, identity: str, charger_id: UUID) -> None:
        self.tenant = tenant
        self.identity = identity
        self.charger_id: UUID | None = charger_id

    @staticmethod
    def create_id(tenant: str, identity: str, charger_id: UUID) -> UUID:
        return identity_claim_id(tenant, identity)

    def claim_again(self, charger_id: UUID) -> None:
        if self.charger_id is not None:
            raise DuplicateIdentity(f"identity {self.identity!r} is already used in this tenant")
        self._reclaimed(charger_id=charger_id)

    class Reclaimed(LedgerAggregate.Event):
        TOPIC = topic("ChargerIdentity.Reclaimed")
        charger_id: UUID

    @event(Reclaimed)
    def _reclaimed(self, charger_id: UUID) -> None:
        self.charger_id = charger_id

    def release(self) -> None:
        self._released()

    class Released(LedgerAggregate.Event):
        TOPIC = topic("ChargerIdentity.Released")

    @event(Released)
    def _released(self) -> None:
        self.charger_id = None
