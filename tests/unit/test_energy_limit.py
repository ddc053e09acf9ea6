"""The rules behind exact energy targets, without I/O: the policy's deadline and the meter's cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp_bridge.core.meter import Meter
from projections.auto_stop import due, energy_deadline

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def row(**values: Any) -> dict[str, Any]:
    base = {
        "transaction_id": "1",
        "target_wh": 500.0,
        "duration_seconds": None,
        "started_at": "2026-01-01T12:00:00.000Z",
        "meter_start_wh": 1000,
        "energy_wh": 1000,
        "power_w": 22_000.0,
        "sampled_at": "2026-01-01T12:00:00.000Z",
    }
    return {**base, **values}


def test_the_energy_deadline_is_when_the_latest_samples_power_brings_the_energy_to_the_target() -> None:
    # 500 Wh at 22 kW: 81.818 s after the start
    assert energy_deadline(row()) == T0 + timedelta(seconds=500 * 3600 / 22_000)
    # 200 Wh delivered by a sample at 11 kW 30 s in: the other 300 Wh take 98.18 s from that sample
    later = row(energy_wh=1200, power_w=11_000.0, sampled_at="2026-01-01T12:00:30.000Z")
    assert energy_deadline(later) == T0 + timedelta(seconds=30 + 300 * 3600 / 11_000)


def test_no_energy_deadline_while_no_power_flows_or_without_a_target() -> None:
    assert energy_deadline(row(power_w=0.0)) is None
    assert energy_deadline(row(target_wh=None)) is None
    assert energy_deadline(row(sampled_at=None)) is None


def test_the_energy_limit_is_due_at_its_deadline_and_not_a_millisecond_before() -> None:
    deadline = energy_deadline(row())
    assert deadline is not None
    assert due(row(), deadline - timedelta(milliseconds=1)) is None
    assert due(row(), deadline) == "energy"
    assert due(row(energy_wh=1500), T0) == "energy"  # a sample at the target is due at once


def test_the_first_limit_reached_wins() -> None:
    both = row(duration_seconds=60.0)
    assert due(both, T0 + timedelta(seconds=60)) == "duration"
    assert due(row(duration_seconds=120.0), T0 + timedelta(seconds=82)) == "energy"


def test_a_capped_meter_stops_at_the_cap_and_stays_there() -> None:
    meter = Meter("dc", 90_000, 1000.0)
    meter.advance(None, 22_000, 60, cap_wh=1500.0)
    assert round(meter.energy_wh, 6) == round(1000 + 22_000 * 60 / 3600, 6)
    meter.advance(None, 22_000, 60, cap_wh=1500.0)
    assert meter.energy_wh == 1500.0
    meter.advance(None, 22_000, 60, cap_wh=1500.0)
    assert meter.energy_wh == 1500.0
    meter.advance(None, 22_000, 60)  # no cap: energy flows again
    assert meter.energy_wh > 1500.0
