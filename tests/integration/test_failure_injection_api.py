"""The failure-injection commands of ours over HTTP: bad input is refused naming the field."""

from __future__ import annotations

import pytest

from tests.conftest import Api, new_charger


@pytest.mark.parametrize(
    ("path", "event", "field"),
    [
        ("fail-firmware", {"stage": "flash"}, "stage"),
        ("fail-firmware", {"stage": "install", "times": 0}, "times"),
        ("fail-firmware", {}, "stage"),
        ("fail-upload", {"times": 101}, "times"),
        ("fail-upload", {"stage": "download"}, "stage"),
        ("drop-network", {}, "seconds"),
        ("drop-network", {"seconds": -5}, "seconds"),
        ("ev-target-soc", {"connector_id": 1}, "target_soc"),
        ("ev-target-soc", {"target_soc": 120}, "target_soc"),
        ("ev-target-soc", {"target_soc": 80, "soc": 101}, "soc"),
    ],
)
def test_a_bad_failure_injection_is_refused_naming_the_field(
    api: Api, path: str, event: dict[str, object], field: str
) -> None:
    charger_id = new_charger(api, "CP-1")
    response = api.post(f"/ocpp/commands/{path}", json={"target": {"charger_id": charger_id}, "event": event})
    assert response.status_code == 422, response.text
    assert field in response.text
