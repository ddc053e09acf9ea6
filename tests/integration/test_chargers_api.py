"""Chargers over HTTP, on both backends: create, read, list, update, move, delete, runtime routes."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

from fastapi.testclient import TestClient

from tests.conftest import CSMS_URL, Api, new_charger, new_location


def charger_body(identity: str, **overrides: object) -> dict[str, object]:
    return {
        "identity": identity,
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": CSMS_URL,
        "ocpp_version": "OCPP1.6",
        **overrides,
    }


def location_charger_ids(api: Api, location_id: str) -> list[str]:
    response = api.get(f"/ocpp/locations/{location_id}/chargers")
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


# --- create and read ------------------------------------------------------------------------------


def test_create_answers_202_with_the_provisioning_workflow(api: Api) -> None:
    response = api.post("/ocpp/chargers", json=charger_body("CP-1"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"charger_id", "identity", "status", "status_url", "workflow_run_id"}
    assert body["identity"] == "CP-1"
    assert body["status"] == "PROVISIONING"
    assert body["status_url"] == f"/ocpp/chargers/{body['charger_id']}/status"
    uuid.UUID(body["charger_id"])
    uuid.UUID(body["workflow_run_id"])


def test_a_created_charger_is_read_back_with_its_catalog_facts(api: Api) -> None:
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)
    response = api.get(f"/ocpp/chargers/{charger_id}")
    assert response.status_code == 200, response.text
    charger = response.json()
    assert charger["id"] == charger_id
    assert charger["identity"] == "CP-1"
    assert charger["name"] == "CP-1"  # the name defaults to the identity
    assert (charger["vendor_name"], charger["model"]) == ("ABB", "Terra 184")
    assert (charger["brand_slug"], charger["model_slug"]) == ("abb", "terra-184")
    assert charger["ocpp_version"] == "OCPP1.6"
    assert charger["number_of_connectors"] == 2
    assert charger["max_charging_power"] == 180_000
    assert charger["connector_type"] == "CCS2"
    assert charger["ws_url"] == CSMS_URL
    assert charger["location_id"] == location_id
    assert charger["runtime"]["state"] == "provisioning"
    assert [c["connector_id"] for c in charger["connectors"]] == [1, 2]


def test_a_charger_is_found_by_its_ocpp_identity_as_well_as_its_id(api: Api) -> None:
    charger_id = new_charger(api, "CP-ID-7")
    by_id = api.get(f"/ocpp/chargers/{charger_id}")
    by_identity = api.get("/ocpp/chargers/CP-ID-7")
    assert by_identity.status_code == 200
    assert by_identity.json() == by_id.json()
    assert api.get("/ocpp/chargers/CP-ID-8").status_code == 404


def test_create_with_a_location_name_creates_that_location(api: Api) -> None:
    response = api.post("/ocpp/chargers", json=charger_body("CP-1", location_name="Depot Sud"))
    assert response.status_code == 202, response.text
    charger_id = response.json()["charger_id"]
    location_id = api.get(f"/ocpp/chargers/{charger_id}").json()["location_id"]
    assert location_id is not None
    location = api.get(f"/ocpp/locations/{location_id}").json()
    assert (location["name"], location["slug"]) == ("Depot Sud", "depot-sud")
    assert api.get("/ocpp/locations").json()["total"] == 1
    assert location_charger_ids(api, location_id) == [charger_id]


def test_the_status_route_reports_the_provisioning_workflow(api: Api) -> None:
    accepted = api.post("/ocpp/chargers", json=charger_body("CP-1")).json()
    response = api.get(accepted["status_url"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "charger_id": accepted["charger_id"],
        "status": "PROVISIONING",
        "workflow_run_id": accepted["workflow_run_id"],
        "error": None,
        "progress": {
            "current_step": "waiting for a bridge to run the charger",
            "chargers_ready": None,
            "chargers_total": None,
        },
        "provisioned_at": None,
    }


def test_a_charger_of_another_tenant_is_not_found(api: Api, other_api: Api) -> None:
    charger_id = new_charger(api, "CP-1")
    assert other_api.get(f"/ocpp/chargers/{charger_id}").status_code == 404
    assert other_api.get("/ocpp/chargers/CP-1").status_code == 404
    assert other_api.put(f"/ocpp/chargers/{charger_id}", json={"charge_point_name": "x"}).status_code == 404
    assert other_api.delete(f"/ocpp/chargers/{charger_id}").status_code == 404
    assert other_api.get("/ocpp/chargers").json()["total"] == 0
    assert api.get(f"/ocpp/chargers/{charger_id}").json()["name"] == "CP-1"


def test_creating_in_another_tenants_location_is_not_found_and_claims_nothing(
    api: Api, other_api: Api
) -> None:
    theirs = new_location(other_api, "Theirs")
    refused = api.post("/ocpp/chargers", json=charger_body("CP-1", location_id=theirs))
    assert refused.status_code == 404
    assert refused.json()["code"] == "location_not_found"
    assert api.get("/ocpp/chargers").json()["total"] == 0
    assert new_charger(api, "CP-1")  # the identity was not taken by the refused request


# --- list -----------------------------------------------------------------------------------------


def test_the_list_filters_by_location_and_pages_through_every_charger_once(api: Api) -> None:
    depot = new_location(api, "Depot")
    other = new_location(api, "Other")
    in_depot = {new_charger(api, f"D-{i}", depot) for i in range(5)}
    new_charger(api, "O-1", other)
    new_charger(api, "NOWHERE-1")

    seen: list[str] = []
    for page in (1, 2, 3):
        body = api.get("/ocpp/chargers", params={"location_id": depot, "page": page, "limit": 2}).json()
        assert (body["total"], body["page"], body["limit"]) == (5, page, 2)
        assert all(c["location_id"] == depot for c in body["data"])
        seen += [c["id"] for c in body["data"]]
    assert len(seen) == 5
    assert set(seen) == in_depot
    assert (
        api.get("/ocpp/chargers", params={"location_id": depot, "page": 4, "limit": 2}).json()["data"] == []
    )
    assert api.get("/ocpp/chargers").json()["total"] == 7


def test_list_paging_parameters_are_bounded(api: Api) -> None:
    assert api.get("/ocpp/chargers", params={"limit": 101}).status_code == 422
    assert api.get("/ocpp/chargers", params={"page": 0}).status_code == 422
    assert api.get("/ocpp/chargers", params={"location_id": "not-a-uuid"}).status_code == 422


# --- update and move ------------------------------------------------------------------------------


def test_put_changes_only_the_fields_given(api: Api) -> None:
    charger_id = new_charger(api, "CP-1", brand="kempower", model="t-series-40")
    before = api.get(f"/ocpp/chargers/{charger_id}").json()
    assert before["connector_type"] == "CCS2"

    renamed = api.put(f"/ocpp/chargers/{charger_id}", json={"charge_point_name": "Bay 1"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Bay 1"
    assert renamed.json()["ws_url"] == before["ws_url"]

    changed = api.put(
        f"/ocpp/chargers/{charger_id}",
        json={"ws_url": "wss://csms.example/ocpp", "ocpp_version": "OCPP2.0.1", "connector_type": "CHAdeMO"},
    ).json()
    assert changed["name"] == "Bay 1"
    assert changed["ws_url"] == "wss://csms.example/ocpp"
    assert changed["ocpp_version"] == "OCPP2.0.1"
    assert changed["connector_type"] == "CHAdeMO"
    assert changed["identity"] == before["identity"]
    assert changed["created_at"] == before["created_at"]
    assert datetime.fromisoformat(changed["updated_at"]) > datetime.fromisoformat(before["updated_at"])
    assert api.get(f"/ocpp/chargers/{charger_id}").json() == changed


def test_put_refuses_a_connector_type_the_model_does_not_offer(api: Api) -> None:
    charger_id = new_charger(api, "CP-1")  # abb/terra-184 offers CCS2 only
    response = api.put(f"/ocpp/chargers/{charger_id}", json={"connector_type": "Type2"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "connector_type"]
    assert api.get(f"/ocpp/chargers/{charger_id}").json()["connector_type"] == "CCS2"


def test_moving_a_charger_updates_both_locations(api: Api) -> None:
    first = new_location(api, "First")
    second = new_location(api, "Second")
    charger_id = new_charger(api, "CP-1", first)

    moved = api.put(f"/ocpp/chargers/{charger_id}", json={"location_id": second})
    assert moved.status_code == 200, moved.text
    assert moved.json()["location_id"] == second
    assert location_charger_ids(api, first) == []
    assert location_charger_ids(api, second) == [charger_id]
    assert api.get("/ocpp/chargers", params={"location_id": second}).json()["total"] == 1
    # The first location no longer counts the charger: it can be deleted without cascade.
    assert api.delete(f"/ocpp/locations/{first}").status_code == 200
    assert api.delete(f"/ocpp/locations/{second}").status_code == 409


def test_a_null_location_id_moves_the_charger_out_of_its_location(api: Api) -> None:
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)
    response = api.put(f"/ocpp/chargers/{charger_id}", json={"location_id": None})
    assert response.status_code == 200, response.text
    assert response.json()["location_id"] is None
    assert api.get(f"/ocpp/chargers/{charger_id}").json()["location_id"] is None
    assert location_charger_ids(api, location_id) == []
    assert api.delete(f"/ocpp/locations/{location_id}").status_code == 200
    assert api.get(f"/ocpp/chargers/{charger_id}").status_code == 200


def test_moving_into_another_tenants_location_is_not_found(api: Api, other_api: Api) -> None:
    theirs = new_location(other_api, "Theirs")
    charger_id = new_charger(api, "CP-1")
    response = api.put(f"/ocpp/chargers/{charger_id}", json={"location_id": theirs})
    assert response.status_code == 404
    assert api.get(f"/ocpp/chargers/{charger_id}").json()["location_id"] is None
    assert location_charger_ids(other_api, theirs) == []


# --- delete and identities ------------------------------------------------------------------------


def test_a_deleted_charger_is_gone(api: Api) -> None:
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)
    deleted = api.delete(f"/ocpp/chargers/{charger_id}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"id": charger_id, "deleted": True}
    assert api.get(f"/ocpp/chargers/{charger_id}").status_code == 404
    assert api.get("/ocpp/chargers/CP-1").status_code == 404
    assert api.get(f"/ocpp/chargers/{charger_id}/status").status_code == 404
    assert api.delete(f"/ocpp/chargers/{charger_id}").status_code == 404
    assert api.get("/ocpp/chargers").json()["total"] == 0
    assert location_charger_ids(api, location_id) == []
    assert api.delete(f"/ocpp/locations/{location_id}").status_code == 200


def test_an_identity_is_unique_within_a_tenant(api: Api) -> None:
    new_charger(api, "CP-1")
    duplicate = api.post("/ocpp/chargers", json=charger_body("CP-1", model_slug="terra-184"))
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_identity"
    assert api.get("/ocpp/chargers").json()["total"] == 1


def test_the_same_identity_may_be_used_in_another_tenant(api: Api, other_api: Api) -> None:
    ours = new_charger(api, "CP-1")
    theirs = new_charger(other_api, "CP-1")
    assert ours != theirs
    assert api.get("/ocpp/chargers/CP-1").json()["id"] == ours
    assert other_api.get("/ocpp/chargers/CP-1").json()["id"] == theirs


def test_an_identity_is_free_again_once_its_charger_is_deleted(api: Api) -> None:
    first = new_charger(api, "CP-1")
    assert api.delete(f"/ocpp/chargers/{first}").status_code == 200
    second = new_charger(api, "CP-1")
    assert second != first
    assert api.get("/ocpp/chargers/CP-1").json()["id"] == second
    assert api.post("/ocpp/chargers", json=charger_body("CP-1")).status_code == 409


def test_concurrent_creates_of_one_identity_accept_exactly_one(client: TestClient, api: Api) -> None:
    start = threading.Barrier(8)
    answers: list[tuple[int, dict[str, object]]] = []
    lock = threading.Lock()

    def create() -> None:
        start.wait()
        response = api.post("/ocpp/chargers", json=charger_body("RACE-1"))
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] + [409] * 7, answers
    assert all(body["code"] == "duplicate_identity" for status, body in answers if status == 409)
    [winner] = [body for status, body in answers if status == 202]
    listed = api.get("/ocpp/chargers").json()
    assert listed["total"] == 1
    assert listed["data"][0]["id"] == winner["charger_id"]


# --- runtime routes -------------------------------------------------------------------------------


def test_runtime_routes_queue_commands_in_the_chargers_ocpp_version(api: Api) -> None:
    charger_id = new_charger(api, "CP-201", ocpp_version="OCPP2.0.1")
    issued = []
    for route, event_type in (
        ("start-charger", "start_charger"),
        ("stop-charger", "stop_charger"),
        ("restart-charger", "restart_charger"),
    ):
        response = api.post(f"/ocpp/chargers/{charger_id}/{route}")
        assert response.status_code == 200, response.text
        command = response.json()
        assert set(command) == {"id", "event_type", "ocpp_version", "payload"}
        assert command["event_type"] == event_type
        assert command["ocpp_version"] == "ocpp2.0.1"
        issued.append(command)

    listed = api.get("/ocpp/commands", params={"charger_id": charger_id}).json()
    assert listed["total"] == 3
    newest_first = listed["data"]
    assert [c["id"] for c in newest_first] == [c["id"] for c in reversed(issued)]
    assert [c["event_type"] for c in newest_first] == ["restart_charger", "stop_charger", "start_charger"]
    assert all(c["ocpp_version"] == "ocpp2.0.1" and c["status"] == "queued" for c in newest_first)
    assert all(c["charger_id"] == charger_id and c["identity"] == "CP-201" for c in newest_first)


def test_runtime_routes_accept_the_identity_and_refuse_unknown_chargers(api: Api) -> None:
    new_charger(api, "CP-16")
    response = api.post("/ocpp/chargers/CP-16/stop-charger")
    assert response.status_code == 200
    assert response.json()["ocpp_version"] == "ocpp1.6"
    assert api.post("/ocpp/chargers/CP-17/stop-charger").status_code == 404
    assert api.get("/ocpp/commands").json()["total"] == 1


def test_put_with_location_name_moves_the_charger_to_a_new_location_of_that_name(api: Api) -> None:
    """OCPPLAB's ChargerUpdate fields: `name` renames as `charge_point_name` does; `location_name` without
    `location_id` makes a location for the charger, as on create."""
    charger_id = new_charger(api, "CP-1", new_location(api, "Old"))
    response = api.put(f"/ocpp/chargers/{charger_id}", json={"name": "Bay 7", "location_name": "Annex"})
    assert response.status_code == 200, response.text
    charger = response.json()
    assert charger["name"] == "Bay 7"
    [annex] = [loc for loc in api.get("/ocpp/locations").json()["data"] if loc["name"] == "Annex"]
    assert charger["location_id"] == annex["id"]
