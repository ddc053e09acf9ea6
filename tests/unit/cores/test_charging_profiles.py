"""A charging profile's limit: the first period of its schedule, in W (A converted at the meter's voltage)."""

from __future__ import annotations

from ocpp_bridge.core.charging_profiles import schedule_limit_w
from ocpp_bridge.v201.rules import limit_watts


def test_a_limit_in_w_is_taken_as_it_is() -> None:
    schedule = {"charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 7400}]}
    assert schedule_limit_w(schedule, "ac") == 7400.0


def test_a_limit_in_a_is_converted_per_phase_on_ac_and_at_400_v_on_dc() -> None:
    periods = [{"start_period": 0, "limit": 16, "number_phases": 1}]
    assert schedule_limit_w({"charging_rate_unit": "A", "charging_schedule_period": periods}, "ac") == 3680.0
    three = [{"start_period": 0, "limit": 16}]  # three phases unless said otherwise
    assert schedule_limit_w({"charging_rate_unit": "A", "charging_schedule_period": three}, "ac") == 11040.0
    assert schedule_limit_w({"charging_rate_unit": "A", "charging_schedule_period": three}, "dc") == 6400.0


def test_a_schedule_without_a_period_sets_no_limit() -> None:
    assert schedule_limit_w({"charging_rate_unit": "W", "charging_schedule_period": []}, "ac") is None
    assert limit_watts(None, "ac") is None
    assert limit_watts([], "ac") is None
