from __future__ import annotations

from fastapi import APIRouter

from domain.catalog import BRANDS, brand_models, find_model
from domain.errors import CatalogModelNotFound, NotFound, UnknownCatalogModel
from gateway.auth import CurrentPrincipal
from gateway.models.catalog import BrandPublic, ModelPublic
from gateway.models.common import ERRORS

router = APIRouter(prefix="/ocpp/catalog", tags=["catalog"], responses=ERRORS)


@router.get("/brands")
def list_brands(principal: CurrentPrincipal) -> list[BrandPublic]:
    return [BrandPublic.of(b) for b in BRANDS.values()]


@router.get("/brands/{brand_slug}/models")
def list_models(brand_slug: str, principal: CurrentPrincipal) -> list[ModelPublic]:
    if brand_slug not in BRANDS:
        raise NotFound(f"unknown brand {brand_slug!r}")
    return [ModelPublic.of(m) for m in brand_models(brand_slug)]


@router.get("/brands/{brand_slug}/models/{model_slug}")
def get_model(brand_slug: str, model_slug: str, principal: CurrentPrincipal) -> ModelPublic:
    try:
        return ModelPublic.of(find_model(brand_slug, model_slug))
    except UnknownCatalogModel as error:
        raise CatalogModelNotFound(error.message) from None
