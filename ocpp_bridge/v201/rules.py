"""OCPP 2.0.1 tables and pure helpers: measurands, how a 1.6 fault shows in the device model, the
triggerReason of each stoppedReason, the device model's variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.chargepoint import ChargePoint
from domain.connector_state import ConnectorState
from ocpp_bridge.core import configuration
from ocpp_bridge.core.meter import EvModel
from ocpp_bridge.core.reservations import reservation_on

FIRMWARE = "ocpp-ledger 0.1"
TOKEN_TYPE = "ISO14443"  # noqa: S105 - the idToken type of a local RFID card
VENDOR_ID = "ocpp-ledger"
ENERGY = "Energy.Active.Import.Register"
MEASURAND_UNITS = {
    ENERGY: "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}
MEASURAND_KEYS = {"MeterValuesSampledData", "MeterValuesAlignedData", "StopTxnSampledData"}
AVAILABILITY_STATES = "Available,Occupied,Reserved,Unavailable,Faulted"


@dataclass(frozen=True)
class FaultEvent:
    """How a 1.6 ChargePointErrorCode shows in the 2.0.1 device model (OCPP.md, Faults)."""

    component: str
    variable: str
    stopped_reason: str = "Other"
    on_connector: bool = False  # the component sits on the connector (else on the EVSE)


FAULTS: dict[str, FaultEvent] = {
    "GroundFailure": FaultEvent("RCD", "Tripped", "GroundFault"),
    "OverCurrentFailure": FaultEvent("OverCurrentProtection", "Operated", "OvercurrentFault"),
    "ConnectorLockFailure": FaultEvent("ConnectorPlugRetentionLock", "Problem", on_connector=True),
    "HighTemperature": FaultEvent("TemperatureSensor", "Problem"),
    "OverVoltage": FaultEvent("ElectricalFeed", "Problem"),
    "UnderVoltage": FaultEvent("ElectricalFeed", "Problem"),
    "PowerMeterFailure": FaultEvent("FiscalMetering", "Problem"),
    "ReaderFailure": FaultEvent("TokenReader", "Problem"),
    "EVCommunicationError": FaultEvent("ConnectedEV", "Problem"),
    "PowerSwitchFailure": FaultEvent("PowerContactor", "Problem"),
    "InternalError": FaultEvent("Controller", "Problem"),
    "ResetFailure": FaultEvent("Controller", "Problem"),
    "WeakSignal": FaultEvent("DataLink", "Problem"),
    "LocalListConflict": FaultEvent("ChargingStation", "Problem"),
    "OtherError": FaultEvent("ChargingStation", "Problem"),
}

# The triggerReason of a TransactionEvent Ended for a stop asked with a stoppedReason.
TRIGGER_FOR_REASON = {
    "DeAuthorized": "Deauthorized",
    "EmergencyStop": "AbnormalCondition",
    "EnergyLimitReached": "EnergyLimitReached",
    "EVDisconnected": "EVCommunicationLost",
    "GroundFault": "AbnormalCondition",
    "ImmediateReset": "ResetCommand",
    "OvercurrentFault": "AbnormalCondition",
    "PowerLoss": "AbnormalCondition",
    "PowerQuality": "AbnormalCondition",
    "Reboot": "ResetCommand",
    "Remote": "RemoteStop",
    "StoppedByEV": "ChargingStateChanged",
    "TimeLimitReached": "TimeLimitReached",
    "Timeout": "EVConnectTimeout",
}


@dataclass(frozen=True)
class DeviceVariable:
    """One variable of the station's device model, with its Actual value."""

    component: str
    variable: str
    value: str
    data_type: str
    mutability: str = "ReadOnly"
    instance: str | None = None
    evse: int | None = None
    connector: int | None = None
    values_list: str | None = None
    max_limit: float | None = None
    key: configuration.Key | None = None  # the configuration key behind it (writable unless readonly)

    def component_ref(self) -> dict[str, Any]:
        evse = None if self.evse is None else {"id": self.evse, "connector_id": self.connector}
        return {"name": self.component, "evse": evse}

    def variable_ref(self) -> dict[str, Any]:
        return {"name": self.variable, "instance": self.instance}

    def matches_component(self, component: dict[str, Any]) -> bool:
        if component.get("name") != self.component:
            return False
        evse = component.get("evse")
        if evse is None or self.evse is None:
            return evse is None and self.evse is None
        return evse.get("id") == self.evse and evse.get("connector_id") in (None, self.connector)

    def matches_variable(self, variable: dict[str, Any]) -> bool:
        return variable.get("name") == self.variable and variable.get("instance") == self.instance

    def report(self) -> dict[str, Any]:
        return {
            "component": self.component_ref(),
            "variable": self.variable_ref(),
            "variable_attribute": [
                {"type": "Actual", "value": self.value, "mutability": self.mutability, "persistent": True}
            ],
            "variable_characteristics": {
                "data_type": self.data_type,
                "supports_monitoring": self.data_type in MONITORABLE_TYPES,
                "values_list": self.values_list,
                "max_limit": self.max_limit,
            },
        }


# Values a threshold or delta monitor can watch (numbers) or a delta monitor can (any change).
MONITORABLE_TYPES = {"integer", "decimal", "boolean", "OptionList", "string"}
DATA_TYPES = {"int": "integer", "bool": "boolean", "csl": "MemberList", "str": "string"}


# --- what a connector reports, from the station's state alone -----------------------------------------


def connector_status(cp: ChargePoint, state: ConnectorState) -> tuple[str, str]:
    """The 2.0.1 connectorStatus the connector has now, and the fault code kept beside it."""
    fault = state.fault or cp.charger_fault
    if fault is not None:
        return "Faulted", fault
    if not state.operative:
        return "Unavailable", "NoError"
    if state.plugged:
        return "Occupied", "NoError"
    reserved = reservation_on(cp.reservations.values(), state.connector_id) is not None
    return ("Reserved" if reserved else "Available"), "NoError"


def authorized_transaction(state: ConnectorState) -> bool:
    """A transaction someone authorized, whose stop has not been authorized."""
    return state.transaction_id is not None and state.id_tag is not None and not state.stop_authorized


def energy_may_flow(state: ConnectorState) -> bool:
    """Energy flows only in an authorized transaction, the cable in, the EV asking, no fault."""
    return authorized_transaction(state) and state.plugged and state.ev_requesting and state.fault is None


def charging_state(state: ConnectorState, ev: EvModel | None, power_w: float) -> str:
    """The transaction's chargingState: Idle (no cable), EVConnected (not authorized yet, or stopped),
    SuspendedEV (the EV takes nothing), SuspendedEVSE (the station offers nothing) or Charging."""
    if not state.plugged:
        return "Idle"
    if not energy_may_flow(state):
        return "SuspendedEV" if authorized_transaction(state) and not state.ev_requesting else "EVConnected"
    if ev is not None and ev.accepted_power_w() <= 0:
        return "SuspendedEV"
    if power_w <= 0:
        return "SuspendedEVSE"
    return "Charging"
