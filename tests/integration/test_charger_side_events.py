"""Charger-side events a test causes with commands of ours (issue 11 item 8), on both OCPP versions:
the network drops for a while (`drop-network`), an EV stops at its charge limit (`ev-target-soc`).

The real bridge and ledger, the `ocpp`-library CSMS with schema validation on, simulated time `SPEED`
times the wall clock; tests wait on what the CSMS received or on command outcomes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from domain.chargepoint import ChargePoint
from domain.commands import (
    Configuration,
    ConfigurationItem,
    DropNetwork,
    EvTargetSoc,
    StartSession,
    StopSession,
)
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.lab.csms import Received
from tests.integration.v16_support import mark, recorded
from tests.lab import SPEED, Lab, running_lab

CP = "SIDE-1"
VERSIONS = pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201], ids=["v16", "v201"])


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def booted(lab: Lab, version: OcppVersion, **keys: str) -> UUID:
    charger = await lab.register(CP, version)
    await lab.booted(CP)
    if keys:
        items = [ConfigurationItem(key=k, value=v) for k, v in keys.items()]
        assert (await lab.run(charger, Configuration(configuration=items)))["status"] == "completed"
    return charger


def charging_states(lab: Lab, position: int) -> list[str]:
    """The connector's state as the CSMS was told it since `position`: 1.6 StatusNotification statuses,
    2.0.1 TransactionEvent chargingStates."""
    states = []
    for m in lab.csms.messages(CP)[position:]:
        if m.action == "StatusNotification" and m.version == "1.6" and m.payload["connector_id"] == 1:
            states.append(m.payload["status"])
        elif m.action == "TransactionEvent" and "charging_state" in m.payload["transaction_info"]:
            states.append(m.payload["transaction_info"]["charging_state"])
    return states


async def told(lab: Lab, position: int, state: str, timeout: float = 10.0) -> None:
    await lab.csms.wait_for(lambda: state in charging_states(lab, position), timeout)


# --- ev-target-soc ----------------------------------------------------------------------------------------


@VERSIONS
async def test_an_ev_stops_drawing_energy_exactly_at_its_target_soc(lab: Lab, version: OcppVersion) -> None:
    # Samples an hour apart: only the charge limit itself can suspend the session within the wait.
    charger = await booted(lab, version, MeterValueSampleInterval="3600")
    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1, power_w=36_000))
    assert started["status"] == "completed", started
    at = mark(lab, CP)

    limited = await lab.run(charger, EvTargetSoc(connector_id=1, target_soc=80, soc=79))

    assert limited["status"] == "completed", limited
    assert limited["result"]["status"] == ("Charging" if version is OcppVersion.V16 else "Occupied")
    assert "80 %" in limited["result"]["msg"]
    await told(lab, at, "SuspendedEV")
    set_events = recorded(lab, charger, ChargePoint.EvTargetSocSet)
    assert [(e.target_soc, e.soc, str(e.command_id)) for e in set_events] == [(80.0, 79.0, limited["id"])]
    # The meter stopped at the limit (tests/unit/cores/test_meter.py: to the Wh): the sample recorded
    # when the power fell shows 80 % and no power.
    station = lab.station(charger)
    ev = station.runtime[1].ev
    assert ev is not None and ev.soc == 80.0
    samples = recorded(lab, charger, ChargePoint.MeterSampled)
    assert (samples[-1].soc, samples[-1].power_w) == (80.0, 0.0)
    # Nothing more flows: a fresh reading holds the same register.
    reading = station.settle(1)
    assert (reading.energy_wh, reading.power_w) == (samples[-1].energy_wh, 0.0)


@VERSIONS
async def test_a_target_soc_set_before_the_car_arrives_applies_to_it_and_leaves_with_it(
    lab: Lab, version: OcppVersion
) -> None:
    charger = await booted(lab, version)
    armed = await lab.run(charger, EvTargetSoc(connector_id=1, target_soc=60, soc=60))
    assert armed["status"] == "completed", armed
    assert "the next EV" in armed["result"]["msg"]
    at = mark(lab, CP)

    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1, power_w=22_000))

    assert started["status"] == "completed", started
    await told(lab, at, "SuspendedEV")  # full to its limit on arrival: it takes nothing
    assert "Charging" not in charging_states(lab, at)
    assert lab.station(charger).runtime[1].ev.soc == 60.0  # type: ignore[union-attr]
    assert (await lab.run(charger, StopSession(connector_id=1)))["status"] == "completed"
    assert lab.station(charger).cp.connectors[1].ev_target_soc is None

    # The next car has no limit of its own: it charges.
    at = mark(lab, CP)
    assert (await lab.run(charger, StartSession(id_tag="TAG-2", connector_id=1)))["status"] == "completed"
    await told(lab, at, "Charging")


# --- drop-network -------------------------------------------------------------------------------------


def boots(lab: Lab) -> list[Received]:
    return lab.csms.messages(CP, "BootNotification")


@VERSIONS
async def test_a_dropped_network_cuts_the_connection_and_the_charger_is_back_after_it(
    lab: Lab, version: OcppVersion
) -> None:
    charger = await booted(lab, version)

    dropped = await lab.run(charger, DropNetwork(seconds=90))

    assert dropped["status"] == "completed", dropped
    assert dropped["result"]["status"] == "Dropped"
    assert "connection cut" in dropped["result"]["msg"]
    await lab.csms.wait_for(lambda: len(boots(lab)) == 2, timeout=20)
    (code, closed_at), *_ = lab.csms.closes[CP]
    assert code == 1006  # no close frame: the network went, the charger did not say goodbye
    assert boots(lab)[1].at - closed_at >= 90 / SPEED
    assert lab.csms.connects[CP] == 2
    reasons = [(e.reason, e.retry_in_seconds) for e in recorded(lab, charger, ChargePoint.Disconnected)]
    assert len(reasons) == 1 and reasons[0][0] == "network dropped"
    assert 80 < (reasons[0][1] or 0) <= 90


@VERSIONS
async def test_a_session_runs_on_through_a_network_drop_and_its_samples_arrive_afterwards(
    lab: Lab, version: OcppVersion
) -> None:
    charger = await booted(lab, version, MeterValueSampleInterval="10")
    started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1, power_w=22_000))
    assert started["status"] == "completed", started

    assert (await lab.run(charger, DropNetwork(seconds=60)))["status"] == "completed"
    down_at = lab.clock.now()
    await lab.csms.wait_for(lambda: len(boots(lab)) == 2, timeout=20)
    back_at = lab.clock.now()

    # What the charger measured while it was away reaches the CSMS once it is back, flagged offline on
    # 2.0.1, and the transaction goes on: it stops normally.
    def sampled_offline(m: Received) -> bool:
        stamps = _meter_timestamps(m)
        return any(down_at < t < back_at for t in stamps) and (
            version is OcppVersion.V16 or m.payload.get("offline") is True
        )

    # 60 s away at a 10 s interval: five or six samples, each delivered once.
    await lab.csms.wait_for(lambda: sum(map(sampled_offline, _since(lab, boots(lab)[1]))) >= 5, timeout=10)
    away = [t for m in lab.csms.messages(CP) for t in _meter_timestamps(m) if down_at < t < back_at]
    assert len(away) == len(set(away))  # none twice
    stopped = await lab.run(charger, StopSession(connector_id=1))
    assert stopped["status"] == "completed", stopped
    assert stopped["result"]["transaction_id"] == started["result"]["transaction_id"]


def _since(lab: Lab, message: Received) -> list[Received]:
    messages = lab.csms.messages(CP)
    return messages[messages.index(message) :]


def _meter_timestamps(m: Received) -> list[datetime]:
    values: list[dict[str, Any]] = []
    if m.action == "MeterValues":
        values = m.payload["meter_value"]
    elif m.action == "TransactionEvent":
        values = m.payload.get("meter_value") or []
    return [datetime.fromisoformat(v["timestamp"]) for v in values]
