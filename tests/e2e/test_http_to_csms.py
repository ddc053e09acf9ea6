"""End to end: HTTP → ledger → bridge → CSMS (on the `ocpp` library, schema validation on) → ledger → HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.context import Context
from ocpp_ledger.demo import DemoCsms
from ocpp_ledger.runtime import BridgeThread
from projections.commands import get_command
from tests.conftest import Api, issue_token


@pytest.fixture
def lab_api(context: Context, csms: DemoCsms) -> Iterator[Api]:
    bridge = BridgeThread(context)
    bridge.start()
    try:
        with TestClient(create_app(context.settings, context)) as client:
            yield Api(client, issue_token(context, "acme"))
    finally:
        bridge.stop()


def create(api: Api, csms: DemoCsms, identity: str, version: str = "OCPP1.6") -> str:
    response = api.post(
        "/ocpp/chargers",
        json={
            "identity": identity,
            "brand_slug": "abb",
            "model_slug": "terra-184",
            "ws_url": csms.url,
            "ocpp_version": version,
        },
    )
    assert response.status_code == 202, response.text
    return response.json()["charger_id"]


def test_a_created_charger_becomes_ready_connects_and_boots(lab_api: Api, csms: DemoCsms) -> None:
    charger_id = create(lab_api, csms, "E2E-1")
    csms.wait_for(lambda: csms.csms.messages("E2E-1", "StatusNotification"))
    status = lab_api.get(f"/ocpp/chargers/{charger_id}/status").json()
    assert status["status"] == "READY"
    assert status["provisioned_at"] is not None
    charger = lab_api.get(f"/ocpp/chargers/{charger_id}").json()
    assert charger["runtime"]["state"] == "running"
    assert charger["runtime"]["connected"] is True
    logs = lab_api.get(f"/ocpp/chargers/{charger_id}/logs", params={"event": "BootNotification"}).json()
    assert [entry["direction"] for entry in logs["data"]] == ["cp_to_csms", "csms_to_cp"]


def test_single_charger_commands_answer_200_with_their_result(lab_api: Api, csms: DemoCsms) -> None:
    charger_id = create(lab_api, csms, "E2E-2")
    target = {"charger_id": charger_id}
    configured = lab_api.post(
        "/ocpp/commands/configuration",
        json={
            "target": target,
            "event": {"configuration": {"HeartbeatInterval": "30", "Nope": "1"}},
        },
    )
    assert configured.status_code == 200, configured.text
    body = configured.json()
    assert body["configured"] == ["HeartbeatInterval"]
    assert body["results"] == [
        {"key": "HeartbeatInterval", "status": "Accepted"},
        {"key": "Nope", "status": "NotSupported"},
    ]

    proxied = lab_api.post(
        "/ocpp/commands/proxy-message",
        json={
            "target": target,
            "event": {"action": "data_transfer", "payload": {"vendor_id": "acme", "data": "hi"}},
        },
    )
    assert proxied.status_code == 200, proxied.text
    assert proxied.json()["response"] == {
        "message_type": "CALLRESULT",
        "payload": {"status": "Accepted", "data": "hi"},
    }

    fault = lab_api.post(
        "/ocpp/commands/inject-fault",
        json={"target": target, "event": {"connector_id": 1, "fault_type": "GroundFailure"}},
    )
    assert fault.status_code == 200, fault.text
    assert fault.json()["status"] == "Faulted"
    csms.wait_for(
        lambda: any(
            m.payload.get("status") == "Faulted" for m in csms.csms.messages("E2E-2", "StatusNotification")
        )
    )
    cleared = lab_api.post(
        "/ocpp/commands/clear-fault", json={"target": target, "event": {"connector_id": 1}}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["status"] == "Available"


def finished(context: Context, command_id: str) -> None:
    """Wait until the commands read model shows the command's outcome."""

    def done() -> bool | None:
        with context.read.db.reader() as cur:
            row = get_command(cur, "acme", command_id)
        return True if row and row["status"] in ("completed", "failed") else None

    assert context.read.wait_until("commands", done, 15)


def test_a_fleet_command_moves_from_queued_to_completed_with_its_frames(
    lab_api: Api, csms: DemoCsms, context: Context
) -> None:
    charger_id = create(lab_api, csms, "E2E-3")
    response = lab_api.post(
        "/ocpp/commands/start-session", json={"target": {"charger_id": charger_id}, "event": {"id_tag": "T1"}}
    )
    command_id = response.json()["results"][0]["command"]["id"]
    assert lab_api.get(f"/ocpp/commands/{command_id}").json()["status"] in ("queued", "dispatched")
    finished(context, command_id)
    detail = lab_api.get(f"/ocpp/commands/{command_id}").json()
    assert detail["status"] == "completed", detail
    assert detail["dispatched_at"] is not None
    actions = [f["action"] for f in detail["frames"] if f["direction"] == "cp_to_csms"]
    assert actions == ["StatusNotification", "Authorize", "StartTransaction", "StatusNotification"]
    assert detail["result"]["transaction_id"]
