"""The charger catalog: real models with their connector counts, current type and power.

Values are taken from the makers' public data sheets. The vendor and model names are what the simulated
charge point sends in BootNotification, so they respect OCPP 1.6's 20-character limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from domain.errors import UnknownCatalogModel
from domain.ids import catalog_id

CurrentType = Literal["ac", "dc"]
CATALOG_CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Brand:
    slug: str
    name: str

    @property
    def id(self) -> UUID:
        return catalog_id(self.slug)


@dataclass(frozen=True)
class ChargerModel:
    slug: str
    brand_slug: str
    name: str
    current_type: CurrentType
    connector_count: int
    connector_types: tuple[str, ...]
    supported_kwh: tuple[float, ...]

    @property
    def id(self) -> UUID:
        return catalog_id(self.brand_slug, self.slug)

    @property
    def brand(self) -> Brand:
        return BRANDS[self.brand_slug]

    @property
    def max_power_w(self) -> int:
        return int(max(self.supported_kwh) * 1000)

    @property
    def default_connector_type(self) -> str:
        return self.connector_types[0]


BRANDS: dict[str, Brand] = {
    b.slug: b
    for b in (
        Brand("abb", "ABB"),
        Brand("alfen", "Alfen"),
        Brand("alpitronic", "alpitronic"),
        Brand("easee", "Easee"),
        Brand("kempower", "Kempower"),
        Brand("schneider", "Schneider Electric"),
        Brand("tesla", "Tesla"),
        Brand("tritium", "Tritium"),
        Brand("wallbox", "Wallbox"),
        Brand("zaptec", "Zaptec"),
    )
}

_MODELS: tuple[ChargerModel, ...] = (
    ChargerModel("terra-184", "abb", "Terra 184", "dc", 2, ("CCS2",), (180.0,)),
    ChargerModel("terra-ac-w22", "abb", "Terra AC W22", "ac", 1, ("Type2",), (11.0, 22.0)),
    ChargerModel("eve-double-pro-line", "alfen", "Eve Double Pro-line", "ac", 2, ("Type2",), (11.0, 22.0)),
    ChargerModel("hypercharger-hyc300", "alpitronic", "HYC300", "dc", 2, ("CCS2",), (300.0,)),
    ChargerModel("easee-charge", "easee", "Easee Charge", "ac", 1, ("Type2",), (7.4, 22.0)),
    ChargerModel("t-series-40", "kempower", "T-Series 40", "dc", 2, ("CCS2", "CHAdeMO"), (40.0,)),
    ChargerModel("satellite", "kempower", "Satellite", "dc", 1, ("CCS2",), (400.0,)),
    ChargerModel("evlink-pro-ac-22kw", "schneider", "EVlink Pro AC", "ac", 1, ("Type2",), (7.4, 22.0)),
    ChargerModel("wall-connector-gen3", "tesla", "Wall Connector Gen 3", "ac", 1, ("NACS",), (11.5,)),
    ChargerModel("rtm75", "tritium", "RTM75", "dc", 2, ("CCS2", "CHAdeMO"), (75.0,)),
    ChargerModel("wallbox-pulsar-plus", "wallbox", "Pulsar Plus", "ac", 1, ("Type2",), (7.4, 22.0)),
    ChargerModel("wallbox-commander-2", "wallbox", "Commander 2", "ac", 1, ("Type2",), (7.4, 22.0)),
    ChargerModel("zaptec-go", "zaptec", "Zaptec Go", "ac", 1, ("Type2",), (7.4, 22.0)),
)

MODELS: dict[tuple[str, str], ChargerModel] = {(m.brand_slug, m.slug): m for m in _MODELS}


def brand_models(brand_slug: str) -> list[ChargerModel]:
    return [m for m in _MODELS if m.brand_slug == brand_slug]


def find_model(brand_slug: str, model_slug: str) -> ChargerModel:
    try:
        return MODELS[(brand_slug, model_slug)]
    except KeyError:
        raise UnknownCatalogModel(
            f"unknown catalog model {brand_slug}/{model_slug}", field="model_slug"
        ) from None
