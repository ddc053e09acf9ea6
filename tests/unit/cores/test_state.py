"""The charger's state is the ChargePoint aggregate's, rebuilt from its events: none only in memory."""

from __future__ import annotations

from tests.unit.cores.charger import charge_point


def test_a_connector_is_finishing_from_the_end_of_its_transaction_until_the_cable_comes_out() -> None:
    cp = charge_point()
    cp.cable_plugged(1, None)
    assert not cp.connector(1).finishing
    cp.transaction_started(1, "7", "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None)
    cp.transaction_stopped(1, "7", 500, "Local", "2026-01-01T01:00:00Z", None)
    assert cp.connector(1).finishing
    cp.cable_unplugged(1, None)
    assert not cp.connector(1).finishing


def test_a_limit_remembers_the_purpose_of_its_profile_and_loses_it_with_the_limit() -> None:
    cp = charge_point(connectors=2)
    cp.charging_limit_changed(1, 3_000.0, "TxProfile")
    assert (cp.connector(1).limit_w, cp.connector(1).limit_purpose) == (3_000.0, "TxProfile")
    cp.charging_limit_changed(0, 7_000.0, "ChargePointMaxProfile")
    assert [c.limit_purpose for c in cp.connectors.values()] == ["ChargePointMaxProfile"] * 2
    cp.charging_limit_changed(1, None, "TxProfile")
    assert (cp.connector(1).limit_w, cp.connector(1).limit_purpose) == (None, None)


def test_the_state_is_the_same_when_rebuilt_from_the_events() -> None:
    cp = charge_point()
    cp.cable_plugged(1, None)
    cp.charging_limit_changed(1, 3_000.0, "TxProfile")
    cp.transaction_started(1, "7", "TAG", 0, "2026-01-01T00:00:00Z", "Accepted", None, None, None)
    cp.transaction_stopped(1, "7", 500, "Local", "2026-01-01T01:00:00Z", None)
    events = cp.collect_events()
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.connectors == cp.connectors


def test_what_a_2_0_1_csms_set_up_is_rebuilt_after_a_restart() -> None:
    cp = charge_point(connectors=2)
    cp.id_token_type_used("TAG-1", "eMAID")
    cp.charging_profile_installed(5, 1, "TxProfile")
    cp.charging_profile_installed(6, 0, "ChargingStationMaxProfile")
    cp.charging_profiles_removed([6])
    cp.transaction_started(2, "tx", None, 0, "2026-01-01T00:00:00Z", None, None, None, None)
    cp.availability_scheduled(2, False)
    cp.reset_scheduled(0)
    cp.fault_raised(1, "HighTemperature", None, None, None, 4711)
    cp.sequence_advanced(2, 1, "EVConnected")
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.token_types == {"TAG-1": "eMAID"}
    assert {pid: (p.evse_id, p.purpose) for pid, p in rebuilt.profiles.items()} == {5: (1, "TxProfile")}
    assert rebuilt.connector(2).scheduled_operative is False
    assert rebuilt.scheduled_reset == 0
    assert rebuilt.connector(1).fault_event_id == 4711
    assert rebuilt.connector(2).reported_charging_state == "EVConnected"
    assert rebuilt.connectors == cp.connectors


def test_a_charging_state_is_remembered_only_while_its_transaction_runs() -> None:
    cp = charge_point()
    cp.sequence_advanced(1, 1, "Charging")  # no transaction: nothing to remember
    assert cp.connector(1).reported_charging_state is None
    cp.transaction_started(1, "tx", None, 0, "2026-01-01T00:00:00Z", None, None, None, None)
    cp.sequence_advanced(1, 1, "Charging")
    assert cp.connector(1).reported_charging_state == "Charging"
    cp.transaction_stopped(1, "tx", 10, "Local", "2026-01-01T01:00:00Z", None)
    cp.sequence_advanced(1, 2, "Idle")  # the Ended event
    assert cp.connector(1).reported_charging_state is None
