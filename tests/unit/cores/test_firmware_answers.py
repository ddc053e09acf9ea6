"""What a charger answers to UpdateFirmware / SignedUpdateFirmware and 2.0.1 SetNetworkProfile, before
anything happens."""

from __future__ import annotations

from typing import Any

import pytest

from ocpp_bridge.core.firmware import update_firmware_answer
from ocpp_bridge.v201.firmware_answers import network_profile_answer
from tests.signing import NOT_A_CERTIFICATE, signed

PROFILE: dict[str, Any] = {
    "ocpp_version": "OCPP20",
    "ocpp_transport": "JSON",
    "ocpp_csms_url": "wss://csms.example/ocpp",
    "message_timeout": 30,
    "security_profile": 2,
    "ocpp_interface": "Wired0",
}


def test_an_update_is_accepted_or_cancels_the_one_under_way() -> None:
    certificate, _ = signed(b"image")
    assert update_firmware_answer(None, busy=False) == "Accepted"
    assert update_firmware_answer(certificate, busy=False) == "Accepted"
    assert update_firmware_answer(None, busy=True) == "AcceptedCanceled"


def test_a_signing_certificate_that_is_no_certificate_is_invalid() -> None:
    assert update_firmware_answer(NOT_A_CERTIFICATE, busy=True) == "InvalidCertificate"
    assert update_firmware_answer("just text", busy=False) == "InvalidCertificate"


def test_a_fitting_network_profile_is_accepted() -> None:
    assert network_profile_answer(1, PROFILE, security_profile=1) == ("Accepted", "")
    assert network_profile_answer(4, {**PROFILE, "security_profile": 1, "ocpp_csms_url": "ws://c/o"}, 1)[
        0
    ] == ("Accepted")


@pytest.mark.parametrize(
    ("slot", "changes", "current", "why"),
    [
        (0, {}, 0, "configurationSlot 0"),
        (5, {}, 0, "configurationSlot 5"),
        (1, {"ocpp_version": "OCPP16"}, 0, "OCPP20"),
        (1, {"ocpp_transport": "SOAP"}, 0, "JSON"),
        (1, {"security_profile": 1, "ocpp_csms_url": "ws://c/o"}, 2, "lower than the current 2"),
        (1, {"ocpp_csms_url": "ws://csms.example/ocpp"}, 0, "does not suit securityProfile 2"),
        (1, {"ocpp_csms_url": "https://csms.example/ocpp"}, 0, "does not suit"),
    ],
)
def test_a_network_profile_that_does_not_fit_is_rejected_saying_why(
    slot: int, changes: dict[str, Any], current: int, why: str
) -> None:
    status, reason = network_profile_answer(slot, {**PROFILE, **changes}, current)
    assert status == "Rejected"
    assert why in reason
