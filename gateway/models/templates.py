from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.location_templates import LocationTemplate
from domain.protocol import OcppVersion


class TemplateChargerTemplate(BaseModel):
    """A bulk create's `template`, without the CSMS's ws_url."""

    brand_slug: str
    model_slug: str
    connector_type: str
    ocpp_version: OcppVersion
    identity_prefix: str
    template_name: str


class LocationTemplateGroup(BaseModel):
    """A group of a bulk create (POST /ocpp/locations/{id}/chargers) once `template.ws_url` is added."""

    template: TemplateChargerTemplate
    chargers_number: int
    nominal_kw: float = Field(description="the model's maximum power")


class LocationTemplateResponse(BaseModel):
    slug: str
    name: str
    description: str
    type: Literal["AC", "DC", "AC-DC"]
    ocpp_version: OcppVersion | Literal["mixed"]
    country: str
    parking_type: str
    chargers: int
    connectors: int
    groups: list[LocationTemplateGroup]

    @classmethod
    def of(cls, t: LocationTemplate) -> LocationTemplateResponse:
        versions = sorted(t.ocpp_versions)
        return cls(
            slug=t.slug,
            name=t.name,
            description=t.description,
            type=t.type,
            ocpp_version=versions[0] if len(versions) == 1 else "mixed",
            country=t.country,
            parking_type=t.parking_type,
            chargers=sum(g.chargers_number for g in t.groups),
            connectors=sum(g.connectors for g in t.groups),
            groups=[
                LocationTemplateGroup(
                    template=TemplateChargerTemplate(
                        brand_slug=g.brand_slug,
                        model_slug=g.model_slug,
                        connector_type=g.connector_type,
                        ocpp_version=g.ocpp_version,
                        identity_prefix=g.identity_prefix,
                        template_name=g.template_name,
                    ),
                    chargers_number=g.chargers_number,
                    nominal_kw=g.nominal_kw,
                )
                for g in t.groups
            ],
        )


class LocationTemplateListResponse(BaseModel):
    data: list[LocationTemplateResponse]
    total: int
