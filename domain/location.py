"""The Location aggregate (intent, written by the gateway)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import event
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.aggregates import LedgerAggregate, topic
from domain.errors import LocationHasChargers, LocationNotFound


def _check_timezone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


Text = Annotated[str, StringConstraints(max_length=500)]


class Coordinates(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class LocationDetails(BaseModel):
    """Every user-editable field of a location, as recorded in its events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    address: Text | None = None
    city: Text | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166-1 alpha-2"
    )
    coordinates: Coordinates | None = None
    timezone: Annotated[str | None, AfterValidator(_check_timezone)] = Field(None, description="IANA")
    owner_name: Text | None = None
    public: bool = False


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "location"


class Location(LedgerAggregate):
    TOPIC = topic("Location")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("Location.Created")
        tenant: str
        slug: str
        details: LocationDetails
        requested_by: str

    @event(Created)
    def __init__(self, tenant: str, slug: str, details: LocationDetails, requested_by: str) -> None:
        self.tenant = tenant
        self.slug = slug
        self.details = details
        self.charger_ids: frozenset[UUID] = frozenset()
        self.deleted = False

    @classmethod
    def create(cls, tenant: str, details: LocationDetails, requested_by: str) -> Location:
        return cls(tenant=tenant, slug=slugify(details.name), details=details, requested_by=requested_by)

    def check_owned_by(self, tenant: str) -> None:
        if self.deleted or self.tenant != tenant:
            raise LocationNotFound(f"location {self.id} not found")

    def update(self, details: LocationDetails, requested_by: str, slug: str | None = None) -> None:
        """New details; the slug follows the name unless one is given."""
        slug = slug or (slugify(details.name) if details.name != self.details.name else self.slug)
        if details != self.details or slug != self.slug:
            self._updated(slug=slug, details=details, requested_by=requested_by)

    class Updated(LedgerAggregate.Event):
        TOPIC = topic("Location.Updated")
        slug: str
        details: LocationDetails
        requested_by: str

    @event(Updated)
    def _updated(self, slug: str, details: LocationDetails, requested_by: str) -> None:
        self.slug = slug
        self.details = details

    def assign(self, charger_ids: list[UUID]) -> None:
        new = [c for c in charger_ids if c not in self.charger_ids]
        if new:
            self._chargers_assigned(charger_ids=new)

    class ChargersAssigned(LedgerAggregate.Event):
        TOPIC = topic("Location.ChargersAssigned")
        charger_ids: list[UUID]

    @event(ChargersAssigned)
    def _chargers_assigned(self, charger_ids: list[UUID]) -> None:
        self.charger_ids = self.charger_ids | frozenset(charger_ids)

    def unassign(self, charger_ids: list[UUID]) -> None:
        gone = [c for c in charger_ids if c in self.charger_ids]
        if gone:
            self._chargers_unassigned(charger_ids=gone)

    class ChargersUnassigned(LedgerAggregate.Event):
        TOPIC = topic("Location.ChargersUnassigned")
        charger_ids: list[UUID]

    @event(ChargersUnassigned)
    def _chargers_unassigned(self, charger_ids: list[UUID]) -> None:
        self.charger_ids = self.charger_ids - frozenset(charger_ids)

    def delete(self, requested_by: str, *, cascade: bool) -> None:
        if self.charger_ids and not cascade:
            raise LocationHasChargers(
                f"location has {len(self.charger_ids)} chargers; delete them or use cascade=true"
            )
        self._deleted(requested_by=requested_by)

    class Deleted(LedgerAggregate.Event):
        TOPIC = topic("Location.Deleted")
        requested_by: str

    @event(Deleted)
    def _deleted(self, requested_by: str) -> None:
        self.deleted = True
