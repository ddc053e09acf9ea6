"""OCPP 1.6 tables and pure helpers: the firmware it reports and measurand units."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from domain.connector_state import ConnectorState
from ocpp_bridge.core.meter import EvModel

FIRMWARE = "ocpp-ledger 0.1"
MEASURAND_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


# --- the status a connector shows (StatusNotification), from the charger's state alone ----------------


def charger_status(cp: ChargePoint) -> tuple[str, str]:
    """Connector 0 (the charge point as a whole): Faulted, Unavailable (every connector inoperative and
    no transaction left to finish) or Available, and its error code."""
    if cp.charger_fault:
        return "Faulted", cp.charger_fault
    if all(not c.operative and c.transaction_id is None for c in cp.connectors.values()):
        return "Unavailable", "NoError"
    return "Available", "NoError"


def transaction_status(state: ConnectorState, ev: EvModel | None, power_w: float) -> str:
    """Charging, or which side suspends it: the EVSE (power update or profile of 0 W) wins."""
    if any(w is not None and w <= 0 for w in (state.offered_power_w, state.limit_w)):
        return "SuspendedEVSE"
    if not state.plugged or not state.ev_requesting or (ev is not None and ev.accepted_power_w() <= 0):
        return "SuspendedEV"
    if power_w <= 0:
        return "SuspendedEVSE"
    return "Charging"


def resting_status(
    state: ConnectorState, ev: EvModel | None, power_w: float, *, reserved: bool = False
) -> str:
    """The status a connector shows when no fault overrides it: its transaction's, Unavailable
    (ChangeAvailability), Reserved (ReserveNow, until its holder starts), Finishing (a transaction ended,
    the cable still in), Preparing (cable in, no transaction yet) or Available."""
    if state.transaction_id is not None:
        return transaction_status(state, ev, power_w)
    if not state.operative:
        return "Unavailable"
    if reserved:
        return "Reserved"
    if state.plugged:
        return "Finishing" if state.finishing else "Preparing"
    return "Available"
