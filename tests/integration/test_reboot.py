"""After a Reset of the whole charger it stays away for its reboot duration (the RebootDuration key,
simulated seconds, default 5), then connects and boots again, on both OCPP versions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.chargepoint import ChargePoint
from domain.commands import Authorize, Configuration, ConfigurationItem
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.core import configuration
from tests.lab import SPEED, Lab, running_lab

IDENTITY = "RB-1"
RESETS: dict[OcppVersion, Any] = {
    OcppVersion.V16: call16.Reset(type="Hard"),
    OcppVersion.V201: call201.Reset(type="Immediate"),
}


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def reset_and_reboot(lab: Lab, version: OcppVersion) -> tuple[float, float]:
    """Reset the charger; return when its answer arrived and when the next BootNotification did
    (real seconds, the CSMS's loop clock)."""
    answer = await lab.csms.call(IDENTITY, RESETS[version])
    assert answer.status == "Accepted"
    answered = asyncio.get_running_loop().time()
    await lab.csms.wait_for(lambda: len(lab.csms.messages(IDENTITY, "BootNotification")) == 2, timeout=20)
    return answered, lab.csms.messages(IDENTITY, "BootNotification")[-1].at


def disconnects(lab: Lab) -> list[tuple[str, float | None]]:
    return [(e.reason, e.retry_in_seconds) for e in lab.events(ChargePoint.Disconnected)]


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201], ids=["v16", "v201"])
async def test_a_reset_charger_is_away_for_the_default_reboot_duration(
    lab: Lab, version: OcppVersion
) -> None:
    await lab.register(IDENTITY, version)
    await lab.booted(IDENTITY)
    answered, booted = await reset_and_reboot(lab, version)
    assert booted - answered >= configuration.REBOOT_SECONDS / SPEED
    assert disconnects(lab) == [("rebooting", configuration.REBOOT_SECONDS)]
    assert lab.csms.connects[IDENTITY] == 2


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201], ids=["v16", "v201"])
async def test_a_charger_configured_to_reboot_longer_is_away_that_long(
    lab: Lab, version: OcppVersion
) -> None:
    charger = await lab.register(IDENTITY, version)
    await lab.booted(IDENTITY)
    item = ConfigurationItem(key="RebootDuration", value="90")
    assert (await lab.run(charger, Configuration(configuration=[item])))["status"] == "completed"
    answered, booted = await reset_and_reboot(lab, version)
    assert booted - answered >= 90 / SPEED
    assert disconnects(lab) == [("rebooting", 90)]
    # Back, and it works as before.
    assert (await lab.run(charger, Authorize(id_tag="AFTER-REBOOT")))["status"] == "completed"
