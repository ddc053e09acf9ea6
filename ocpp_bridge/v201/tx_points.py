"""OCPP 2.0.1 TxStartPoint and TxStopPoint (E01, E06): when a transaction starts and when it ends, as pure
decisions on the connector's condition. A point is a condition: EVConnected (the cable is in), Authorized
(someone is authorized), PowerPathClosed (both). The transaction starts as soon as one start point holds,
and ends as soon as one stop point no longer does."""

from __future__ import annotations

# What this charger can tell: it has no parking-bay sensor (ParkingBayOccupancy), signs no meter data
# (DataSigned), and starting or stopping at the first or last watt-hour (EnergyTransfer) is not modelled.
SUPPORTED = ("EVConnected", "Authorized", "PowerPathClosed")
DEFAULT_START = "EVConnected,Authorized"
# A stop authorization stops the energy but the transaction runs until the EV leaves (E06 EVConnected).
DEFAULT_STOP = "EVConnected"
START_KEY, STOP_KEY = "TxStartPoint", "TxStopPoint"  # their names in the ChargePoint's configuration


def parse(value: str) -> frozenset[str]:
    return frozenset(m.strip() for m in value.split(",") if m.strip())


def configured(config: dict[str, str]) -> tuple[frozenset[str], frozenset[str]]:
    """The start and stop points a station's configuration says (its defaults until set)."""
    return parse(config.get(START_KEY, DEFAULT_START)), parse(config.get(STOP_KEY, DEFAULT_STOP))


def acceptable(value: str) -> bool:
    """A SetVariables value for TxStartPoint or TxStopPoint: one or more supported points."""
    points = parse(value)
    return bool(points) and points <= set(SUPPORTED)


def holds(point: str, *, plugged: bool, authorized: bool) -> bool:
    if point == "EVConnected":
        return plugged
    if point == "Authorized":
        return authorized
    if point == "PowerPathClosed":
        return plugged and authorized
    return False


def starts(start_points: frozenset[str], *, plugged: bool, authorized: bool) -> bool:
    """Whether a transaction starts now: a start point holds."""
    return any(holds(p, plugged=plugged, authorized=authorized) for p in start_points)


def waits_for_cable(start_points: frozenset[str]) -> bool:
    """An authorization alone starts nothing but, with the cable, would: it is kept for the cable."""
    return (
        not starts(start_points, plugged=False, authorized=True)
        and starts(start_points, plugged=True, authorized=True)
        and not starts(start_points, plugged=True, authorized=False)
    )


def ends(stop_points: frozenset[str], *, plugged: bool, authorized: bool) -> bool:
    """Whether a running transaction ends now: a stop point no longer holds."""
    return any(not holds(p, plugged=plugged, authorized=authorized) for p in stop_points)


def ends_at_unplug(stop_points: frozenset[str]) -> bool:
    """The EV leaving ends the transaction (still authorized, no longer plugged)."""
    return ends(stop_points, plugged=False, authorized=True)


def ends_at_stop_authorization(stop_points: frozenset[str]) -> bool:
    """A stop authorization ends the transaction (still plugged, no longer authorized)."""
    return ends(stop_points, plugged=True, authorized=False)
