"""Locations over HTTP, on both backends."""

from __future__ import annotations

from tests.conftest import Api, new_charger, new_location


def test_a_created_location_is_listed_and_read_back(api: Api) -> None:
    created = api.post(
        "/ocpp/locations",
        json={
            "name": "Depot Nord",
            "address": "1 rue de la Paix",
            "city": "Paris",
            "country": "FR",
            "coordinates": {"latitude": 48.87, "longitude": 2.33},
            "timezone": "Europe/Paris",
            "owner_name": "ACME",
            "public": True,
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["slug"] == "depot-nord"
    assert body["status"] == "active"
    assert body["coordinates"] == {"latitude": 48.87, "longitude": 2.33}

    listed = api.get("/ocpp/locations").json()
    assert listed["total"] == 1
    assert listed["data"] == [body]
    assert api.get(f"/ocpp/locations/{body['id']}").json() == body


def test_put_is_partial_and_null_clears_an_optional_field(api: Api) -> None:
    location_id = api.post("/ocpp/locations", json={"name": "A", "city": "Lyon", "country": "FR"}).json()[
        "id"
    ]
    updated = api.put(f"/ocpp/locations/{location_id}", json={"name": "B", "city": None})
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["city"], updated.json()["country"]) == ("B", None, "FR")
    assert api.get(f"/ocpp/locations/{location_id}").json()["name"] == "B"


def test_pagination_pages_through_every_location_once(api: Api) -> None:
    ids = {new_location(api, f"L{i}") for i in range(7)}
    seen: list[str] = []
    for page in (1, 2, 3):
        body = api.get("/ocpp/locations", params={"page": page, "limit": 3}).json()
        assert body["total"] == 7 and body["page"] == page and body["limit"] == 3
        seen += [loc["id"] for loc in body["data"]]
    assert sorted(seen) == sorted(ids)


def test_deleting_a_location_with_chargers_needs_cascade(api: Api) -> None:
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)
    refused = api.delete(f"/ocpp/locations/{location_id}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "location_has_chargers"
    deleted = api.delete(f"/ocpp/locations/{location_id}", params={"cascade": "true"})
    assert deleted.status_code == 200
    assert deleted.json()["deleted_chargers"] == [charger_id]
    assert api.get(f"/ocpp/locations/{location_id}").status_code == 404
    assert api.get(f"/ocpp/chargers/{charger_id}").status_code == 404


def test_an_empty_location_is_deleted_and_gone(api: Api) -> None:
    location_id = new_location(api)
    assert api.delete(f"/ocpp/locations/{location_id}").status_code == 200
    assert api.get(f"/ocpp/locations/{location_id}").status_code == 404
    assert api.delete(f"/ocpp/locations/{location_id}").status_code == 404
    assert api.get("/ocpp/locations").json()["total"] == 0
