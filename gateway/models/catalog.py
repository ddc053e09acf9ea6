from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from domain.catalog import CATALOG_CREATED_AT, Brand, ChargerModel


class BrandResponse(BaseModel):
    id: UUID
    slug: str
    name: str
    image_url: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, brand: Brand) -> BrandResponse:
        return cls(id=brand.id, slug=brand.slug, name=brand.name, created_at=CATALOG_CREATED_AT)


class ModelResponse(BaseModel):
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
    def of(cls, model: ChargerModel) -> ModelResponse:
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


class BrandListResponse(BaseModel):
    data: list[BrandResponse]
    total: int
    page: int
    limit: int


class ModelListResponse(BaseModel):
    data: list[ModelResponse]
    total: int
    page: int
    limit: int
