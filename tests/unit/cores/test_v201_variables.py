"""OCPP 2.0.1 device model: every controller the station reports has the variables the specification
requires of it (part 2, appendix 3), per EVSE and connector too."""

from __future__ import annotations

from ocpp_bridge.core import configuration
from ocpp_bridge.v201 import variables
from ocpp_bridge.v201.variables import StationFacts, fixed_rows

FACTS = StationFacts(
    security_profile=2,
    organization="ACME",
    now="2026-01-01T00:00:00Z",
    ac=True,
    connector_type="Type2",
    power_w={1: 7400.0, 2: 0.0},
    max_power_w=11_000.0,
    problems={0: False, 1: True},
)
REQUIRED = {
    "AlignedDataCtrlr": {"Interval", "Measurands", "TxEndedInterval", "TxEndedMeasurands"},
    "AuthCtrlr": {"AuthorizeRemoteStart", "LocalAuthorizeOffline", "LocalPreAuthorize"},
    "ChargingStation": {"Available", "SupplyPhases"},
    "ClockCtrlr": {"DateTime", "TimeSource"},
    "DeviceDataCtrlr": {"ItemsPerMessage", "BytesPerMessage"},
    "LocalAuthListCtrlr": {"Entries", "ItemsPerMessage", "BytesPerMessage"},
    "OCPPCommCtrlr": {
        "MessageTimeout",
        "MessageAttempts",
        "MessageAttemptInterval",
        "NetworkConfigurationPriority",
        "ResetRetries",
    },
    "SampledDataCtrlr": {
        "TxEndedMeasurands",
        "TxEndedInterval",
        "TxStartedMeasurands",
        "TxUpdatedMeasurands",
        "TxUpdatedInterval",
    },
    "SecurityCtrlr": {"OrganizationName", "SecurityProfile"},
    "TxCtrlr": {
        "EVConnectionTimeOut",
        "StopTxOnEVSideDisconnect",
        "StopTxOnInvalidId",
        "TxStartPoint",
        "TxStopPoint",
    },
}


def test_every_controller_has_its_required_variables() -> None:
    have: dict[str, set[str]] = {}
    for key in [*configuration.KEYS.values(), *(k for k, _ in variables.KEYS.values())]:
        if key.component and key.variable:
            have.setdefault(key.component, set()).add(key.variable)
    for row in fixed_rows(FACTS):
        have.setdefault(row.component, set()).add(row.variable)
    for controller, required in REQUIRED.items():
        assert required <= have.get(controller, set()), controller


def test_device_data_limits_have_one_instance_per_message() -> None:
    rows = [
        r for r in fixed_rows(FACTS) if r.component == "DeviceDataCtrlr" and r.variable == "ItemsPerMessage"
    ]
    assert {r.instance: r.value for r in rows} == {
        "GetReport": "10",
        "GetVariables": "50",
        "SetVariables": "50",
    }


def test_each_evse_and_connector_reports_itself() -> None:
    rows = fixed_rows(FACTS)
    evse = {(r.evse, r.variable): r for r in rows if r.component == "EVSE"}
    assert evse[(1, "Power")].value == "7400"
    assert evse[(1, "Power")].max_limit == 11_000.0
    assert evse[(1, "Problem")].value == "true"
    assert evse[(2, "Problem")].value == "false"
    assert evse[(2, "SupplyPhases")].value == "3"
    connector = {(r.evse, r.variable): r for r in rows if r.component == "Connector"}
    assert connector[(2, "ConnectorType")].value == "sType2"
    assert connector[(2, "ConnectorType")].connector == 1
    station = {r.variable: r.value for r in rows if r.component in ("ChargingStation", "SecurityCtrlr")}
    assert (station["SecurityProfile"], station["OrganizationName"], station["Problem"]) == (
        "2",
        "ACME",
        "false",
    )
