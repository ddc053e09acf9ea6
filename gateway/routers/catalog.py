from __future__ import annotations

from fastapi import APIRouter

from domain.catalog import BRANDS, brand_models, find_model
from domain.errors import CatalogModelNotFound, NotFound, UnknownCatalogModel
from gateway.auth import CurrentPrincipal
from gateway.deps import Paging
from gateway.models.catalog import BrandListResponse, BrandResponse, ModelListResponse, ModelResponse
from gateway.models.common import ERRORS
from gateway.sdk_names import sdk_operation

router = APIRouter(prefix="/ocpp/catalog", tags=["catalog"], responses=ERRORS)


@router.get("/brands", **sdk_operation("catalog", "list_brands"))
def list_brands(principal: CurrentPrincipal, paging: Paging) -> BrandListResponse:
    brands = list(BRANDS.values())
    return BrandListResponse(
        data=[BrandResponse.of(b) for b in brands[paging.offset : paging.offset + paging.limit]],
        total=len(brands),
        page=paging.page,
        limit=paging.limit,
    )


@router.get("/brands/{brand_slug}/models", **sdk_operation("catalog", "list_models"))
def list_models(brand_slug: str, principal: CurrentPrincipal, paging: Paging) -> ModelListResponse:
    if brand_slug not in BRANDS:
        raise NotFound(f"unknown brand {brand_slug!r}")
    models = brand_models(brand_slug)
    return ModelListResponse(
        data=[ModelResponse.of(m) for m in models[paging.offset : paging.offset + paging.limit]],
        total=len(models),
        page=paging.page,
        limit=paging.limit,
    )


@router.get("/brands/{brand_slug}/models/{model_slug}", **sdk_operation("catalog", "get_model"))
def get_model(brand_slug: str, model_slug: str, principal: CurrentPrincipal) -> ModelResponse:
    try:
        return ModelResponse.of(find_model(brand_slug, model_slug))
    except UnknownCatalogModel as error:
        raise CatalogModelNotFound(error.message) from None
