"""Chargers of a location over HTTP, on both backends: bulk create as a job, list, bulk update and delete."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import CSMS_URL, Api, new_charger, new_location

HEX_SUFFIX = re.compile(r"[0-9a-f]{12}")


def group(prefix: str, number: int, suffixes: list[str] | None = None, **template: object) -> dict[str, Any]:
    return {
        "template": {
            "brand_slug": "wallbox",
            "model_slug": "wallbox-pulsar-plus",
            "ws_url": CSMS_URL,
            "identity_prefix": prefix,
            **template,
        },
        "charger_ids": suffixes or [],
        "chargers_number": number,
    }


def provision(api: Api, location_id: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Create chargers in bulk and return the finished job."""
    accepted = api.post(f"/ocpp/locations/{location_id}/chargers", json=groups)
    assert accepted.status_code == 202, accepted.text
    job = api.get(accepted.json()["status_url"])
    assert job.status_code == 200, job.text
    return job.json()


def all_location_chargers(api: Api, location_id: str) -> list[dict[str, Any]]:
    chargers: list[dict[str, Any]] = []
    page = 1
    while True:
        body = api.get(f"/ocpp/locations/{location_id}/chargers", params={"page": page, "limit": 100}).json()
        chargers += body["data"]
        if len(chargers) >= body["total"] or not body["data"]:
            return chargers
        page += 1


def test_a_thousand_chargers_are_created_in_one_request(api: Api) -> None:
    location_id = new_location(api)
    accepted = api.post(f"/ocpp/locations/{location_id}/chargers", json=[group("WB-", 1000, ["A", "B", "C"])])
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == {"job_id", "status", "status_url", "workflow_run_id"}
    assert body["status"] == "PROVISIONING"  # until a bridge runs them: there is none here
    assert body["status_url"] == f"/ocpp/locations/{location_id}/chargers/jobs/{body['job_id']}"

    job = api.get(body["status_url"]).json()
    assert job["job_id"] == body["job_id"]
    assert job["workflow_run_id"] == body["workflow_run_id"]
    assert job["job_type"] == "bulk_create_chargers"
    assert job["status"] == "PROVISIONING"  # READY once a bridge runs every charger (none here)
    assert job["error"] is None
    assert job["provisioned_at"] is None
    assert job["progress"]["chargers_ready"] == 0
    assert job["progress"]["chargers_total"] == 1000
    created = job["results"]["created"]
    assert job["results"]["failed"] == []
    assert len(created) == 1000
    identities = [c["identity"] for c in created]
    assert identities[:3] == ["WB-A", "WB-B", "WB-C"]
    assert all(i.startswith("WB-") and HEX_SUFFIX.fullmatch(i[3:]) for i in identities[3:])
    assert len(set(identities)) == 1000

    listed = all_location_chargers(api, location_id)
    assert len(listed) == 1000
    assert {(c["id"], c["identity"]) for c in listed} == {(c["charger_id"], c["identity"]) for c in created}
    assert all(c["location_id"] == location_id and c["model"] == "Pulsar Plus" for c in listed)
    assert api.get("/ocpp/chargers", params={"location_id": location_id, "limit": 1}).json()["total"] == 1000


def test_the_largest_bulk_create_goes_through_in_one_transaction(api: Api) -> None:
    # 10,000 chargers are 20,000 events of tens of MB in one save: on PostgreSQL a pipelined save of
    # that size hung, client and server each waiting for the other.
    location_id = new_location(api)
    job = provision(api, location_id, [group("BIG-", 10_000)])
    assert job["status"] == "PROVISIONING"  # READY once a bridge runs every charger (none here)
    assert len(job["results"]["created"]) == 10_000
    listed = api.get("/ocpp/chargers", params={"location_id": location_id, "limit": 1}).json()
    assert listed["total"] == 10_000


def test_given_suffixes_are_truncated_to_chargers_number(api: Api) -> None:
    location_id = new_location(api)
    job = provision(api, location_id, [group("P-", 2, ["1", "2", "3", "4"])])
    assert [c["identity"] for c in job["results"]["created"]] == ["P-1", "P-2"]
    assert [c["identity"] for c in all_location_chargers(api, location_id)] == ["P-1", "P-2"]


def test_several_groups_are_created_with_their_own_templates(api: Api) -> None:
    location_id = new_location(api)
    job = provision(
        api,
        location_id,
        [
            group("AC-", 2, ["1", "2"], template_name="Wall"),
            group(
                "DC-",
                3,
                ["1"],
                brand_slug="kempower",
                model_slug="t-series-40",
                connector_type="CHAdeMO",
                ocpp_version="OCPP2.0.1",
            ),
        ],
    )
    assert len(job["results"]["created"]) == 5
    chargers = {c["identity"]: c for c in all_location_chargers(api, location_id)}
    assert len(chargers) == 5
    assert chargers["AC-1"]["name"] == "Wall 1"
    assert (chargers["AC-2"]["model_slug"], chargers["AC-2"]["ocpp_version"]) == (
        "wallbox-pulsar-plus",
        "OCPP1.6",
    )
    assert chargers["DC-1"]["name"] == "DC-1"  # no template name: the identity
    dc = [c for identity, c in chargers.items() if identity.startswith("DC-")]
    assert len(dc) == 3
    assert all(
        (c["model_slug"], c["connector_type"], c["ocpp_version"]) == ("t-series-40", "CHAdeMO", "OCPP2.0.1")
        for c in dc
    )


def test_identities_already_used_fail_in_the_job_and_the_rest_are_created(api: Api) -> None:
    location_id = new_location(api)
    existing = new_charger(api, "EX-1")  # in no location: identities are unique per tenant
    job = provision(
        api,
        location_id,
        [group("EX-", 3, ["1", "2", "3"]), group("EX-", 1, ["3"])],
    )
    assert job["status"] == "PROVISIONING"
    assert [c["identity"] for c in job["results"]["created"]] == ["EX-2", "EX-3"]
    failed = job["results"]["failed"]
    assert [(f["identity"], f["error"]["code"]) for f in failed] == [
        ("EX-1", "duplicate_identity"),
        ("EX-3", "duplicate_identity"),
    ]
    assert [c["identity"] for c in all_location_chargers(api, location_id)] == ["EX-2", "EX-3"]
    assert api.get("/ocpp/chargers/EX-1").json()["id"] == existing
    assert api.get("/ocpp/chargers/EX-1").json()["location_id"] is None


def test_a_job_where_every_charger_fails_is_failed(api: Api) -> None:
    location_id = new_location(api)
    new_charger(api, "DUP-1")
    accepted = api.post(f"/ocpp/locations/{location_id}/chargers", json=[group("DUP-", 1, ["1"])])
    assert accepted.status_code == 202
    assert accepted.json()["status"] == "FAILED"
    job = api.get(accepted.json()["status_url"]).json()
    assert job["status"] == "FAILED"
    assert job["error"]["code"] == "all_failed"
    assert job["results"]["created"] == []
    assert all_location_chargers(api, location_id) == []


def test_a_bulk_create_with_an_unknown_model_creates_nothing(api: Api) -> None:
    location_id = new_location(api)
    response = api.post(
        f"/ocpp/locations/{location_id}/chargers",
        json=[group("OK-", 2), group("BAD-", 1, model_slug="no-such-model")],
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "model_slug"
    assert all_location_chargers(api, location_id) == []
    assert api.get("/ocpp/chargers").json()["total"] == 0


def test_a_job_is_found_only_under_its_own_location(api: Api, other_api: Api) -> None:
    location_id = new_location(api, "Here")
    elsewhere = new_location(api, "Elsewhere")
    job = provision(api, location_id, [group("J-", 1)])
    assert api.get(f"/ocpp/locations/{location_id}/chargers/jobs/{job['job_id']}").status_code == 200
    moved = api.get(f"/ocpp/locations/{elsewhere}/chargers/jobs/{job['job_id']}")
    assert moved.status_code == 404
    assert moved.json()["code"] == "job_not_found"
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/ocpp/locations/{location_id}/chargers/jobs/{unknown}").status_code == 404
    assert other_api.get(f"/ocpp/locations/{location_id}/chargers/jobs/{job['job_id']}").status_code == 404


def test_another_tenants_location_takes_no_chargers(api: Api, other_api: Api) -> None:
    theirs = new_location(other_api)
    assert api.post(f"/ocpp/locations/{theirs}/chargers", json=[group("X-", 1)]).status_code == 404
    assert api.get(f"/ocpp/locations/{theirs}/chargers").status_code == 404
    assert all_location_chargers(other_api, theirs) == []


def test_the_list_narrows_to_repeated_charger_ids_given_as_ids_or_identities(api: Api) -> None:
    location_id = new_location(api)
    job = provision(api, location_id, [group("L-", 4, ["1", "2", "3", "4"])])
    ids = {c["identity"]: c["charger_id"] for c in job["results"]["created"]}
    outside = new_charger(api, "OUT-1")
    response = api.get(
        f"/ocpp/locations/{location_id}/chargers",
        params=[("charger_ids", ids["L-1"]), ("charger_ids", "L-3"), ("charger_ids", outside)],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert [c["id"] for c in body["data"]] == [ids["L-1"], ids["L-3"]]


def test_a_bulk_update_changes_the_named_chargers_and_reports_the_rest(api: Api) -> None:
    location_id = new_location(api)
    job = provision(api, location_id, [group("U-", 3, ["1", "2", "3"])])
    ids = {c["identity"]: c["charger_id"] for c in job["results"]["created"]}
    response = api.put(
        f"/ocpp/locations/{location_id}/chargers",
        json={
            "chargers": [
                {"charger_id": c, "ws_url": "wss://other.example/ocpp", "ocpp_version": "OCPP2.0.1"}
                for c in (ids["U-1"], "U-2", "U-9")
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(c["id"] for c in body["updated"]) == sorted([ids["U-1"], ids["U-2"]])
    assert (body["updated_count"], body["failed_count"]) == (2, 1)
    assert body["failed"] == [{"charger_id": "U-9", "error": "U-9 is not a charger of this location"}]
    chargers = {c["identity"]: c for c in all_location_chargers(api, location_id)}
    for identity in ("U-1", "U-2"):
        assert (chargers[identity]["ws_url"], chargers[identity]["ocpp_version"]) == (
            "wss://other.example/ocpp",
            "OCPP2.0.1",
        )
    assert (chargers["U-3"]["ws_url"], chargers["U-3"]["ocpp_version"]) == (CSMS_URL, "OCPP1.6")


def test_a_bulk_update_that_one_charger_refuses_changes_none(api: Api) -> None:
    location_id = new_location(api)
    ac = new_charger(api, "AC-1", location_id, brand="wallbox", model="wallbox-pulsar-plus")  # Type2
    dc = new_charger(api, "DC-1", location_id, brand="kempower", model="t-series-40")  # CCS2, CHAdeMO
    response = api.put(
        f"/ocpp/locations/{location_id}/chargers",
        json={
            "chargers": [
                {"charger_id": c, "connector_type": "CHAdeMO", "charge_point_name": "Renamed"}
                for c in (ac, dc)
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "chargers", 0, "connector_type"]
    names = {c["identity"]: c["name"] for c in all_location_chargers(api, location_id)}
    assert names == {"AC-1": "AC-1", "DC-1": "DC-1"}


def test_a_bulk_update_can_move_chargers_to_another_location(api: Api) -> None:
    origin = new_location(api, "Origin")
    target = new_location(api, "Target")
    job = provision(api, origin, [group("M-", 3, ["1", "2", "3"])])
    ids = {c["identity"]: c["charger_id"] for c in job["results"]["created"]}
    response = api.put(
        f"/ocpp/locations/{origin}/chargers",
        json={"chargers": [{"charger_id": c, "location_id": target} for c in ("M-1", "M-2")]},
    )
    assert response.status_code == 200, response.text
    updated = response.json()["updated"]
    assert sorted(c["id"] for c in updated) == sorted([ids["M-1"], ids["M-2"]])
    assert {c["location_id"] for c in updated} == {target}
    assert [c["identity"] for c in all_location_chargers(api, origin)] == ["M-3"]
    assert sorted(c["identity"] for c in all_location_chargers(api, target)) == ["M-1", "M-2"]


def test_a_bulk_delete_removes_the_named_chargers(api: Api) -> None:
    location_id = new_location(api)
    job = provision(api, location_id, [group("D-", 4, ["1", "2", "3", "4"])])
    ids = {c["identity"]: c["charger_id"] for c in job["results"]["created"]}
    response = api.delete(
        f"/ocpp/locations/{location_id}/chargers",
        params=[("charger_ids", ids["D-1"]), ("charger_ids", "D-2"), ("charger_ids", "D-9")],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body["deleted"]) == sorted([ids["D-1"], ids["D-2"]])
    assert (body["deleted_count"], body["failed_count"]) == (2, 1)
    assert body["failed"] == [{"charger_id": "D-9", "error": "D-9 is not a charger of this location"}]
    assert api.get(f"/ocpp/chargers/{ids['D-1']}").status_code == 404
    assert api.get("/ocpp/chargers/D-2").status_code == 404
    assert [c["identity"] for c in all_location_chargers(api, location_id)] == ["D-3", "D-4"]
    assert api.get("/ocpp/chargers").json()["total"] == 2
    # The deleted identities are free again.
    again = provision(api, location_id, [group("D-", 2, ["1", "2"])])
    assert [c["identity"] for c in again["results"]["created"]] == ["D-1", "D-2"]


def test_a_bulk_delete_without_charger_ids_deletes_every_charger_of_the_location(api: Api) -> None:
    """As OCPPLAB's SDK example calls it: `location_chargers.delete(location_id=...)`."""
    location_id = new_location(api)
    other = new_location(api, "Other")
    gone = [new_charger(api, f"GONE-{n}", location_id) for n in (1, 2)]
    kept = new_charger(api, "KEEP-1", other)
    response = api.delete(f"/ocpp/locations/{location_id}/chargers")
    assert response.status_code == 200, response.text
    assert sorted(response.json()["deleted"]) == sorted(gone)
    assert all_location_chargers(api, location_id) == []
    assert [c["id"] for c in all_location_chargers(api, other)] == [kept]


def test_a_bulk_delete_leaves_chargers_of_other_locations_alone(api: Api) -> None:
    here = new_location(api, "Here")
    there = new_location(api, "There")
    theirs = new_charger(api, "THERE-1", there)
    response = api.delete(f"/ocpp/locations/{here}/chargers", params={"charger_ids": [theirs, "THERE-1"]})
    assert response.status_code == 200
    assert response.json() == {
        "deleted_count": 0,
        "failed_count": 2,
        "deleted": [],
        "failed": [
            {"charger_id": c, "error": f"{c} is not a charger of this location"} for c in (theirs, "THERE-1")
        ],
    }
    assert api.get(f"/ocpp/chargers/{theirs}").status_code == 200


def test_every_location_template_is_a_bulk_create_once_ws_url_is_added(api: Api) -> None:
    templates = api.get("/ocpp/templates/locations").json()
    assert templates["total"] == len(templates["data"]) >= 5
    for template in templates["data"]:
        location_id = new_location(api, template["name"])
        groups = [{**g, "template": {**g["template"], "ws_url": CSMS_URL}} for g in template["groups"]]
        for g in groups:
            del g["nominal_kw"]  # what the template says about the group, not part of a bulk create
        job = provision(api, location_id, groups)
        assert len(job["results"]["created"]) == template["chargers"], template["slug"]
        chargers = all_location_chargers(api, location_id)
        assert sum(c["number_of_connectors"] for c in chargers) == template["connectors"]
        assert {c["ocpp_version"] for c in chargers} == (
            {"OCPP1.6", "OCPP2.0.1"} if template["ocpp_version"] == "mixed" else {template["ocpp_version"]}
        )


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ({"type": "AC"}, {"ac-depot", "residential-garage"}),
        ({"type": "DC"}, {"dc-corridor"}),
        ({"type": "AC-DC"}, {"mixed-retail", "urban-hub"}),
        ({"ocpp_version": "OCPP1.6"}, {"ac-depot", "dc-corridor", "mixed-retail"}),
        ({"type": "AC", "ocpp_version": "OCPP2.0.1"}, {"residential-garage"}),
    ],
)
def test_location_templates_filter_by_power_family_and_version(
    api: Api, query: dict[str, str], slugs: set[str]
) -> None:
    """Mixed-version templates match every version."""
    response = api.get("/ocpp/templates/locations", params=query)
    assert response.status_code == 200, response.text
    assert {t["slug"] for t in response.json()["data"]} == slugs
