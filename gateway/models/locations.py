from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from domain.location import Coordinates, Location, LocationDetails
from gateway.models.common import Strict

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LocationCreate(Strict, LocationDetails):
    """`name` is required; everything else is optional."""


class LocationUpdate(Strict):
    """Partial update: only the fields given change; `null` clears an optional field."""

    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)] | None = (
        Field(None, description="default: follows the name")
    )
    name: Name | None = None
    address: str | None = None
    city: str | None = None
    country: str | None = None
    coordinates: Coordinates | None = None
    timezone: str | None = None
    owner_name: str | None = None
    public: bool | None = None
    status: Literal["active"] | None = Field(None, description="a location is always active")

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True, exclude={"status"})
        if changes.get("slug", "") is None:
            changes.pop("slug")
        if "coordinates" in changes and self.coordinates is not None:
            changes["coordinates"] = self.coordinates
        return changes


class LocationResponse(BaseModel):
    id: UUID
    slug: str
    name: str
    address: str | None
    city: str | None
    country: str | None
    coordinates: Coordinates | None
    timezone: str | None
    owner_name: str | None
    public: bool
    status: Literal["active"] = "active"
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, location: Location) -> LocationResponse:
        return cls(
            id=location.id,
            slug=location.slug,
            **location.details.model_dump(exclude={"coordinates"}),
            coordinates=location.details.coordinates,
            created_at=location.created_on,
            updated_at=location.modified_on,
        )


class LocationListResponse(BaseModel):
    data: list[LocationResponse]
    total: int
    page: int
    limit: int


class LocationDeleted(BaseModel):
    id: UUID
    deleted: bool = True
    deleted_chargers: list[UUID] = Field(default_factory=list)
