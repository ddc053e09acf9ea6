"""Reading an OCPP 1.6 charge point's behaviour off the test CSMS and the ledger.

Shared by the 1.6 bridge tests: what the CSMS received since a mark, as short labels that make whole
message sequences easy to compare; the ledger's record of one charge point; waits that end when the
ledger or the CSMS moves, never after a fixed sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from ocpp.v16 import call

from domain.chargepoint import ChargePoint
from domain.commands import StartSession
from domain.ids import charge_point_id
from ocpp_bridge.lab.csms import Received
from tests.lab import Lab

T = TypeVar("T")
NOISE = ("Heartbeat", "MeterValues")


def mark(lab: Lab, identity: str) -> int:
    """A position in what the CSMS received from this charge point."""
    return len(lab.csms.messages(identity))


def since(lab: Lab, identity: str, position: int, skip: tuple[str, ...] = NOISE) -> list[Received]:
    return [m for m in lab.csms.messages(identity)[position:] if m.action not in skip]


def label(message: Received) -> str:
    """`Status 1 Charging`, `Status 0 Faulted GroundFailure`, `StopTransaction Remote`, or the action."""
    p = message.payload
    if message.action == "StatusNotification":
        code = "" if p["error_code"] == "NoError" else f" {p['error_code']}"
        return f"Status {p['connector_id']} {p['status']}{code}"
    if message.action == "StopTransaction":
        return f"StopTransaction {p.get('reason', 'Local')}"
    return message.action


def sequence(lab: Lab, identity: str, position: int, skip: tuple[str, ...] = NOISE) -> list[str]:
    return [label(m) for m in since(lab, identity, position, skip)]


async def received(
    lab: Lab,
    identity: str,
    position: int,
    expected: list[str],
    timeout: float = 10.0,
    skip: tuple[str, ...] = NOISE,
) -> list[Received]:
    """Wait until the labelled sequence since `position` is `expected` (or longer), then assert it is."""
    await lab.csms.wait_for(lambda: len(sequence(lab, identity, position, skip)) >= len(expected), timeout)
    got = sequence(lab, identity, position, skip)
    assert got == expected, f"the CSMS received {got}, expected {expected}"
    return since(lab, identity, position, skip)


def meter_values(lab: Lab, identity: str, position: int = 0) -> list[dict[str, Any]]:
    """Each MeterValues since `position` as {measurand: value, "transaction_id", "timestamp", "context"}."""
    rows = []
    for m in lab.csms.messages(identity)[position:]:
        if m.action != "MeterValues":
            continue
        for value in m.payload["meter_value"]:
            row: dict[str, Any] = {
                "connector_id": m.payload["connector_id"],
                "transaction_id": m.payload.get("transaction_id"),
                "timestamp": datetime.fromisoformat(value["timestamp"]),
            }
            for sample in value["sampled_value"]:
                row[sample.get("measurand", "Energy.Active.Import.Register")] = sample["value"]
                row["context"] = sample.get("context")
            rows.append(row)
    return rows


async def more_meter_values(lab: Lab, identity: str, position: int, count: int) -> list[dict[str, Any]]:
    """Wait for `count` MeterValues after `position`; return them."""
    await lab.csms.wait_for(lambda: len(meter_values(lab, identity, position)) >= count)
    return meter_values(lab, identity, position)


async def fresh_sample(lab: Lab, identity: str, connector_id: int = 1) -> dict[str, Any]:
    """The second MeterValues of the connector from now on: the first may carry a reading taken just
    before now (a sample waits for the line while another message is in flight)."""
    at = mark(lab, identity)

    def samples() -> list[dict[str, Any]]:
        return [r for r in meter_values(lab, identity, at) if r["connector_id"] == connector_id]

    await lab.csms.wait_for(lambda: len(samples()) >= 2)
    return samples()[1]


def recorded(lab: Lab, charger_id: UUID, *types: type) -> list[Any]:
    """The ledger's events of these types for one charge point, in order."""
    stream = charge_point_id(charger_id)
    return [e for e in lab.events(*types) if e.originator_id == stream]


def ledger_answers(lab: Lab, charger_id: UUID, action: str) -> list[dict[str, Any]]:
    """The payloads of the answers the ledger recorded to the CSMS's calls of `action`, in order."""
    frames = recorded(lab, charger_id, ChargePoint.FrameRecorded)
    calls = {
        f.message_id for f in frames if (f.direction, f.message_type, f.action) == ("csms_to_cp", 2, action)
    }
    return [
        json.loads(f.raw)[2]
        for f in frames
        if f.direction == "cp_to_csms" and f.message_type == 3 and f.message_id in calls
    ]


async def settled(lab: Lab, identity: str) -> None:
    """Wait until the charger has done everything queued before now. Commands and the follow-ups of
    CSMS calls run one at a time, in order; so once the StatusNotification of connector 0 asked for
    with a TriggerMessage now has arrived, everything before it is done. Sequences then end with it."""
    at = mark(lab, identity)
    answer = await lab.csms.call(
        identity, call.TriggerMessage(requested_message="StatusNotification", connector_id=0)
    )
    assert answer.status == "Accepted"
    await lab.csms.wait_for(lambda: any(label(m).startswith("Status 0 ") for m in since(lab, identity, at)))


async def ledger_until(lab: Lab, check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Re-check each time the ledger moves (through the read models' position) until `check` answers."""
    def wait() -> T | None:
        return lab.ctx.read.wait_until("commands", check, timeout)

    result = await asyncio.to_thread(wait)
    assert result is not None, "the condition did not hold in time"
    return result


async def offline(lab: Lab, charger_id: UUID) -> None:
    """Wait until the station knows it is not connected (it records a Disconnected right after)."""
    station = lab.station(charger_id)
    await ledger_until(lab, lambda: True if not station.online.is_set() else None)


async def booted_charger(
    lab: Lab, identity: str = "CP-1", brand: str = "abb", model: str = "terra-184"
) -> UUID:
    charger = await lab.register(identity, brand=brand, model=model)
    await lab.booted(identity)
    return charger


async def charging(
    lab: Lab, charger_id: UUID, connector_id: int = 1, id_tag: str = "TAG-1", power_w: float | None = 50_000
) -> str:
    """Start a session; the transaction id."""
    started = await lab.run(
        charger_id, StartSession(id_tag=id_tag, connector_id=connector_id, power_w=power_w)
    )
    assert started["status"] == "completed", started
    return started["result"]["transaction_id"]
