from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from domain.location_templates import LOCATION_TEMPLATES, PowerType
from domain.protocol import OcppVersion
from gateway.auth import CurrentPrincipal
from gateway.models.common import ERRORS
from gateway.models.templates import LocationTemplateListResponse, LocationTemplateResponse
from gateway.sdk_names import sdk_operation

router = APIRouter(prefix="/ocpp/templates", tags=["location_templates"], responses=ERRORS)


@router.get("/locations", **sdk_operation("location_templates", "list"))
def list_location_templates(
    principal: CurrentPrincipal,
    type: Annotated[PowerType | None, Query(description="power family: AC, DC or AC-DC")] = None,
    ocpp_version: Annotated[
        OcppVersion | None, Query(description="templates of this version (mixed ones match every version)")
    ] = None,
) -> LocationTemplateListResponse:
    """Typical sites, each a set of charger groups a bulk create can provision as it is (add ws_url)."""
    data = [LocationTemplateResponse.of(t) for t in LOCATION_TEMPLATES if t.matches(type, ocpp_version)]
    return LocationTemplateListResponse(data=data, total=len(data))
