"""Who may call what: bearer tokens, admin tokens choosing a tenant, and tenant isolation on every
tenant-scoped route, on both backends.

Isolation means another tenant's ids answer 404 (never 403: existence is not leaked) and the refused
request writes nothing: the number of stored events is unchanged and the owner sees its resources as
they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.ids import token_id
from domain.tokens import ApiToken, Role, hash_secret
from gateway.context import Context
from tests.conftest import CSMS_URL, Api, issue_token, new_charger, new_location
from tests.integration.test_commands_api import FLEET_BODIES

UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"

# One route of each router, with a body that would be valid, so only authentication can refuse it.
AUTHENTICATED_ROUTES = [
    ("GET", "/ocpp/locations", None),
    ("POST", "/ocpp/locations", {"name": "Depot"}),
    ("GET", f"/ocpp/locations/{UNKNOWN_ID}/chargers", None),
    ("GET", "/ocpp/chargers", None),
    ("GET", f"/ocpp/chargers/{UNKNOWN_ID}/status", None),
    ("POST", "/ocpp/commands/plug-connector", {"target": {"charger_id": "CP-1"}, "event": {}}),
    ("GET", "/ocpp/commands", None),
    ("GET", "/ocpp/catalog/brands", None),
]
TENANT_SCOPED_ROUTES = [route for route in AUTHENTICATED_ROUTES if "/catalog/" not in route[1]]
CATALOG_ROUTES = [
    "/ocpp/catalog/brands",
    "/ocpp/catalog/brands/abb/models",
    "/ocpp/catalog/brands/abb/models/terra-184",
]

SINGLE_CHARGER_BODIES: dict[str, dict[str, Any]] = {
    "proxy-message": {"action": "Heartbeat", "payload": {}},
    "configuration": {"configuration": {"HeartbeatInterval": "30"}},
    "cache/reset": {},
    "local-auth-list": {"list_version": 1, "update_type": "Full", "entries": [{"id_tag": "TAG-1"}]},
    "clear-local-auth-list": {},
    "inject-fault": {"connector_id": 1, "fault_type": "GroundFailure"},
    "clear-fault": {"connector_id": 1},
}


def stored_events(context: Context) -> int:
    return context.ledger.recorder.max_notification_id() or 0


# --- authentication -------------------------------------------------------------------------------
#
# Tables of routes run in one test each (one app, one database), collecting every route that answers
# wrongly, so a failure lists all of them.


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(
    client: TestClient, context: Context
) -> None:
    before = stored_events(context)
    wrong = []
    for method, path, body in AUTHENTICATED_ROUTES:
        response = client.request(method, path, json=body)
        challenge = response.headers.get("WWW-Authenticate")
        if (response.status_code, challenge, response.json().get("code")) != (401, "Bearer", "unauthorized"):
            wrong.append((method, path, response.status_code, challenge))
    assert wrong == []
    assert stored_events(context) == before


INVALID_AUTHORIZATIONS = {
    "unissued": "Bearer olt_" + "A" * 43,  # well-formed, never issued
    "garbage": "Bearer not-a-token",
    "basic-scheme": "Basic dXNlcjpwYXNz",
    "no-scheme": "olt_" + "A" * 43,
    "empty": "Bearer",
}


def test_an_invalid_token_is_401_with_a_bearer_challenge(client: TestClient, context: Context) -> None:
    before = stored_events(context)
    wrong = []
    for name, authorization in INVALID_AUTHORIZATIONS.items():
        response = client.post(
            "/ocpp/locations", json={"name": "Depot"}, headers={"Authorization": authorization}
        )
        challenge = response.headers.get("WWW-Authenticate")
        if (response.status_code, challenge) != (401, "Bearer"):
            wrong.append((name, response.status_code, challenge))
    assert wrong == []
    assert stored_events(context) == before


def test_a_revoked_token_is_401_and_other_tokens_keep_working(
    client: TestClient, context: Context, api: Api
) -> None:
    secret = issue_token(context, "acme")
    doomed = Api(client, secret)
    assert doomed.get("/ocpp/locations").status_code == 200  # the check is now cached for 5 s

    token = context.ledger.load_fresh(ApiToken, token_id(hash_secret(secret)))
    assert token is not None
    token.revoke()
    context.ledger.save(token)
    # The gateway caches token checks for 5 s (context.tokens, a TokenCache) so that a burst of requests
    # costs one read; a revocation takes effect when the entry expires. Rather than sleep out the TTL,
    # empty the cache: the next request then checks the token against the ledger, as it would 5 s later.
    context.tokens._entries.clear()

    before = stored_events(context)
    refused = doomed.post("/ocpp/locations", json={"name": "Depot"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["detail"] == "invalid or revoked token"
    assert stored_events(context) == before
    assert api.get("/ocpp/locations").status_code == 200


# --- admin tokens and X-Organization-Id -----------------------------------------------------------


@pytest.fixture
def admin_token(context: Context) -> str:
    return issue_token(context, None, Role.ADMIN)


def test_an_admin_token_without_x_organization_id_is_403_on_tenant_scoped_routes(
    client: TestClient, context: Context, admin_token: str
) -> None:
    admin = Api(client, admin_token)
    before = stored_events(context)
    wrong = []
    for method, path, body in TENANT_SCOPED_ROUTES:
        response = admin.request(method, path, json=body)
        if (response.status_code, response.json().get("code")) != (403, "forbidden"):
            wrong.append((method, path, response.status_code))
    assert wrong == []
    assert stored_events(context) == before


def test_an_admin_token_with_a_malformed_x_organization_id_is_403(
    client: TestClient, context: Context, admin_token: str
) -> None:
    before = stored_events(context)
    for organization in ["", "../acme", "a" * 64, "acme corp"]:
        response = Api(client, admin_token, organization).post("/ocpp/locations", json={"name": "Depot"})
        assert response.status_code == 403, organization
    assert stored_events(context) == before


def test_an_admin_token_sees_exactly_the_chosen_tenants_data(
    client: TestClient, api: Api, other_api: Api, admin_token: str
) -> None:
    acme_location = new_location(api, "Acme depot")
    acme_charger = new_charger(api, "ACME-1", acme_location)
    api.post("/ocpp/commands/plug-connector", json={"target": {"charger_id": acme_charger}, "event": {}})
    globex_location = new_location(other_api, "Globex depot")
    globex_charger = new_charger(other_api, "GLOBEX-1", globex_location)
    as_acme = Api(client, admin_token, "acme")
    as_globex = Api(client, admin_token, "globex")

    assert [loc["id"] for loc in as_acme.get("/ocpp/locations").json()["data"]] == [acme_location]
    assert [ch["id"] for ch in as_acme.get("/ocpp/chargers").json()["data"]] == [acme_charger]
    assert [c["charger_id"] for c in as_acme.get("/ocpp/commands").json()["data"]] == [acme_charger]
    assert [ch["id"] for ch in as_globex.get("/ocpp/chargers").json()["data"]] == [globex_charger]
    assert as_globex.get("/ocpp/commands").json()["total"] == 0
    assert as_acme.get(f"/ocpp/chargers/{acme_charger}").status_code == 200
    assert as_globex.get(f"/ocpp/chargers/{acme_charger}").status_code == 404
    assert as_globex.get(f"/ocpp/locations/{acme_location}").status_code == 404

    created = as_acme.post("/ocpp/locations", json={"name": "Made by admin"})
    assert created.status_code == 201
    assert created.json()["id"] in {loc["id"] for loc in api.get("/ocpp/locations").json()["data"]}
    assert other_api.get(f"/ocpp/locations/{created.json()['id']}").status_code == 404


def test_a_user_token_that_sends_x_organization_id_is_403(
    client: TestClient, context: Context, api: Api
) -> None:
    location_id = new_location(api)
    before = stored_events(context)
    for organization in ["acme", "globex"]:  # even its own organization
        headers = {"X-Organization-Id": organization}
        assert api.get(f"/ocpp/locations/{location_id}", headers=headers).status_code == 403
        refused = api.post("/ocpp/locations", json={"name": "Depot"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "forbidden"
    assert stored_events(context) == before


def test_catalog_routes_need_a_token_but_no_tenant(client: TestClient, api: Api, admin_token: str) -> None:
    admin_without_tenant = Api(client, admin_token)
    for path in CATALOG_ROUTES:
        assert client.get(path).status_code == 401, path
        as_user = api.get(path)
        as_admin = admin_without_tenant.get(path)
        assert as_user.status_code == as_admin.status_code == 200, path
        assert as_user.json() == as_admin.json()


# --- tenant isolation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    """What tenant 'acme' owns: a location holding a charger created by a bulk job, and a command."""

    location_id: str
    job_id: str
    charger_id: str
    identity: str
    command_id: str


@dataclass(frozen=True)
class Intruder:
    """Another tenant, with a location and a charger of its own."""

    api: Api
    location_id: str
    charger_id: str


@pytest.fixture
def owned(api: Api) -> Owned:
    location_id = new_location(api, "Acme depot")
    group = {
        "template": {
            "brand_slug": "abb",
            "model_slug": "terra-184",
            "ws_url": CSMS_URL,
            "identity_prefix": "ACME-",
        },
        "charger_ids": ["1"],
        "chargers_number": 1,
    }
    job = api.post(f"/ocpp/locations/{location_id}/chargers", json=[group])
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    [created] = api.get(f"/ocpp/locations/{location_id}/chargers/jobs/{job_id}").json()["results"]["created"]
    command = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"charger_id": created["charger_id"]}, "event": {}}
    )
    assert command.status_code == 202, command.text
    owned = Owned(
        location_id=location_id,
        job_id=job_id,
        charger_id=created["charger_id"],
        identity=created["identity"],
        command_id=command.json()["results"][0]["command"]["id"],
    )
    assert {status for status, _ in owner_view(api, owned).values()} == {200}
    return owned


def settle_in(api: Api) -> Intruder:
    location_id = new_location(api, "Globex depot")
    return Intruder(api, location_id, new_charger(api, "GLOBEX-1", location_id))


@pytest.fixture
def intruder(client: TestClient, context: Context) -> Intruder:
    """Tenant 'globex' through a user token."""
    return settle_in(Api(client, issue_token(context, "globex")))


@pytest.fixture(params=["user token", "admin token"])
def any_intruder(request: pytest.FixtureRequest, client: TestClient, context: Context) -> Intruder:
    """Tenant 'globex' through a user token, or through an admin token that chose it."""
    if request.param == "user token":
        return settle_in(Api(client, issue_token(context, "globex")))
    issue_token(context, "globex")  # the organization exists once it has a token
    return settle_in(Api(client, issue_token(context, None, Role.ADMIN), "globex"))


def owner_view(api: Api, owned: Owned) -> dict[str, Any]:
    """Everything the owner can read about its resources, as (status, body) (each read waits for the
    projections)."""
    reads = {
        "location": f"/ocpp/locations/{owned.location_id}",
        "location chargers": f"/ocpp/locations/{owned.location_id}/chargers",
        "job": f"/ocpp/locations/{owned.location_id}/chargers/jobs/{owned.job_id}",
        "charger": f"/ocpp/chargers/{owned.charger_id}",
        "charger status": f"/ocpp/chargers/{owned.charger_id}/status",
        "command": f"/ocpp/commands/{owned.command_id}",
        "commands": "/ocpp/commands",
    }
    view = {}
    for name, path in reads.items():
        response = api.get(path)
        view[name] = (response.status_code, response.json())
    return view


def fill(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every "{placeholder}" string formatted from `ids`."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def fleet(path: str, target: Mapping[str, object]) -> dict[str, object]:
    return {"target": target, "event": FLEET_BODIES[path]}


NEW_CHARGER = {"brand_slug": "abb", "model_slug": "terra-184", "ws_url": CSMS_URL}

# (what is attempted, method, path, json body, query). {location}, {charger}, {identity}, {job} and
# {command} are the owner's; {own_location} and {own_charger} are the intruder's.
ATTEMPTS: list[tuple[str, str, str, Any, Any]] = [
    ("GET location", "GET", "/ocpp/locations/{location}", None, None),
    ("PUT location", "PUT", "/ocpp/locations/{location}", {"name": "Taken"}, None),
    ("DELETE location", "DELETE", "/ocpp/locations/{location}", None, {"cascade": "true"}),
    ("GET location chargers", "GET", "/ocpp/locations/{location}/chargers", None, None),
    (
        "POST location chargers",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": NEW_CHARGER, "chargers_number": 1}],
        None,
    ),
    (
        "PUT location chargers",
        "PUT",
        "/ocpp/locations/{location}/chargers",
        {"chargers": [{"charger_id": "{charger}", "charge_point_name": "Taken"}]},
        None,
    ),
    (
        "DELETE location chargers",
        "DELETE",
        "/ocpp/locations/{location}/chargers",
        None,
        {"charger_ids": "{charger}"},
    ),
    ("GET job", "GET", "/ocpp/locations/{location}/chargers/jobs/{job}", None, None),
    ("GET job through own location", "GET", "/ocpp/locations/{own_location}/chargers/jobs/{job}", None, None),
    ("GET charger", "GET", "/ocpp/chargers/{charger}", None, None),
    ("GET charger by identity", "GET", "/ocpp/chargers/{identity}", None, None),
    ("PUT charger", "PUT", "/ocpp/chargers/{charger}", {"charge_point_name": "Taken"}, None),
    ("DELETE charger", "DELETE", "/ocpp/chargers/{charger}", None, None),
    ("GET charger status", "GET", "/ocpp/chargers/{charger}/status", None, None),
    ("GET charger logs", "GET", "/ocpp/chargers/{charger}/logs", None, None),
    ("POST start-charger", "POST", "/ocpp/chargers/{charger}/start-charger", None, None),
    ("POST stop-charger", "POST", "/ocpp/chargers/{charger}/stop-charger", None, None),
    ("POST reset-charger", "POST", "/ocpp/chargers/{charger}/reset-charger", None, None),
    ("POST restart-charger", "POST", "/ocpp/chargers/{charger}/restart-charger", None, None),
    ("GET command", "GET", "/ocpp/commands/{command}", None, None),
    (
        "fleet command to charger_id",
        "POST",
        "/ocpp/commands/plug-connector",
        fleet("plug-connector", {"charger_id": "{charger}"}),
        None,
    ),
    (
        "fleet command to charger identity",
        "POST",
        "/ocpp/commands/plug-connector",
        fleet("plug-connector", {"charger_id": "{identity}"}),
        None,
    ),
    (
        "fleet command to location_id",
        "POST",
        "/ocpp/commands/plug-connector",
        fleet("plug-connector", {"location_id": "{location}"}),
        None,
    ),
    (
        "fleet command to location_id with charger_ids",
        "POST",
        "/ocpp/commands/plug-connector",
        fleet("plug-connector", {"location_id": "{location}", "charger_ids": ["{charger}"]}),
        None,
    ),
    (
        "POST charger into owner's location",
        "POST",
        "/ocpp/chargers",
        {**NEW_CHARGER, "identity": "GLOBEX-2", "location_id": "{location}"},
        None,
    ),
    (
        "PUT own charger into owner's location",
        "PUT",
        "/ocpp/chargers/{own_charger}",
        {"location_id": "{location}"},
        None,
    ),
    (
        "PUT own location's chargers into owner's location",
        "PUT",
        "/ocpp/locations/{own_location}/chargers",
        {"chargers": [{"charger_id": "{own_charger}", "location_id": "{location}"}]},
        None,
    ),
    *[
        (
            f"single-charger command {path}",
            "POST",
            f"/ocpp/commands/{path}",
            {"target": {"charger_id": "{charger}"}, "event": event},
            None,
        )
        for path, event in SINGLE_CHARGER_BODIES.items()
    ],
]


def attempt(
    intruder: Intruder, owned: Owned, method: str, path: str, body: Any, query: Any
) -> httpx.Response:
    ids = {
        "location": owned.location_id,
        "charger": owned.charger_id,
        "identity": owned.identity,
        "job": owned.job_id,
        "command": owned.command_id,
        "own_location": intruder.location_id,
        "own_charger": intruder.charger_id,
    }
    return intruder.api.request(method, fill(path, ids), json=fill(body, ids), params=fill(query, ids))


def test_another_tenants_ids_are_404_on_every_route_and_change_nothing(
    context: Context, api: Api, owned: Owned, any_intruder: Intruder
) -> None:
    """Every attempt of ATTEMPTS, one after the other; each must be a 404 that writes nothing and leaves
    the owner's view as it was. All the wrong ones are listed."""
    view = owner_view(api, owned)
    wrong: list[tuple[object, ...]] = []
    for name, method, path, body, query in ATTEMPTS:
        before = stored_events(context)
        response = attempt(any_intruder, owned, method, path, body, query)
        if response.status_code != 404 or not response.json()["code"].endswith("not_found"):
            wrong.append((name, response.status_code, response.text[:200]))
        if stored_events(context) != before:
            wrong.append((name, "wrote events"))
        if owner_view(api, owned) != view:
            wrong.append((name, "changed the owner's view"))
            view = owner_view(api, owned)
    assert wrong == []


def test_every_fleet_command_is_404_for_another_tenants_charger_or_location(
    context: Context, api: Api, owned: Owned, intruder: Intruder
) -> None:
    before = stored_events(context)
    for path in FLEET_BODIES:
        for target in ({"charger_id": owned.charger_id}, {"location_id": owned.location_id}):
            response = intruder.api.post(f"/ocpp/commands/{path}", json=fleet(path, target))
            assert response.status_code == 404, (path, target, response.text)
    assert stored_events(context) == before
    assert api.get("/ocpp/commands").json()["total"] == 1  # only the owner's own command


def test_naming_another_tenants_charger_inside_an_own_location_finds_nothing(
    context: Context, api: Api, owned: Owned, intruder: Intruder
) -> None:
    view = owner_view(api, owned)
    before = stored_events(context)
    own_chargers = f"/ocpp/locations/{intruder.location_id}/chargers"

    command = intruder.api.post(
        "/ocpp/commands/plug-connector",
        json=fleet(
            "plug-connector", {"location_id": intruder.location_id, "charger_ids": [owned.charger_id]}
        ),
    ).json()
    updated = intruder.api.put(
        own_chargers, json={"chargers": [{"charger_id": owned.charger_id, "charge_point_name": "Taken"}]}
    ).json()
    deleted = intruder.api.delete(own_chargers, params={"charger_ids": [owned.identity]}).json()
    listed = intruder.api.get(own_chargers, params={"charger_ids": [owned.charger_id]}).json()

    assert (command["queued_count"], command["failed_count"]) == (0, 1)
    assert command["failed"][0]["code"] == "charger_not_found"
    assert command["failed"][0]["identity"] is None  # the owner's identity is not revealed
    not_ours = "is not a charger of this location"
    assert updated == {
        "updated_count": 0,
        "failed_count": 1,
        "updated": [],
        "failed": [{"charger_id": owned.charger_id, "error": f"{owned.charger_id} {not_ours}"}],
    }
    assert deleted == {
        "deleted_count": 0,
        "failed_count": 1,
        "deleted": [],
        "failed": [{"charger_id": owned.identity, "error": f"{owned.identity} {not_ours}"}],
    }
    assert (listed["total"], listed["data"]) == (0, [])
    assert stored_events(context) == before
    assert owner_view(api, owned) == view


def test_lists_show_only_the_callers_tenant(api: Api, owned: Owned, intruder: Intruder) -> None:
    locations = intruder.api.get("/ocpp/locations").json()
    chargers = intruder.api.get("/ocpp/chargers").json()
    assert [loc["id"] for loc in locations["data"]] == [intruder.location_id]
    assert [ch["id"] for ch in chargers["data"]] == [intruder.charger_id]
    assert intruder.api.get("/ocpp/chargers", params={"location_id": owned.location_id}).json()["total"] == 0
    assert intruder.api.get("/ocpp/commands").json()["total"] == 0
    assert intruder.api.get("/ocpp/commands", params={"charger_id": owned.charger_id}).json()["total"] == 0
    assert api.get("/ocpp/chargers").json()["total"] == 1


def test_an_identity_names_the_callers_own_charger_when_both_tenants_use_it(api: Api, other_api: Api) -> None:
    mine = new_charger(api, "CP-SHARED")
    theirs = new_charger(other_api, "CP-SHARED")
    assert mine != theirs
    assert api.get("/ocpp/chargers/CP-SHARED").json()["id"] == mine
    assert other_api.get("/ocpp/chargers/CP-SHARED").json()["id"] == theirs

    queued = other_api.post(
        "/ocpp/commands/plug-connector", json=fleet("plug-connector", {"charger_id": "CP-SHARED"})
    )
    assert [r["charger_id"] for r in queued.json()["results"]] == [theirs]
    assert api.get("/ocpp/commands").json()["total"] == 0
