"""The meter model: energy is power times simulated time, power is the least of every cap."""

from __future__ import annotations

import random

import pytest

from ocpp_bridge.core.meter import EvModel, Meter


def car(soc: float = 50.0, max_power_w: float = 11_000.0) -> EvModel:
    return EvModel(battery_wh=60_000.0, soc=soc, max_power_w=max_power_w)


def test_energy_is_power_times_time_in_whole_wh() -> None:
    meter = Meter("ac", 22_000.0, 1_000.0)
    ev = car()
    meter.advance(ev, 11_000.0, 1800.0)  # half an hour at 11 kW
    assert meter.reading(ev, 11_000.0).energy_wh == 1_000 + 5_500
    assert ev.soc == pytest.approx(50.0 + 100.0 * 5_500 / 60_000)


def test_no_power_no_time_no_energy() -> None:
    meter = Meter("ac", 22_000.0, 0.0)
    meter.advance(car(), 0.0, 3600.0)
    meter.advance(car(), 11_000.0, 0.0)
    assert meter.energy_wh == 0.0


def test_power_is_the_least_of_the_car_the_connector_the_offer_and_the_profile() -> None:
    meter = Meter("ac", 22_000.0, 0.0)
    ev = car(max_power_w=11_000.0)
    assert meter.power_w(ev, charging=True, offered_w=None, limit_w=None) == 11_000.0
    assert meter.power_w(ev, charging=True, offered_w=7_000.0, limit_w=None) == 7_000.0
    assert meter.power_w(ev, charging=True, offered_w=7_000.0, limit_w=3_000.0) == 3_000.0
    assert meter.power_w(car(max_power_w=150_000.0), charging=True, offered_w=None, limit_w=None) == 22_000.0
    assert meter.power_w(ev, charging=False, offered_w=None, limit_w=None) == 0.0
    assert meter.power_w(None, charging=True, offered_w=None, limit_w=None) == 0.0


def test_the_car_tapers_above_80_percent_and_stops_when_full() -> None:
    assert car(soc=80.0).accepted_power_w() == 11_000.0
    assert car(soc=90.0).accepted_power_w() == pytest.approx(5_500.0)
    assert car(soc=99.5).accepted_power_w() == pytest.approx(11_000.0 * 0.05)
    assert car(soc=100.0).accepted_power_w() == 0.0


def test_ac_voltage_and_current_agree_with_power_and_dc_voltage_follows_the_battery() -> None:
    ac = Meter("ac", 22_000.0, 0.0).reading(car(), 6_900.0)
    assert (ac.voltage_v, ac.current_a) == (230.0, 10.0)
    dc = Meter("dc", 150_000.0, 0.0).reading(car(soc=75.0), 40_000.0)
    assert dc.voltage_v == 420.0
    assert dc.current_a == pytest.approx(40_000.0 / 420.0, abs=0.01)


def test_the_same_seed_brings_the_same_car() -> None:
    first = EvModel.arrive(random.Random("CP-1:1.6"), None)
    again = EvModel.arrive(random.Random("CP-1:1.6"), None)
    assert first == again
    assert EvModel.arrive(random.Random("CP-1:1.6"), 7_000.0).max_power_w == 7_000.0


# --- a charge limit (the ev-target-soc command) ----------------------------------------------------------


def test_a_car_with_a_charge_limit_takes_nothing_once_it_is_reached() -> None:
    ev = car(soc=79.0)
    ev.target_soc = 80.0
    assert ev.accepted_power_w() == 11_000.0
    assert ev.wh_to_target() == pytest.approx(600.0)  # 1 % of 60 kWh
    assert ev.seconds_to_target(11_000.0) == pytest.approx(600.0 * 3600 / 11_000.0)
    ev.soc = 80.0
    assert ev.accepted_power_w() == 0.0
    assert ev.seconds_to_target(11_000.0) is None


def test_the_meter_stops_exactly_at_the_charge_limit_however_late_it_is_noticed() -> None:
    meter = Meter("ac", 22_000.0, 1_000.0)
    ev = car(soc=79.0)
    ev.target_soc = 80.0
    meter.advance(ev, 11_000.0, 3600.0)  # an hour at 11 kW would be 11 kWh; the car takes 600 Wh
    assert ev.soc == 80.0
    assert meter.energy_wh == pytest.approx(1_600.0)
    meter.advance(ev, 11_000.0, 60.0)  # power still flowing after the limit: nothing more
    assert meter.energy_wh == pytest.approx(1_600.0)


def test_a_session_energy_cap_before_the_charge_limit_wins() -> None:
    meter = Meter("ac", 22_000.0, 0.0)
    ev = car(soc=50.0)
    ev.target_soc = 80.0
    meter.advance(ev, 11_000.0, 3600.0, cap_wh=500.0)
    assert meter.energy_wh == 500.0
    assert ev.soc == pytest.approx(50.0 + 100.0 * 500 / 60_000)


def test_without_a_limit_the_car_has_none() -> None:
    ev = car()
    assert ev.wh_to_target() is None
    assert ev.seconds_to_target(11_000.0) is None
