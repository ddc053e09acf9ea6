"""A charger whose `ws_url` places its identity with `{identity}` connects there, on both OCPP versions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.chargepoint import ChargePoint
from domain.protocol import OcppVersion
from gateway.context import Context
from tests.lab import Lab, running_lab


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201], ids=["v16", "v201"])
@pytest.mark.parametrize(
    ("placement", "path"),
    [("/{identity}/", "/ocpp/CP-1/"), ("?cp={identity}", "/ocpp?cp=CP-1"), ("", "/ocpp/CP-1")],
    ids=["trailing-slash", "query", "default"],
)
async def test_the_charger_connects_where_its_ws_url_places_the_identity(
    lab: Lab, version: OcppVersion, placement: str, path: str
) -> None:
    await lab.register("CP-1", version, ws_url=lab.csms.url + placement)
    await lab.booted("CP-1")
    assert lab.csms.paths["CP-1"] == [path]
    [connected] = lab.events(ChargePoint.Connected)
    assert connected.url == lab.csms.url.removesuffix("/ocpp") + path
