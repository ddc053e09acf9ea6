"""The checks a command passes before it changes anything, shared by both OCPP versions: each refuses
with its own FailureCode and a message naming the connector."""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from domain.connector_state import ConnectorState
from domain.failures import FailureCode
from ocpp_bridge.core.errors import CommandError


def connector_exists(cp: ChargePoint, connector_id: int) -> int:
    """A connector of this charger, or 0 for the charger as a whole."""
    if connector_id != 0 and connector_id not in cp.connectors:
        raise CommandError(FailureCode.CONNECTOR_NOT_FOUND, f"connector {connector_id} does not exist")
    return connector_id


def online(is_online: bool) -> None:
    if not is_online:
        raise CommandError(FailureCode.CHARGER_NOT_CONNECTED, "the charger is not connected to its CSMS")


def no_transaction_running(state: ConnectorState) -> None:
    if state.transaction_id is not None:
        raise CommandError(
            FailureCode.TRANSACTION_RUNNING,
            f"connector {state.connector_id} already has transaction {state.transaction_id}",
        )


def transaction_running(state: ConnectorState) -> str:
    """The id of the connector's transaction."""
    if state.transaction_id is None:
        raise CommandError(FailureCode.NO_TRANSACTION, f"connector {state.connector_id} has no transaction")
    return state.transaction_id


def unplugged(state: ConnectorState) -> None:
    if state.plugged:
        raise CommandError(FailureCode.ALREADY_PLUGGED, f"connector {state.connector_id} is already plugged")


def plugged(state: ConnectorState) -> None:
    if not state.plugged:
        raise CommandError(FailureCode.NOT_PLUGGED, f"connector {state.connector_id} has no cable plugged")


def faulted(cp: ChargePoint, state: ConnectorState) -> bool:
    """Whether a fault of the connector or of the whole charger keeps it from delivering energy."""
    return state.fault is not None or cp.charger_fault is not None


def usable(cp: ChargePoint, state: ConnectorState) -> None:
    """Neither faulted nor made Inoperative (ChangeAvailability)."""
    if faulted(cp, state) or not state.operative:
        raise CommandError(
            FailureCode.CONNECTOR_UNAVAILABLE, f"connector {state.connector_id} is {state.status}"
        )


def has_fault(cp: ChargePoint, connector_id: int) -> str:
    """The fault to clear on the connector (0: the charger's own)."""
    fault = cp.charger_fault if connector_id == 0 else cp.connectors[connector_id].fault
    if fault is None:
        raise CommandError(FailureCode.NO_FAULT, f"connector {connector_id} has no fault")
    return fault


def meter_start_not_below(register_wh: float, meter_start_wh: int) -> None:
    """A transaction may start the register further on, never back."""
    if meter_start_wh < int(register_wh):
        raise CommandError(
            FailureCode.METER_START_BELOW_REGISTER, f"the register already reads {int(register_wh)} Wh"
        )


def tag_accepted(status: str, id_tag: str, who: str = "the CSMS") -> None:
    if status != "Accepted":
        raise CommandError(FailureCode.ID_TAG_REJECTED, f"{who} answered {status} for id tag {id_tag}")
