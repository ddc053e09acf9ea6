"""Idempotency-Key: a repeated POST gets the original answer and changes nothing more."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from gateway.context import Context
from tests.conftest import Api, new_charger
from tests.integration.test_commands_api import stored_command_events


def test_the_same_key_twice_queues_one_command_and_answers_the_same(api: Api, context: Context) -> None:
    charger_id = new_charger(api, "CP-1")
    request = {"target": {"charger_id": charger_id}, "event": {"connector_id": 1}}
    first = api.post("/ocpp/commands/plug-connector", json=request, headers={"Idempotency-Key": "k-1"})
    second = api.post("/ocpp/commands/plug-connector", json=request, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(stored_command_events(context)) == 1
    assert api.get("/ocpp/commands").json()["total"] == 1


def test_a_key_reused_for_a_different_request_is_a_conflict(api: Api, context: Context) -> None:
    charger_id = new_charger(api, "CP-1")
    target = {"charger_id": charger_id}
    api.post(
        "/ocpp/commands/plug-connector",
        json={"target": target, "event": {}},
        headers={"Idempotency-Key": "k"},
    )
    reused = api.post(
        "/ocpp/commands/plug-connector",
        json={"target": target, "event": {"connector_id": 2}},
        headers={"Idempotency-Key": "k"},
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert len(stored_command_events(context)) == 1


def test_keys_are_per_tenant(api: Api, other_api: Api) -> None:
    first = api.post("/ocpp/locations", json={"name": "A"}, headers={"Idempotency-Key": "same"})
    second = other_api.post("/ocpp/locations", json={"name": "A"}, headers={"Idempotency-Key": "same"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_a_repeated_charger_creation_is_not_a_duplicate_identity(api: Api) -> None:
    body = {"identity": "CP-7", "brand_slug": "abb", "model_slug": "terra-184", "ws_url": "ws://h/ocpp"}
    first = api.post("/ocpp/chargers", json=body, headers={"Idempotency-Key": "create-7"})
    second = api.post("/ocpp/chargers", json=body, headers={"Idempotency-Key": "create-7"})
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert api.post("/ocpp/chargers", json=body).status_code == 409


def test_concurrent_requests_with_one_key_queue_one_command(
    client: TestClient, api: Api, context: Context
) -> None:
    charger_id = new_charger(api, "CP-1")
    request = {"target": {"charger_id": charger_id}, "event": {}}
    answers: list[dict[str, object]] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        response = api.post(
            "/ocpp/commands/plug-connector", json=request, headers={"Idempotency-Key": "race"}
        )
        assert response.status_code == 202, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 8
    assert all(a == answers[0] for a in answers)
    assert len(stored_command_events(context)) == 1
