"""docs/ocpp-coverage.md against the code: every CSMS-to-charger action of OCPP 1.6 (all profiles and the
security whitepaper) and 2.0.1 (all functional blocks) has one line, a line that says "supported" has a
route in the version's client, and a line that says "not supported" gives the reason (and is answered
CALLERROR NotSupported, never NotImplemented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.protocol import OcppVersion
from ocpp_bridge.runtime.unsupported import ACTIONS
from ocpp_bridge.v16.client import V16Client
from ocpp_bridge.v201.client import V201Client

DOC = Path(__file__).resolve().parents[2] / "docs" / "ocpp-coverage.md"

# The calls a CSMS may send to a charger, from the specifications' message lists.
CSMS_TO_CHARGER = {
    OcppVersion.V16: {
        # Core
        "ChangeAvailability", "ChangeConfiguration", "ClearCache", "DataTransfer", "GetConfiguration",
        "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "UnlockConnector",
        # Firmware Management, Local Auth List Management, Reservation, Smart Charging, Remote Trigger
        "GetDiagnostics", "UpdateFirmware", "GetLocalListVersion", "SendLocalList", "ReserveNow",
        "CancelReservation", "SetChargingProfile", "ClearChargingProfile", "GetCompositeSchedule",
        "TriggerMessage",
        # Security whitepaper
        "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage", "GetInstalledCertificateIds",
        "GetLog", "InstallCertificate", "SignedUpdateFirmware",
    },
    OcppVersion.V201: {
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile",
        "ClearDisplayMessage", "ClearVariableMonitoring", "CostUpdated", "CustomerInformation",
        "DataTransfer", "DeleteCertificate", "GetBaseReport", "GetChargingProfiles", "GetCompositeSchedule",
        "GetDisplayMessages", "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog",
        "GetMonitoringReport", "GetReport", "GetTransactionStatus", "GetVariables", "InstallCertificate",
        "PublishFirmware", "RequestStartTransaction", "RequestStopTransaction", "ReserveNow", "Reset",
        "SendLocalList", "SetChargingProfile", "SetDisplayMessage", "SetMonitoringBase",
        "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables", "TriggerMessage",
        "UnlockConnector", "UnpublishFirmware", "UpdateFirmware",
    },
}  # fmt: skip
CLIENTS = {OcppVersion.V16: V16Client, OcppVersion.V201: V201Client}
ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*(supported|not supported)\s*\|\s*(.*?)\s*\|\s*$")


def documented(version: OcppVersion) -> dict[str, tuple[str, str]]:
    """The rows of the version's table: action → (supported / not supported, what the charger does)."""
    text = DOC.read_text()
    section = text.split(f"## OCPP {version.value.removeprefix('OCPP')}", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        if match := ROW.match(line):
            action, status, behaviour = match.groups()
            assert action not in rows, f"{action} has two lines"
            rows[action] = (status, behaviour)
    return rows


def routed(version: OcppVersion) -> set[str]:
    """The actions the version's client has an `@on` handler for."""
    handlers = (getattr(CLIENTS[version], name) for name in dir(CLIENTS[version]))
    return {str(action.value) for h in handlers if (action := getattr(h, "_on_action", None)) is not None}


def test_the_spec_lists_are_actions_of_the_library() -> None:
    for version, actions in CSMS_TO_CHARGER.items():
        assert actions <= ACTIONS[version]
    assert (len(CSMS_TO_CHARGER[OcppVersion.V16]), len(CSMS_TO_CHARGER[OcppVersion.V201])) == (26, 40)


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_every_csms_call_has_one_line(version: OcppVersion) -> None:
    assert set(documented(version)) == CSMS_TO_CHARGER[version]


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_a_supported_line_has_a_route_and_a_route_has_a_supported_line(version: OcppVersion) -> None:
    rows = documented(version)
    supported = {action for action, (status, _) in rows.items() if status == "supported"}
    assert supported == routed(version) & CSMS_TO_CHARGER[version]


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
def test_what_is_not_supported_says_why(version: OcppVersion) -> None:
    for action, (status, behaviour) in documented(version).items():
        assert len(behaviour) > 20, f"{action}: say what the charger does, or why not"
        if status == "not supported":
            assert action in ACTIONS[version]  # answered NotSupported, not NotImplemented
