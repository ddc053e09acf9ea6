"""OCPP 2.0.1: what the station answers to each CSMS-initiated call, decided from its state alone. The
follow-ups (the transaction a RequestStartTransaction authorizes, the statuses after a
ChangeAvailability, ...) are in csms_calls.py."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from ocpp_bridge.core import reservations
from ocpp_bridge.v201.rules import authorized_transaction


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
    cp: ChargePoint,
    evse_id: int | None,
    charging_profile: dict[str, Any] | None,
    *,
    online: bool,
    id_tag: str | None = None,
) -> int | None:
    """The EVSE a RequestStartTransaction goes to, or None: Rejected (offline, a profile that is not a
    TxProfile, nowhere to start). An EV already waiting for authorization (plugged in first) goes first;
    an EVSE reserved for another token than `id_tag` is no place to start, the token's own reserved one
    comes before the others (ocpp_bridge.core.reservations)."""
    if not online:
        return None
    if charging_profile is not None and charging_profile.get("charging_profile_purpose") != "TxProfile":
        return None
    candidates = [n for n in ([evse_id] if evse_id is not None else list(cp.connectors)) if startable(cp, n)]
    if id_tag is not None:
        candidates = [
            n
            for n in reservations.reserved_first(cp, candidates, id_tag)
            if reservations.may_start(cp, n, id_tag)
        ]
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
