"""Energy targets of start-session are exact: the stopped session delivered its target within 1 Wh plus one
second of power, on both OCPP versions and both backends, with the real bridge, policy and test CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.commands import (
    Configuration,
    ConfigurationItem,
    EvRequestsEnergy,
    EvStopsEnergy,
    PlugConnector,
    PowerUpdate,
    StartSession,
)
from domain.protocol import OcppVersion
from gateway.context import Context
from tests.lab import Lab, running_lab

POWER_W = 22_000.0
IDENTITY = "EL-1"


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


@pytest.fixture(params=[OcppVersion.V16, OcppVersion.V201], ids=["v16", "v201"])
def version(request: pytest.FixtureRequest) -> OcppVersion:
    return request.param


def tolerance(power_w: float) -> float:
    return 1 + power_w / 3600  # 1 Wh plus one second of power


def register_value(meter_value: dict[str, Any]) -> int:
    [energy] = [
        v for v in meter_value["sampled_value"] if v.get("measurand") == "Energy.Active.Import.Register"
    ]
    return int(float(energy["value"]))


def session_readings(lab: Lab, version: OcppVersion) -> tuple[int, int, list[int]]:
    """What the CSMS was told: the register at start and stop, and every periodic reading between."""
    if version is OcppVersion.V16:
        start = lab.csms.messages(IDENTITY, "StartTransaction")[0].payload["meter_start"]
        stop = lab.csms.messages(IDENTITY, "StopTransaction")[0].payload["meter_stop"]
        samples = [
            register_value(m.payload["meter_value"][0])
            for m in lab.csms.messages(IDENTITY, "MeterValues")
            if m.payload.get("transaction_id") is not None
        ]
        return start, stop, samples
    events = [m.payload for m in lab.csms.messages(IDENTITY, "TransactionEvent")]
    with_meter = [e for e in events if e.get("meter_value")]
    start = register_value(with_meter[0]["meter_value"][0])
    stop = register_value(with_meter[-1]["meter_value"][0])
    assert with_meter[-1]["event_type"] == "Ended"
    return start, stop, [register_value(e["meter_value"][0]) for e in with_meter[1:-1]]


async def ended(lab: Lab, version: OcppVersion, timeout: float = 30.0) -> None:
    if version is OcppVersion.V16:
        await lab.csms.wait_for(lambda: lab.csms.messages(IDENTITY, "StopTransaction"), timeout)
        return
    await lab.csms.wait_for(
        lambda: any(
            m.payload["event_type"] == "Ended" for m in lab.csms.messages(IDENTITY, "TransactionEvent")
        ),
        timeout,
    )


async def start_limited_session(
    lab: Lab, version: OcppVersion, target_kwh: float, sample_interval: int | None = None
) -> UUID:
    charger = await lab.register(IDENTITY, version)
    await lab.booted(IDENTITY)
    if sample_interval is not None:
        item = ConfigurationItem(key="MeterValueSampleInterval", value=str(sample_interval))
        assert (await lab.run(charger, Configuration(configuration=[item])))["status"] == "completed"
    started = await lab.run(charger, StartSession(id_tag="T", target_energy_kwh=target_kwh, power_w=POWER_W))
    assert started["status"] == "completed", started
    return charger


def assert_stopped_at_target(lab: Lab, version: OcppVersion, target_wh: float, power_w: float) -> None:
    start, stop, samples = session_readings(lab, version)
    assert abs((stop - start) - target_wh) <= tolerance(power_w), (start, stop, target_wh)
    # The final reading is the register at the stop: no reading sent before it shows more.
    assert all(start <= s <= stop for s in samples), (start, samples, stop)
    [queued] = [e for e in lab.events(Charger.CommandQueued) if e.event_type == "stop_session"]
    assert queued.origin == "auto_stop:energy"
    recorded = [e for e in lab.events(ChargePoint.TransactionStopped)]
    assert [e.meter_stop_wh for e in recorded] == [stop]


@pytest.mark.parametrize("target_kwh", [0.03, 0.5], ids=["30Wh", "500Wh"])
async def test_a_session_stops_when_its_energy_equals_the_target(
    lab: Lab, version: OcppVersion, target_kwh: float
) -> None:
    await start_limited_session(lab, version, target_kwh)
    await ended(lab, version)
    assert_stopped_at_target(lab, version, target_kwh * 1000, POWER_W)


async def test_the_target_holds_after_a_power_update_during_the_session(
    lab: Lab, version: OcppVersion
) -> None:
    charger = await start_limited_session(lab, version, 0.5)
    updated = await lab.run(charger, PowerUpdate(power_w=11_000))
    assert updated["status"] == "completed", updated
    # The change of power is on record as a sample of its own: the policy's deadline follows it.
    samples = lab.events(ChargePoint.MeterSampled)
    assert any(s.power_w == 11_000 and s.transaction_id is not None for s in samples)
    await ended(lab, version)
    assert_stopped_at_target(lab, version, 500, 11_000)


async def test_the_target_holds_when_the_ev_suspends_and_resumes(lab: Lab, version: OcppVersion) -> None:
    charger = await start_limited_session(lab, version, 0.5)
    assert (await lab.run(charger, EvStopsEnergy()))["status"] == "completed"
    assert (await lab.run(charger, EvRequestsEnergy()))["status"] == "completed"
    await ended(lab, version)
    assert_stopped_at_target(lab, version, 500, POWER_W)


async def test_the_target_holds_for_a_session_started_after_the_cable_was_plugged(
    lab: Lab, version: OcppVersion
) -> None:
    # On 2.0.1 the transaction begins at the plug and the session joins it at authorization.
    charger = await lab.register(IDENTITY, version)
    await lab.booted(IDENTITY)
    assert (await lab.run(charger, PlugConnector()))["status"] == "completed"
    session = StartSession(id_tag="T", target_energy_kwh=0.5, power_w=POWER_W)
    assert (await lab.run(charger, session))["status"] == "completed"
    await ended(lab, version)
    assert_stopped_at_target(lab, version, 500, POWER_W)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_stop_comes_when_the_target_is_reached_not_at_the_next_sample(
    lab: Lab, version: OcppVersion
) -> None:
    # One sample an hour: a policy that looked only at samples would stop the session up to an hour late.
    await start_limited_session(lab, version, 0.5, sample_interval=3600)
    await ended(lab, version)
    assert_stopped_at_target(lab, version, 500, POWER_W)
    [started] = lab.events(ChargePoint.TransactionStarted)
    [stopped] = lab.events(ChargePoint.TransactionStopped)
    flowing = [s for s in lab.events(ChargePoint.MeterSampled) if s.transaction_id and s.power_w > 0]
    last = flowing[-1]  # power is constant from the last change on: the target is reached at
    missing = started.meter_start_wh + 500 - last.energy_wh
    reached = moment(last.sampled_at).timestamp() + missing * 3600 / last.power_w
    late = moment(stopped.stopped_at).timestamp() - reached
    # Within the time a stop takes from policy to charger (a few simulated seconds at the test's speed).
    assert -1 <= late <= 60, late
