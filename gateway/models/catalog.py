from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from domain.catalog import CATALOG_CREATED_AT, Brand, ChargerModel


class BrandPublic(BaseModel):
    id: UUID
    slug: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, brand: Brand) -> BrandPublic:
        return cls(id=brand.id, slug=brand.slug, name=brand.name, created_at=CATALOG_CREATED_AT)


class ModelPublic(BaseModel):
    id: UUID
    slug: str
    name: str
    brand_slug: str
    brand_id: UUID
    image_url: str | None
    connector_count: int
    current_type: Literal["ac", "dc"]
    supported_kwh: list[float]
    connector_types: list[str]
    created_at: datetime

    @classmethod
    def of(cls, model: ChargerModel) -> ModelPublic:
        return cls(
            id=model.id,
            slug=model.slug,
            name=model.name,
            brand_slug=model.brand_slug,
            brand_id=model.brand.id,
            image_url=None,
            connector_count=model.connector_count,
            current_type=model.current_type,
            supported_kwh=list(model.supported_kwh),
            connector_types=list(model.connector_types),
            created_at=CATALOG_CREATED_AT,
        )
