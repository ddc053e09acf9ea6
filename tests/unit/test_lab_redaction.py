"""Frames as the lab shows them: a charger's Basic-auth password and API tokens masked."""

from __future__ import annotations

import json

from webui.redaction import MASK, masked_frame


def test_an_authorization_key_set_over_ocpp_16_is_masked() -> None:
    raw = json.dumps(
        [2, "1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": "s3cret-password-1234"}]
    )
    shown = masked_frame(raw)
    assert "s3cret" not in shown
    assert json.loads(shown)[3] == {"key": "AuthorizationKey", "value": MASK}


def test_a_basic_auth_password_set_over_ocpp_201_is_masked() -> None:
    raw = json.dumps(
        [
            2,
            "2",
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "attributeValue": "s3cret-password-1234",
                    },
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "attributeValue": "60",
                    },
                ]
            },
        ]
    )
    data = json.loads(masked_frame(raw))[3]["setVariableData"]
    assert data[0]["attributeValue"] == MASK
    assert data[1]["attributeValue"] == "60", "other variables stay readable"


def test_other_frames_are_shown_as_recorded_and_tokens_never() -> None:
    raw = '[2,"3","Heartbeat",{}]'
    assert masked_frame(raw) == raw
    assert "olt_abcdef" not in masked_frame('[2,"4","DataTransfer",{"data":"olt_abcdef123"}]')


def test_an_unreadable_frame_naming_a_secret_is_not_shown() -> None:
    assert "hunter2" not in masked_frame(
        '[2,"5","ChangeConfiguration",{"key":"AuthorizationKey","value":"hunter2"'
    )
