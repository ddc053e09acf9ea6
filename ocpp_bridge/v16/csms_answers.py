"""OCPP 1.6: what the charge point answers to each CSMS-initiated call, decided from its state alone. The
follow-ups (a transaction started after a RemoteStartTransaction, the statuses after a
ChangeAvailability, ...) are in csms_calls.py."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from ocpp_bridge.core import reservations

TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
    }
)


def remote_start_target(cp: ChargePoint, requested: int | None, id_tag: str | None = None) -> int | None:
    """The connector a RemoteStartTransaction starts on (the one asked for, else the first free one), or
    None: Rejected. Free: no transaction, no fault of its own or of the charger, operative, and not
    reserved for another id tag than `id_tag` (ocpp_bridge.core.reservations)."""
    if cp.charger_fault:
        return None
    candidates = [requested] if requested else list(cp.connectors)
    for n in candidates if id_tag is None else reservations.reserved_first(cp, candidates, id_tag):
        state = cp.connectors.get(n)
        free = state and state.transaction_id is None and state.fault is None and state.operative
        if free and (id_tag is None or reservations.may_start(cp, n, id_tag)):
            return n
    return None


def remote_stop_target(cp: ChargePoint, transaction_id: int) -> int | None:
    """The connector whose transaction a RemoteStopTransaction names, or None: Rejected."""
    for n, state in cp.connectors.items():
        if state.transaction_id == str(transaction_id):
            return n
    return None


def trigger_answer(cp: ChargePoint, requested: str, connector_id: int | None) -> str:
    if connector_id is not None and connector_id != 0 and connector_id not in cp.connectors:
        return "Rejected"
    return "Accepted" if requested in TRIGGERABLE else "NotImplemented"


def unlock_answer(cp: ChargePoint, connector_id: int) -> str:
    """Unlocked (a transaction on it stops, UnlockCommand), or NotSupported for an unknown connector."""
    return "Unlocked" if connector_id in cp.connectors else "NotSupported"


def availability_answer(cp: ChargePoint, connector_id: int, operative: bool) -> str:
    """Accepted; Scheduled when a connector concerned has a transaction and is made Inoperative (it
    becomes Unavailable when the transaction ends); Rejected for an unknown connector."""
    if connector_id != 0 and connector_id not in cp.connectors:
        return "Rejected"
    targets = list(cp.connectors) if connector_id == 0 else [connector_id]
    busy = any(cp.connectors[n].transaction_id is not None for n in targets)
    return "Scheduled" if busy and not operative else "Accepted"


def local_list_answer(cp: ChargePoint, enabled: bool, list_version: int, update_type: str) -> str:
    """Accepted, NotSupported (LocalAuthListEnabled false) or VersionMismatch (a differential update
    not newer than the list)."""
    if not enabled:
        return "NotSupported"
    if update_type == "Differential" and list_version <= cp.local_list_version:
        return "VersionMismatch"
    return "Accepted"
