from __future__ import annotations

import pytest

from domain.catalog import BRANDS, MODELS, find_model
from domain.errors import UnknownCatalogModel


def test_the_catalog_has_at_least_six_models_with_sane_specs() -> None:
    assert len(MODELS) >= 6
    for model in MODELS.values():
        assert model.brand_slug in BRANDS
        assert model.connector_count >= 1
        assert model.current_type in ("ac", "dc")
        assert model.connector_types
        # BootNotification (1.6) limits vendor and model to 20 characters.
        assert len(model.brand.name) <= 20
        assert len(model.name) <= 20


def test_the_models_named_by_the_api_contract_exist() -> None:
    assert find_model("wallbox", "wallbox-pulsar-plus").max_power_w == 22_000
    terra = find_model("abb", "terra-184")
    assert (terra.connector_count, terra.current_type, terra.max_power_w) == (2, "dc", 180_000)
    assert find_model("schneider", "evlink-pro-ac-22kw").current_type == "ac"
    assert find_model("alfen", "eve-double-pro-line").connector_count == 2
    assert any(m.brand_slug == "kempower" and m.current_type == "dc" for m in MODELS.values())


def test_an_unknown_model_names_the_field() -> None:
    with pytest.raises(UnknownCatalogModel) as error:
        find_model("abb", "nope")
    assert error.value.field == "model_slug"
