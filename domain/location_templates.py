"""Location templates: a handful of typical sites, each a set of charger groups from the catalog that a bulk
create can provision as it is (add the CSMS's ws_url). `type` follows from the models' current types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.catalog import find_model
from domain.protocol import OcppVersion

PowerType = Literal["AC", "DC", "AC-DC"]


@dataclass(frozen=True)
class TemplateGroup:
    brand_slug: str
    model_slug: str
    ocpp_version: OcppVersion
    chargers_number: int
    identity_prefix: str
    template_name: str

    @property
    def connector_type(self) -> str:
        return find_model(self.brand_slug, self.model_slug).default_connector_type

    @property
    def nominal_kw(self) -> float:
        return max(find_model(self.brand_slug, self.model_slug).supported_kwh)

    @property
    def connectors(self) -> int:
        return find_model(self.brand_slug, self.model_slug).connector_count * self.chargers_number


@dataclass(frozen=True)
class LocationTemplate:
    slug: str
    name: str
    description: str
    country: str
    parking_type: str
    groups: tuple[TemplateGroup, ...]

    @property
    def type(self) -> PowerType:
        currents = {find_model(g.brand_slug, g.model_slug).current_type for g in self.groups}
        return "AC-DC" if len(currents) > 1 else "AC" if currents == {"ac"} else "DC"

    @property
    def ocpp_versions(self) -> frozenset[OcppVersion]:
        return frozenset(g.ocpp_version for g in self.groups)

    def matches(self, power: PowerType | None, version: OcppVersion | None) -> bool:
        """Filtered by power family and OCPP version (a mixed-version template matches every version)."""
        return (power is None or self.type == power) and (
            version is None or len(self.ocpp_versions) > 1 or version in self.ocpp_versions
        )


V16, V201 = OcppVersion.V16, OcppVersion.V201
LOCATION_TEMPLATES: tuple[LocationTemplate, ...] = (
    LocationTemplate(
        "ac-depot",
        "AC depot",
        "A fleet depot charging vans overnight on 22 kW wallboxes.",
        "FR",
        "PARKING_LOT",
        (TemplateGroup("schneider", "evlink-pro-ac-22kw", V16, 10, "DEPOT-", "Bay"),),
    ),
    LocationTemplate(
        "dc-corridor",
        "DC corridor",
        "A motorway service area with high-power DC chargers.",
        "DE",
        "ON_DRIVEWAY",
        (
            TemplateGroup("alpitronic", "hypercharger-hyc300", V201, 4, "HPC-", "HPC"),
            TemplateGroup("abb", "terra-184", V16, 2, "DC-", "DC"),
        ),
    ),
    LocationTemplate(
        "mixed-retail",
        "Mixed retail",
        "A supermarket car park: AC for shoppers, a DC charger for quick top-ups.",
        "NL",
        "PARKING_LOT",
        (
            TemplateGroup("alfen", "eve-double-pro-line", V16, 4, "RETAIL-AC-", "AC"),
            TemplateGroup("kempower", "t-series-40", V201, 1, "RETAIL-DC-", "DC"),
        ),
    ),
    LocationTemplate(
        "residential-garage",
        "Residential garage",
        "An apartment block's underground garage with one wallbox per bay.",
        "BE",
        "UNDERGROUND_GARAGE",
        (TemplateGroup("wallbox", "wallbox-pulsar-plus", V201, 6, "HOME-", "Bay"),),
    ),
    LocationTemplate(
        "urban-hub",
        "Urban fast-charging hub",
        "A city hub for taxis and ride-hailing: mostly DC, two AC bays.",
        "GB",
        "PARKING_LOT",
        (
            TemplateGroup("kempower", "satellite", V201, 6, "HUB-DC-", "DC"),
            TemplateGroup("abb", "terra-ac-w22", V201, 2, "HUB-AC-", "AC"),
        ),
    ),
)
