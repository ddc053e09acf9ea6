"""OCPP 2.0.1 TxStartPoint and TxStopPoint: a transaction starts when a start point first holds and ends
when a stop point no longer does."""

from __future__ import annotations

import pytest

from ocpp_bridge.v201 import tx_points
from ocpp_bridge.v201.tx_points import (
    acceptable,
    configured,
    ends_at_stop_authorization,
    ends_at_unplug,
    starts,
)

EV, AUTH, PATH = frozenset({"EVConnected"}), frozenset({"Authorized"}), frozenset({"PowerPathClosed"})


def test_by_default_the_cable_or_an_authorization_starts_and_the_ev_leaving_ends() -> None:
    start, stop = configured({})
    assert start == {"EVConnected", "Authorized"}
    assert starts(start, plugged=True, authorized=False)
    assert starts(start, plugged=False, authorized=True)
    assert stop == {"EVConnected"}
    assert ends_at_unplug(stop)
    assert not ends_at_stop_authorization(stop)


def test_the_configuration_overrides_the_defaults() -> None:
    start, stop = configured({"TxStartPoint": "Authorized", "TxStopPoint": "EVConnected, Authorized"})
    assert (start, stop) == (AUTH, {"EVConnected", "Authorized"})


@pytest.mark.parametrize(
    ("points", "plugged", "authorized", "started"),
    [
        (EV, True, False, True),
        (EV, False, True, False),
        (AUTH, True, False, False),
        (AUTH, False, True, True),
        (PATH, True, False, False),
        (PATH, False, True, False),
        (PATH, True, True, True),
    ],
)
def test_a_transaction_starts_when_a_start_point_holds(
    points: frozenset[str], plugged: bool, authorized: bool, started: bool
) -> None:
    assert starts(points, plugged=plugged, authorized=authorized) is started


def test_a_transaction_ends_when_a_stop_point_no_longer_holds() -> None:
    assert ends_at_unplug(EV) and not ends_at_stop_authorization(EV)
    assert ends_at_stop_authorization(AUTH) and not ends_at_unplug(AUTH)
    assert ends_at_unplug(PATH) and ends_at_stop_authorization(PATH)
    assert ends_at_unplug(EV | AUTH) and ends_at_stop_authorization(EV | AUTH)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Authorized", True),
        ("EVConnected,PowerPathClosed", True),
        ("", False),
        ("ParkingBayOccupancy", False),  # no parking-bay sensor
        ("EnergyTransfer", False),
        ("Authorised", False),
    ],
)
def test_only_points_the_charger_can_tell_are_accepted(value: str, ok: bool) -> None:
    assert acceptable(value) is ok
    assert set(tx_points.SUPPORTED) == {"EVConnected", "Authorized", "PowerPathClosed"}


def test_an_authorization_is_kept_for_the_cable_only_when_both_start_the_transaction() -> None:
    assert tx_points.waits_for_cable(PATH)
    assert not tx_points.waits_for_cable(EV)  # the cable starts it anyway
    assert not tx_points.waits_for_cable(AUTH)  # the authorization starts it at once
    assert not tx_points.waits_for_cable(EV | AUTH)
