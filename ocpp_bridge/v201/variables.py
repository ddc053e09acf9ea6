"""The 2.0.1 device-model variables that have no OCPP 1.6 configuration key: the writable TxCtrlr start and
stop points (kept in the ChargePoint's configuration, as the keys are), and the read-only variables a
station must report for each controller it has (OCPP 2.0.1 part 2, appendix 3: the required variables)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocpp_bridge.core import configuration
from ocpp_bridge.v201 import tx_points
from ocpp_bridge.v201.rules import ENERGY, DeviceVariable

# How many items this station takes in one GetVariables or SetVariables and sends in one NotifyReport.
ITEMS_PER_MESSAGE = {"GetReport": 10, "GetVariables": 50, "SetVariables": 50}
BYTES_PER_MESSAGE = 65_000
CONFIGURATION_VALUE_SIZE = 500  # configuration.check_value's limit
REPORTING_VALUE_SIZE = 2500  # the longest actualValue of a NotifyEvent
START_POINT = configuration.Key(
    tx_points.START_KEY, tx_points.DEFAULT_START, "csl", component="TxCtrlr", variable="TxStartPoint"
)
STOP_POINT = configuration.Key(
    tx_points.STOP_KEY, tx_points.DEFAULT_STOP, "csl", component="TxCtrlr", variable="TxStopPoint"
)
# 2.0.1-only keys (1.6 GetConfiguration does not list them) → the check a new value must pass.
KEYS: dict[str, tuple[configuration.Key, Callable[[str], bool]]] = {
    START_POINT.name: (START_POINT, tx_points.acceptable),
    STOP_POINT.name: (STOP_POINT, tx_points.acceptable),
}


# The catalog's connector types as 2.0.1 ConnectorEnumType (Type 2: a socket; the others: a cable).
CONNECTOR_TYPES = {"CCS1": "cCCS1", "CCS2": "cCCS2", "Type1": "cType1", "Type2": "sType2", "CHAdeMO": "cG105"}


# The instance the 2.0.1 device model gives some of the configuration keys' variables (part 2, appendix 3).
KEY_INSTANCES = {
    "MessageTimeout": "Default",
    "TransactionMessageAttempts": "TransactionEvent",
    "TransactionMessageRetryInterval": "TransactionEvent",
}


@dataclass(frozen=True)
class StationFacts:
    """What the read-only variables report, read from the station by its shell."""

    security_profile: int
    organization: str
    now: str  # ISO 8601
    ac: bool
    connector_type: str
    power_w: dict[int, float]  # per EVSE, now
    max_power_w: float  # per EVSE
    problems: dict[int, bool]  # per EVSE: a fault on it, or on the station (0)


def fixed_rows(facts: StationFacts) -> list[DeviceVariable]:
    """The required read-only variables of the station, its controllers, EVSEs and connectors."""
    phases = "3" if facts.ac else "0"
    connector = CONNECTOR_TYPES.get(facts.connector_type, "Unknown")
    rows = [
        DeviceVariable("SecurityCtrlr", "SecurityProfile", str(facts.security_profile), "integer"),
        DeviceVariable("SecurityCtrlr", "OrganizationName", facts.organization, "string"),
        DeviceVariable("ClockCtrlr", "DateTime", facts.now, "dateTime"),
        DeviceVariable("ClockCtrlr", "TimeSource", "Heartbeat", "SequenceList", values_list="Heartbeat"),
        DeviceVariable("ChargingStation", "Available", "true", "boolean"),
        DeviceVariable("ChargingStation", "SupplyPhases", phases, "integer"),
        DeviceVariable("ChargingStation", "Problem", _bool(facts.problems.get(0, False)), "boolean"),
    ]
    rows += [
        # What this station sends and does not (no interval values at a transaction's end).
        DeviceVariable("SampledDataCtrlr", "TxStartedMeasurands", ENERGY, "MemberList"),
        DeviceVariable("SampledDataCtrlr", "TxEndedInterval", "0", "integer"),
        DeviceVariable("AlignedDataCtrlr", "TxEndedMeasurands", "", "MemberList"),
        DeviceVariable("AlignedDataCtrlr", "TxEndedInterval", "0", "integer"),
        DeviceVariable("OCPPCommCtrlr", "NetworkConfigurationPriority", "0", "SequenceList"),
        DeviceVariable("OCPPCommCtrlr", "ResetRetries", "0", "integer"),
        DeviceVariable("LocalAuthListCtrlr", "BytesPerMessage", str(BYTES_PER_MESSAGE), "integer"),
        DeviceVariable("DeviceDataCtrlr", "ConfigurationValueSize", str(CONFIGURATION_VALUE_SIZE), "integer"),
        DeviceVariable("DeviceDataCtrlr", "ReportingValueSize", str(REPORTING_VALUE_SIZE), "integer"),
    ]
    for name, items in ITEMS_PER_MESSAGE.items():
        rows.append(
            DeviceVariable("DeviceDataCtrlr", "ItemsPerMessage", str(items), "integer", instance=name)
        )
        rows.append(
            DeviceVariable(
                "DeviceDataCtrlr", "BytesPerMessage", str(BYTES_PER_MESSAGE), "integer", instance=name
            )
        )
    for n, power in sorted(facts.power_w.items()):
        rows += [
            DeviceVariable("EVSE", "Available", "true", "boolean", evse=n),
            DeviceVariable("EVSE", "Power", f"{power:.0f}", "decimal", evse=n, max_limit=facts.max_power_w),
            DeviceVariable("EVSE", "SupplyPhases", phases, "integer", evse=n),
            DeviceVariable("EVSE", "Problem", _bool(facts.problems.get(n, False)), "boolean", evse=n),
            DeviceVariable("Connector", "Available", "true", "boolean", evse=n, connector=1),
            DeviceVariable("Connector", "ConnectorType", connector, "string", evse=n, connector=1),
            DeviceVariable("Connector", "SupplyPhases", phases, "integer", evse=n, connector=1),
        ]
    return rows


def _bool(value: bool) -> str:
    return "true" if value else "false"
