"""Fleet and single-charger commands over HTTP, on both backends."""

from __future__ import annotations

import pytest

from domain.charger import Charger
from gateway.context import Context
from tests.conftest import CSMS_URL, Api, new_charger, new_location
from tests.events import events_of

FLEET_BODIES: dict[str, dict[str, object]] = {
    "plug-connector": {"connector_id": 1},
    "unplug-connector": {"connector_id": 1},
    "unlock-connector": {"connector_id": 1},
    "start-transaction": {"connector_id": 1, "id_tag": "TAG-1", "meter_start_wh": 0},
    "stop-transaction": {"connector_id": 1, "reason": "Local"},
    "start-session": {"connector_id": 1, "id_tag": "TAG-1", "duration_seconds": 60, "target_energy_kwh": 5},
    "stop-session": {"connector_id": 1},
    "authorize-id-tag": {"id_tag": "TAG-1"},
    "ev-requests-energy": {"connector_id": 1},
    "ev-stops-energy": {"connector_id": 1},
    "power-update": {"connector_id": 1, "power_w": 7400},
    "fail-firmware": {"stage": "download", "times": 2},  # ours
    "fail-upload": {"times": 3},  # ours
}


def stored_command_events(context: Context) -> list[Charger.CommandQueued]:
    return events_of(context.ledger, Charger.CommandQueued)


@pytest.mark.parametrize("path", sorted(FLEET_BODIES))
def test_every_fleet_command_is_queued_for_one_charger(api: Api, context: Context, path: str) -> None:
    charger_id = new_charger(api, "CP-1")
    response = api.post(
        f"/ocpp/commands/{path}", json={"target": {"charger_id": charger_id}, "event": FLEET_BODIES[path]}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["targeted_count"], body["queued_count"], body["failed_count"]) == (1, 1, 0)
    [result] = body["results"]
    assert result["charger_id"] == charger_id
    assert result["identity"] == "CP-1"
    command = result["command"]
    assert command["event_type"] == path.removesuffix("-id-tag").replace("-", "_")
    assert command["ocpp_version"] == "ocpp1.6"
    for key, value in FLEET_BODIES[path].items():
        assert command["payload"][key] == value

    [event] = stored_command_events(context)
    assert str(event.command_id) == command["id"]
    detail = api.get(f"/ocpp/commands/{command['id']}").json()
    assert detail["status"] == "queued"
    assert detail["charger_id"] == charger_id
    assert detail["payload"] == command["payload"]


def test_charger_id_accepts_the_ocpp_identity(api: Api) -> None:
    charger_id = new_charger(api, "CP-ID")
    body = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"charger_id": "CP-ID"}, "event": {}}
    ).json()
    assert body["results"][0]["charger_id"] == charger_id


def test_a_location_fan_out_of_1000_chargers_is_one_transaction(api: Api, context: Context) -> None:
    location_id = new_location(api)
    groups = [
        {
            "template": {
                "brand_slug": "wallbox",
                "model_slug": "wallbox-pulsar-plus",
                "ws_url": CSMS_URL,
                "identity_prefix": "WB-",
            },
            "chargers_number": 1000,
        }
    ]
    job = api.post(f"/ocpp/locations/{location_id}/chargers", json=groups)
    assert job.status_code == 202, job.text

    response = api.post(
        "/ocpp/commands/start-session",
        json={"target": {"location_id": location_id}, "event": {"id_tag": "FLEET", "target_energy_kwh": 10}},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["targeted_count"], body["queued_count"], body["failed_count"]) == (1000, 1000, 0)
    assert len({r["command"]["id"] for r in body["results"]}) == 1000

    events = stored_command_events(context)
    assert len(events) == 1000
    assert {str(e.command_id) for e in events} == {r["command"]["id"] for r in body["results"]}
    assert len({e.batch_id for e in events}) == 1
    listed = api.get("/ocpp/commands", params={"location_id": location_id, "limit": 1}).json()
    assert listed["total"] == 1000


def test_chargers_where_a_command_cannot_apply_fail_individually(api: Api) -> None:
    location_id = new_location(api)
    dc = new_charger(api, "DC-1", location_id, brand="abb", model="terra-184")  # 2 connectors
    ac = new_charger(api, "AC-1", location_id, brand="wallbox", model="wallbox-pulsar-plus")  # 1 connector
    response = api.post(
        "/ocpp/commands/plug-connector",
        json={"target": {"location_id": location_id}, "event": {"connector_id": 2}},
    )
    body = response.json()
    assert (body["targeted_count"], body["queued_count"], body["failed_count"]) == (2, 1, 1)
    assert body["results"][0]["charger_id"] == dc
    assert body["failed"] == [
        {
            "charger_id": ac,
            "identity": "AC-1",
            "error": "connector 2 does not exist (charger has 1)",
            "code": "connector_not_found",
        }
    ]


def test_a_stopped_charger_fails_the_command(api: Api) -> None:
    charger_id = new_charger(api, "CP-1")
    stopped = api.post(f"/ocpp/chargers/{charger_id}/stop-charger")
    assert stopped.status_code == 200
    assert stopped.json()["event_type"] == "stop_charger"
    body = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"charger_id": charger_id}, "event": {}}
    ).json()
    assert body["failed"][0]["code"] == "charger_stopped"
    assert api.post(f"/ocpp/chargers/{charger_id}/start-charger").status_code == 200
    body = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"charger_id": charger_id}, "event": {}}
    ).json()
    assert body["queued_count"] == 1


def test_a_subset_of_a_location_is_targeted_by_charger_ids(api: Api) -> None:
    location_id = new_location(api)
    a = new_charger(api, "A", location_id)
    new_charger(api, "B", location_id)
    c = new_charger(api, "C", location_id)
    elsewhere = new_charger(api, "D")
    response = api.post(
        "/ocpp/commands/authorize-id-tag",
        json={
            "target": {"location_id": location_id, "charger_ids": [a, "C", elsewhere]},
            "event": {"id_tag": "X"},
        },
    )
    body = response.json()
    assert sorted(r["charger_id"] for r in body["results"]) == sorted([a, c])
    assert body["failed"] == [
        {
            "charger_id": elsewhere,
            "identity": None,
            "error": f"{elsewhere} is not a charger of this location",
            "code": "charger_not_found",
        }
    ]
    assert body["targeted_count"] == 3


def test_unknown_targets_are_404(api: Api) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert (
        api.post(
            "/ocpp/commands/plug-connector", json={"target": {"charger_id": "nope"}, "event": {}}
        ).status_code
        == 404
    )
    response = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"location_id": unknown}, "event": {}}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


@pytest.mark.parametrize(
    "target",
    [{}, {"charger_id": "a", "location_id": "00000000-0000-0000-0000-000000000000"}],
)
def test_a_target_needs_exactly_one_of_charger_id_and_location_id(
    api: Api, target: dict[str, object]
) -> None:
    response = api.post("/ocpp/commands/plug-connector", json={"target": target, "event": {}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "target"]


def test_charger_ids_without_location_id_says_it_needs_location_id(api: Api) -> None:
    target = {"charger_id": "a", "charger_ids": ["b"]}
    response = api.post("/ocpp/commands/plug-connector", json={"target": target, "event": {}})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "target", "charger_ids"]
    assert error["msg"].startswith("Value error, charger_ids needs location_id")


def test_target_and_event_are_both_required(api: Api) -> None:
    response = api.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": "x"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "event"]


def test_a_single_charger_command_without_an_outcome_answers_504_with_the_command_id(api: Api) -> None:
    charger_id = new_charger(api, "CP-1")
    response = api.post(
        "/ocpp/commands/configuration",
        json={
            "target": {"charger_id": charger_id},
            "event": {"configuration": {"HeartbeatInterval": "30"}},
        },
    )
    assert response.status_code == 504
    body = response.json()
    assert body["code"] == "command_timeout"
    detail = api.get(f"/ocpp/commands/{body['command_id']}").json()
    assert detail["event_type"] == "configuration"
    assert detail["status"] == "queued"


def test_single_charger_commands_are_validated_per_charger(api: Api) -> None:
    charger_id = new_charger(api, "CP-1", brand="wallbox", model="wallbox-pulsar-plus")
    response = api.post(
        "/ocpp/commands/inject-fault",
        json={
            "target": {"charger_id": charger_id},
            "event": {"connector_id": 2, "fault_type": "GroundFailure"},
        },
    )
    # 422, not 409: asking again cannot change the charger (and OCPPLAB's SDK retries a 409)
    assert response.status_code == 422
    assert response.json()["code"] == "connector_not_found"
    response = api.post(
        "/ocpp/commands/inject-fault",
        json={
            "target": {"charger_id": charger_id},
            "event": {"connector_id": 0, "fault_type": "NoSuchFault"},
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "event", "fault_type"]


def test_single_charger_commands_take_no_location_target(api: Api) -> None:
    response = api.post(
        "/ocpp/commands/cache/reset",
        json={"target": {"location_id": "00000000-0000-0000-0000-000000000000"}, "event": {}},
    )
    assert response.status_code == 422


def test_a_proxy_message_is_checked_against_the_ocpp_schema(api: Api) -> None:
    charger_id = new_charger(api, "CP-1")
    bad = api.post(
        "/ocpp/commands/proxy-message",
        json={
            "target": {"charger_id": charger_id},
            "event": {"action": "StatusNotification", "payload": {"connector_id": 1}},
        },
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][:3] == ["body", "event", "payload"]
    wrong_direction = api.post(
        "/ocpp/commands/proxy-message",
        json={
            "target": {"charger_id": charger_id},
            "event": {"action": "RemoteStartTransaction", "payload": {}},
        },
    )
    assert wrong_direction.status_code == 422
    unvalidated = api.post(
        "/ocpp/commands/proxy-message",
        json={
            "target": {"charger_id": charger_id},
            "event": {"action": "status_notification", "payload": {"connector_id": 1}, "validate": False},
        },
    )
    assert unvalidated.status_code == 504  # queued as is; no bridge here to send it
    detail = api.get(f"/ocpp/commands/{unvalidated.json()['command_id']}").json()
    assert detail["payload"] == {
        "action": "StatusNotification",
        "payload": {"connectorId": 1},
        "validate": False,
    }


def test_the_commands_list_filters_by_charger_status_and_type(api: Api) -> None:
    a = new_charger(api, "A")
    b = new_charger(api, "B")
    api.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": a}, "event": {}})
    api.post("/ocpp/commands/authorize-id-tag", json={"target": {"charger_id": a}, "event": {"id_tag": "T"}})
    api.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": b}, "event": {}})
    assert api.get("/ocpp/commands").json()["total"] == 3
    assert api.get("/ocpp/commands", params={"charger_id": a}).json()["total"] == 2
    assert api.get("/ocpp/commands", params={"event_type": "plug_connector"}).json()["total"] == 2
    assert api.get("/ocpp/commands", params={"status": "queued"}).json()["total"] == 3
    assert api.get("/ocpp/commands", params={"status": "completed"}).json()["total"] == 0
    newest_first = [c["event_type"] for c in api.get("/ocpp/commands").json()["data"]]
    assert newest_first == ["plug_connector", "authorize", "plug_connector"]
    assert api.get("/ocpp/commands", params={"status": "weird"}).status_code == 422
    # the filter takes the charger's OCPP identity as every route does
    assert api.get("/ocpp/commands", params={"charger_id": "A"}).json()["total"] == 2
    assert api.get("/ocpp/commands", params={"charger_id": "NO-SUCH"}).status_code == 404
