"""OCPP 2.0.1: what the station answers to each CSMS-initiated call, decided from its state alone. The
follow-ups (the transaction a RequestStartTransaction authorizes, the statuses after a
ChangeAvailability, ...) are in csms_calls.py."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from ocpp_bridge.v201.rules import authorized_transaction, limit_watts


def scope(cp: ChargePoint, evse_id: int) -> list[int]:
    """The connectors an evseId names: all of them for 0, none for an unknown EVSE."""
    if evse_id == 0:
        return list(cp.connectors)
    return [evse_id] if evse_id in cp.connectors else []


def busy(cp: ChargePoint, evse_id: int) -> bool:
    return any(cp.connectors[n].transaction_id is not None for n in scope(cp, evse_id))


def startable(cp: ChargePoint, connector_id: int) -> bool:
    """A RequestStartTransaction may start (or authorize) here: no fault, operative, no authorized
    transaction, none whose stop was authorized."""
    state = cp.connectors.get(connector_id)
    return (
        state is not None
        and state.fault is None
        and not cp.charger_fault
        and state.operative
        and not state.stop_authorized
        and not authorized_transaction(state)
    )


def request_start_target(
    cp: ChargePoint, evse_id: int | None, charging_profile: dict[str, Any] | None, *, online: bool
) -> int | None:
    """The EVSE a RequestStartTransaction goes to, or None: Rejected (offline, a profile that is not a
    TxProfile, nowhere to start). An EV already waiting for authorization (plugged in first) goes first."""
    if not online:
        return None
    if charging_profile is not None and charging_profile.get("charging_profile_purpose") != "TxProfile":
        return None
    candidates = [n for n in ([evse_id] if evse_id is not None else list(cp.connectors)) if startable(cp, n)]
    waiting = [n for n in candidates if cp.connectors[n].transaction_id is not None]
    idle = [n for n in candidates if cp.connectors[n].transaction_id is None]
    chosen = waiting or idle
    return chosen[0] if chosen else None


def request_stop_target(cp: ChargePoint, transaction_id: str) -> int | None:
    for n, state in cp.connectors.items():
        if state.transaction_id == transaction_id:
            return n
    return None


def reset_answer(cp: ChargePoint, kind: str, evse_id: int | None) -> str:
    """Accepted, Scheduled (OnIdle while a transaction runs in its scope) or Rejected (unknown EVSE)."""
    if evse_id is not None and evse_id not in cp.connectors:
        return "Rejected"
    return "Scheduled" if kind == "OnIdle" and busy(cp, evse_id or 0) else "Accepted"


def unlock_answer(cp: ChargePoint, evse_id: int, connector_id: int) -> str:
    if evse_id not in cp.connectors or connector_id != 1:
        return "UnknownConnector"
    if authorized_transaction(cp.connectors[evse_id]):
        return "OngoingAuthorizedTransaction"
    return "Unlocked"


def availability_plan(cp: ChargePoint, evse: dict[str, Any] | None, operative: bool) -> tuple[str, list[int]]:
    """The answer to ChangeAvailability and the connectors whose change waits for their transaction to
    end: Scheduled when a transaction runs on one made Inoperative, Rejected for an unknown EVSE."""
    evse_id = 0 if evse is None else int(evse["id"])
    if evse is not None and (evse_id not in cp.connectors or evse.get("connector_id") not in (None, 1)):
        return "Rejected", []
    scheduled = [
        n for n in scope(cp, evse_id) if not operative and cp.connectors[n].transaction_id is not None
    ]
    return ("Scheduled" if scheduled else "Accepted"), scheduled


def charging_profile_answer(
    cp: ChargePoint, evse_id: int, profile: dict[str, Any], current_type: str
) -> tuple[str, float | None]:
    """Accepted with the limit in W, or Rejected: an unknown EVSE, ChargingStationExternalConstraints
    (set by an external system, never by the CSMS), a ChargingStationMaxProfile not on EVSE 0, a TxProfile
    without its running transaction, a schedule without a period."""
    purpose = profile.get("charging_profile_purpose")
    if evse_id != 0 and evse_id not in cp.connectors:
        return "Rejected", None
    if purpose == "ChargingStationExternalConstraints":
        return "Rejected", None
    if purpose == "ChargingStationMaxProfile" and evse_id != 0:
        return "Rejected", None
    if purpose == "TxProfile":
        if evse_id == 0:
            return "Rejected", None
        running = cp.connectors[evse_id].transaction_id
        if running is None or profile.get("transaction_id") not in (None, running):
            return "Rejected", None
    limit = limit_watts(profile.get("charging_schedule"), current_type)
    return ("Rejected", None) if limit is None else ("Accepted", limit)


def profiles_to_clear(
    cp: ChargePoint, profile_id: int | None, criteria: dict[str, Any] | None
) -> tuple[int, list[int]] | None:
    """The scope (evseId) a ClearChargingProfile lifts the limit of and the profile ids it removes, or
    None: Unknown. Profiles are kept as one limit per connector: clearing any of a connector lifts it."""
    if profile_id is not None:
        known = cp.profiles.get(profile_id)
        return None if known is None else (known.evse_id, [profile_id])
    criteria = criteria or {}
    evse_id, purpose = criteria.get("evse_id") or 0, criteria.get("charging_profile_purpose")
    matched = [
        pid
        for pid, profile in cp.profiles.items()
        if evse_id in (0, profile.evse_id) and purpose in (None, profile.purpose)
    ]
    limited = [n for n in scope(cp, evse_id) if cp.connectors[n].limit_w is not None]
    if not matched and (purpose is not None or not limited):
        return None
    return evse_id, matched
