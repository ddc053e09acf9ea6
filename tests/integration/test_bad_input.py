"""Bad input gets a clear 4xx naming the offending field, and a refused request writes nothing.

Validation errors keep FastAPI's 422 shape, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`;
`loc` is what a client uses to point at the field, so every case asserts it. After every refused request
the number of stored events is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.tokens import Role
from gateway.app import create_app
from gateway.context import Context
from tests.conftest import CSMS_URL, Api, issue_token, new_charger, new_location

UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
TAG_36 = "T" * 36


def stored_events(context: Context) -> int:
    return context.ledger.recorder.max_notification_id() or 0


@dataclass(frozen=True)
class Lab:
    """A location holding an OCPP 1.6 charger (abb/terra-184, two connectors)."""

    location_id: str
    charger_id: str


@pytest.fixture
def lab(api: Api) -> Lab:
    location_id = new_location(api)
    return Lab(location_id, new_charger(api, "CP-16", location_id))


def fill(value: Any, lab: Lab) -> Any:
    """`value` with "{location}" and "{charger}" replaced by the lab's ids."""
    if isinstance(value, str):
        return value.format(location=lab.location_id, charger=lab.charger_id)
    if isinstance(value, list):
        return [fill(v, lab) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, lab) for k, v in value.items()}
    return value


def misnamed(response: httpx.Response, loc: Sequence[object]) -> str | None:
    """What is wrong with `response` as a 422 with exactly one error naming `loc`, or None."""
    if response.status_code != 422:
        return f"{response.status_code}: {response.text[:200]}"
    errors = response.json()["detail"]
    if [e["loc"] for e in errors] != [loc] or not (errors[0]["msg"] and errors[0]["type"]):
        return f"422 naming {[e['loc'] for e in errors]}"
    return None


def assert_names_field(response: httpx.Response, loc: list[object]) -> None:
    assert misnamed(response, loc) is None, misnamed(response, loc)


def refuse_all(
    api: Api, context: Context, lab: Lab, cases: Sequence[tuple[str, str, str, Any, Sequence[object]]]
) -> list[tuple[str, str]]:
    """Send each case; return every one that was not a 422 naming its field, or that wrote events."""
    wrong = []
    for name, method, path, body, loc in cases:
        before = stored_events(context)
        problem = misnamed(api.request(method, fill(path, lab), json=fill(body, lab)), loc)
        if problem:
            wrong.append((name, problem))
        if stored_events(context) != before:
            wrong.append((name, "wrote events"))
    return wrong


def charger(**fields: object) -> dict[str, object]:
    return {
        "identity": "CP-NEW",
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": CSMS_URL,
        **fields,
    }


def template(**fields: object) -> dict[str, object]:
    return {"brand_slug": "abb", "model_slug": "terra-184", "ws_url": CSMS_URL, **fields}


def to_charger(event: dict[str, object]) -> dict[str, object]:
    return {"target": {"charger_id": "{charger}"}, "event": event}


# (case, method, path, json body, loc the 422 must name)
BAD_BODIES: list[tuple[str, str, str, Any, list[object]]] = [
    # locations
    (
        "location: unknown field",
        "POST",
        "/ocpp/locations",
        {"name": "A", "colour": "red"},
        ["body", "colour"],
    ),
    ("location: name missing", "POST", "/ocpp/locations", {"city": "Lyon"}, ["body", "name"]),
    (
        "location: unknown field in coordinates",
        "POST",
        "/ocpp/locations",
        {"name": "A", "coordinates": {"latitude": 1, "longitude": 2, "altitude": 3}},
        ["body", "coordinates", "altitude"],
    ),
    (
        "location: latitude out of range",
        "POST",
        "/ocpp/locations",
        {"name": "A", "coordinates": {"latitude": 91, "longitude": 2}},
        ["body", "coordinates", "latitude"],
    ),
    (
        "location: unknown time zone",
        "POST",
        "/ocpp/locations",
        {"name": "A", "timezone": "Mars/Olympus"},
        ["body", "timezone"],
    ),
    (
        "location: time zone abbreviation",
        "POST",
        "/ocpp/locations",
        {"name": "A", "timezone": "CEST"},
        ["body", "timezone"],
    ),
    (
        "location: lower-case country",
        "POST",
        "/ocpp/locations",
        {"name": "A", "country": "fr"},
        ["body", "country"],
    ),
    (
        "location: alpha-3 country",
        "POST",
        "/ocpp/locations",
        {"name": "A", "country": "FRA"},
        ["body", "country"],
    ),
    (
        "location: PUT unknown field",
        "PUT",
        "/ocpp/locations/{location}",
        {"colour": "red"},
        ["body", "colour"],
    ),
    (
        "location: PUT unknown time zone",
        "PUT",
        "/ocpp/locations/{location}",
        {"timezone": "Europe/Atlantis"},
        ["body", "timezone"],
    ),
    (
        "location: PUT bad country",
        "PUT",
        "/ocpp/locations/{location}",
        {"country": "France"},
        ["body", "country"],
    ),
    # chargers
    ("charger: unknown field", "POST", "/ocpp/chargers", charger(colour="red"), ["body", "colour"]),
    (
        "charger: identity with a space",
        "POST",
        "/ocpp/chargers",
        charger(identity="CP 1"),
        ["body", "identity"],
    ),
    (
        "charger: identity with a slash",
        "POST",
        "/ocpp/chargers",
        charger(identity="CP/1"),
        ["body", "identity"],
    ),
    (
        "charger: identity with a hash",
        "POST",
        "/ocpp/chargers",
        charger(identity="CP#1"),
        ["body", "identity"],
    ),
    (
        "charger: identity not ASCII",
        "POST",
        "/ocpp/chargers",
        charger(identity="Lade-Säule"),
        ["body", "identity"],
    ),
    (
        "charger: identity of 49 chars",
        "POST",
        "/ocpp/chargers",
        charger(identity="C" * 49),
        ["body", "identity"],
    ),
    ("charger: empty identity", "POST", "/ocpp/chargers", charger(identity=""), ["body", "identity"]),
    ("charger: unknown brand", "POST", "/ocpp/chargers", charger(brand_slug="acme"), ["body", "model_slug"]),
    (
        "charger: unknown model",
        "POST",
        "/ocpp/chargers",
        charger(model_slug="terra-9000"),
        ["body", "model_slug"],
    ),
    (
        "charger: http URL",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="http://csms.example/ocpp"),
        ["body", "ws_url"],
    ),
    ("charger: URL without host", "POST", "/ocpp/chargers", charger(ws_url="ws:///ocpp"), ["body", "ws_url"]),
    (
        "charger: URL with query",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="wss://csms.example/ocpp?a=1"),
        ["body", "ws_url"],
    ),
    (
        "charger: URL with fragment",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="wss://csms.example/ocpp#x"),
        ["body", "ws_url"],
    ),
    ("charger: not a URL", "POST", "/ocpp/chargers", charger(ws_url="csms.example"), ["body", "ws_url"]),
    # ({{identity}} is {identity} once the case is filled in)
    (
        "charger: identity placed twice",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="wss://csms.example/{{identity}}/{{identity}}"),
        ["body", "ws_url"],
    ),
    (
        "charger: identity in the host",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="wss://{{identity}}.csms.example/ocpp"),
        ["body", "ws_url"],
    ),
    (
        "charger: unknown placeholder",
        "POST",
        "/ocpp/chargers",
        charger(ws_url="wss://csms.example/ocpp/{{id}}"),
        ["body", "ws_url"],
    ),
    (
        "charger: unknown OCPP version",
        "POST",
        "/ocpp/chargers",
        charger(ocpp_version="OCPP2.1"),
        ["body", "ocpp_version"],
    ),
    (
        "charger: connector type of another model",
        "POST",
        "/ocpp/chargers",
        charger(connector_type="Type2"),
        ["body", "connector_type"],
    ),
    ("charger: PUT unknown field", "PUT", "/ocpp/chargers/{charger}", {"colour": "red"}, ["body", "colour"]),
    (
        "charger: PUT http URL",
        "PUT",
        "/ocpp/chargers/{charger}",
        {"ws_url": "http://csms.example"},
        ["body", "ws_url"],
    ),
    # chargers in a location
    (
        "bulk: unknown brand in the second group",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [
            {"template": template(), "chargers_number": 1},
            {"template": template(brand_slug="acme"), "chargers_number": 1},
        ],
        ["body", 1, "template", "model_slug"],
    ),
    (
        "bulk: unknown model",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(model_slug="terra-9000"), "chargers_number": 1}],
        ["body", 0, "template", "model_slug"],
    ),
    (
        "bulk: unknown field in template",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(colour="red"), "chargers_number": 1}],
        ["body", 0, "template", "colour"],
    ),
    (
        "bulk: unknown field in group",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(), "chargers_number": 1, "colour": "red"}],
        ["body", 0, "colour"],
    ),
    (
        "bulk: http URL in template",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(ws_url="http://csms.example"), "chargers_number": 1}],
        ["body", 0, "template", "ws_url"],
    ),
    (
        "bulk: prefix and suffix longer than 48",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(identity_prefix="P" * 40), "charger_ids": ["S" * 9], "chargers_number": 1}],
        ["body", 0, "charger_ids"],
    ),
    (
        "bulk: zero chargers",
        "POST",
        "/ocpp/locations/{location}/chargers",
        [{"template": template(), "chargers_number": 0}],
        ["body", 0, "chargers_number"],
    ),
    (
        "bulk: an object where the array of groups belongs",
        "POST",
        "/ocpp/locations/{location}/chargers",
        {"template": template(), "chargers_number": 1},
        ["body"],
    ),
    (
        "bulk update: unknown field in changes",
        "PUT",
        "/ocpp/locations/{location}/chargers",
        {"chargers": [{"charger_id": "{charger}", "colour": "red"}]},
        ["body", "chargers", 0, "colour"],
    ),
    # commands
    (
        "command: unknown field in event",
        "POST",
        "/ocpp/commands/plug-connector",
        to_charger({"connector_id": 1, "colour": "red"}),
        ["body", "event", "colour"],
    ),
    (
        "command: unknown field in target",
        "POST",
        "/ocpp/commands/plug-connector",
        {"target": {"charger_id": "{charger}", "evse": 1}, "event": {}},
        ["body", "target", "evse"],
    ),
    (
        "command: unknown top-level field",
        "POST",
        "/ocpp/commands/plug-connector",
        {**to_charger({}), "priority": "high"},
        ["body", "priority"],
    ),
    (
        "command: both charger_id and location_id",
        "POST",
        "/ocpp/commands/plug-connector",
        {"target": {"charger_id": "{charger}", "location_id": "{location}"}, "event": {}},
        ["body", "target"],
    ),
    (
        "command: neither charger_id nor location_id",
        "POST",
        "/ocpp/commands/plug-connector",
        {"target": {}, "event": {}},
        ["body", "target"],
    ),
    (
        "command: charger_ids without location_id",
        "POST",
        "/ocpp/commands/plug-connector",
        {"target": {"charger_id": "{charger}", "charger_ids": ["{charger}"]}, "event": {}},
        ["body", "target", "charger_ids"],
    ),
    (
        "command: event missing",
        "POST",
        "/ocpp/commands/plug-connector",
        {"target": {"charger_id": "{charger}"}},
        ["body", "event"],
    ),
    (
        "command: negative power_w on power-update",
        "POST",
        "/ocpp/commands/power-update",
        to_charger({"connector_id": 1, "power_w": -1}),
        ["body", "event", "power_w"],
    ),
    (
        "command: negative power_w on start-session",
        "POST",
        "/ocpp/commands/start-session",
        to_charger({"id_tag": "TAG", "power_w": -7400}),
        ["body", "event", "power_w"],
    ),
    (
        "command: connector_id 0 on plug-connector",
        "POST",
        "/ocpp/commands/plug-connector",
        to_charger({"connector_id": 0}),
        ["body", "event", "connector_id"],
    ),
    (
        "command: id_tag of 37 on start-transaction",
        "POST",
        "/ocpp/commands/start-transaction",
        to_charger({"id_tag": TAG_36 + "X"}),
        ["body", "event", "id_tag"],
    ),
    (
        "command: id_tag of 37 on start-session",
        "POST",
        "/ocpp/commands/start-session",
        to_charger({"id_tag": TAG_36 + "X"}),
        ["body", "event", "id_tag"],
    ),
    (
        "command: id_tag of 37 on authorize",
        "POST",
        "/ocpp/commands/authorize-id-tag",
        to_charger({"id_tag": TAG_36 + "X"}),
        ["body", "event", "id_tag"],
    ),
    (
        "command: id_tag of 37 in a local auth list",
        "POST",
        "/ocpp/commands/local-auth-list",
        to_charger({"list_version": 1, "update_type": "Full", "entries": [{"id_tag": TAG_36 + "X"}]}),
        ["body", "event", "entries", 0, "id_tag"],
    ),
    (
        "command: id_tag with a space",
        "POST",
        "/ocpp/commands/authorize-id-tag",
        to_charger({"id_tag": "TAG 1"}),
        ["body", "event", "id_tag"],
    ),
]


BAD_BODY_TABLES = sorted({name.split(":")[0] for name, *_ in BAD_BODIES})


@pytest.mark.parametrize("table", BAD_BODY_TABLES)
def test_a_bad_body_is_422_naming_the_field_and_writes_nothing(
    api: Api, context: Context, lab: Lab, table: str
) -> None:
    """Every case of BAD_BODIES whose name starts with `table`; all the wrong ones are listed."""
    cases = [case for case in BAD_BODIES if case[0].split(":")[0] == table]
    assert refuse_all(api, context, lab, cases) == []


def test_malformed_json_is_422_and_writes_nothing(api: Api, context: Context, lab: Lab) -> None:
    before = stored_events(context)
    for path in [
        "/ocpp/locations",
        "/ocpp/chargers",
        "/ocpp/commands/plug-connector",
        "/ocpp/locations/{location}/chargers",
    ]:
        response = api.post(
            fill(path, lab), content=b'{"name": "A",', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, path
        [error] = response.json()["detail"]
        assert error["type"] == "json_invalid", path
        assert error["loc"][0] == "body", path
    assert stored_events(context) == before


def test_a_json_array_where_an_object_belongs_is_422_naming_the_body(
    api: Api, context: Context, lab: Lab
) -> None:
    routes = [
        ("POST", "/ocpp/locations"),
        ("PUT", "/ocpp/locations/{location}"),
        ("POST", "/ocpp/chargers"),
        ("PUT", "/ocpp/chargers/{charger}"),
        ("PUT", "/ocpp/locations/{location}/chargers"),
        ("POST", "/ocpp/commands/plug-connector"),
        ("POST", "/ocpp/commands/cache/reset"),
    ]
    cases = [(f"{method} {path}", method, path, [{"name": "A"}], ["body"]) for method, path in routes]
    assert refuse_all(api, context, lab, cases) == []


# --- id tags per OCPP version ---------------------------------------------------------------------


def test_an_id_tag_too_long_for_ocpp_1_6_fails_that_charger_and_is_queued_on_2_0_1(api: Api) -> None:
    location_id = new_location(api)
    v16 = new_charger(api, "CP-16", location_id, ocpp_version="OCPP1.6")
    v201 = new_charger(api, "CP-201", location_id, ocpp_version="OCPP2.0.1")
    commands = [
        ("start-transaction", {"connector_id": 1}),
        ("start-session", {"connector_id": 1}),
        ("authorize-id-tag", {}),
    ]
    lengths = [21, 36]  # 1.6 allows 20 (CiString20), 2.0.1 allows 36

    for path, event in commands:
        for length in lengths:
            id_tag = "T" * length
            response = api.post(
                f"/ocpp/commands/{path}",
                json={"target": {"location_id": location_id}, "event": {**event, "id_tag": id_tag}},
            )
            case = (path, length)
            assert response.status_code == 202, (case, response.text)
            body = response.json()
            assert (body["targeted_count"], body["queued_count"], body["failed_count"]) == (2, 1, 1), case
            [failed] = body["failed"]
            assert (failed["charger_id"], failed["identity"]) == (v16, "CP-16"), case
            assert failed["code"] == "id_tag_too_long", case
            [queued] = body["results"]
            assert queued["charger_id"] == v201, case
            assert queued["command"]["payload"]["id_tag"] == id_tag, case

    assert api.get("/ocpp/commands", params={"charger_id": v16}).json()["total"] == 0
    assert api.get("/ocpp/commands", params={"charger_id": v201}).json()["total"] == len(commands) * len(
        lengths
    )


def test_an_id_tag_of_20_is_queued_on_ocpp_1_6(api: Api) -> None:
    charger_id = new_charger(api, "CP-16", ocpp_version="OCPP1.6")
    response = api.post(
        "/ocpp/commands/authorize-id-tag",
        json={"target": {"charger_id": charger_id}, "event": {"id_tag": "T" * 20}},
    )
    assert response.status_code == 202
    assert response.json()["queued_count"] == 1


def test_a_local_auth_list_with_an_id_tag_too_long_for_ocpp_1_6_is_refused_before_it_is_queued(
    api: Api, context: Context, lab: Lab
) -> None:
    before = stored_events(context)
    response = api.post(
        "/ocpp/commands/local-auth-list",
        json={
            "target": {"charger_id": lab.charger_id},
            "event": {"list_version": 1, "update_type": "Full", "entries": [{"id_tag": "T" * 21}]},
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "id_tag_too_long"
    assert stored_events(context) == before


# --- body size ------------------------------------------------------------------------------------

SMALL_LIMIT = 1024


@pytest.fixture
def small_api(context: Context) -> Iterator[Api]:
    """An app whose body limit is SMALL_LIMIT bytes (the smallest Settings allows), over the same ledger."""
    settings = context.settings.model_copy(update={"max_body_bytes": SMALL_LIMIT})
    with TestClient(create_app(settings, context)) as client:
        yield Api(client, issue_token(context, "acme"))


def location_body_of(size: int) -> bytes:
    """A valid location body of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = b'{"name": "A"}'
    return body + b" " * (size - len(body))


JSON = {"Content-Type": "application/json"}


def test_a_body_at_the_limit_is_accepted(small_api: Api) -> None:
    response = small_api.post("/ocpp/locations", content=location_body_of(SMALL_LIMIT), headers=JSON)
    assert response.status_code == 201, response.text


def test_a_body_over_the_limit_is_413_and_writes_nothing(small_api: Api, context: Context) -> None:
    before = stored_events(context)
    response = small_api.post("/ocpp/locations", content=location_body_of(SMALL_LIMIT + 1), headers=JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert stored_events(context) == before


def test_a_streamed_body_over_the_limit_is_413_and_writes_nothing(small_api: Api, context: Context) -> None:
    """Without Content-Length (chunked), the limit is enforced on the bytes as they arrive."""
    body = location_body_of(SMALL_LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        yield body[:512]
        yield body[512:]

    before = stored_events(context)
    response = small_api.post("/ocpp/locations", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert stored_events(context) == before


def test_the_default_limit_is_8_mib(api: Api, context: Context) -> None:
    assert context.settings.max_body_bytes == 8 * 1024 * 1024
    before = stored_events(context)
    response = api.post("/ocpp/locations", content=b" " * (8 * 1024 * 1024 + 1), headers=JSON)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert stored_events(context) == before


# --- query parameters -----------------------------------------------------------------------------

PAGED_LISTS = ["/ocpp/locations", "/ocpp/chargers", "/ocpp/commands", "/ocpp/locations/{location}/chargers"]
OUT_OF_RANGE_PAGES = [
    ({"page": 0}, ["query", "page"]),
    ({"page": "first"}, ["query", "page"]),
    ({"limit": 0}, ["query", "limit"]),
    ({"limit": 101}, ["query", "limit"]),
]
OUT_OF_RANGE_LOG_PAGES = [  # logs page by limit (up to 1000) and offset
    ({"limit": 0}, ["query", "limit"]),
    ({"limit": 1001}, ["query", "limit"]),
    ({"offset": -1}, ["query", "offset"]),
]


def test_pagination_out_of_range_is_422_naming_the_parameter(api: Api, lab: Lab) -> None:
    cases = [(path, query, loc) for path in PAGED_LISTS for query, loc in OUT_OF_RANGE_PAGES] + [
        ("/ocpp/chargers/{charger}/logs", query, loc) for query, loc in OUT_OF_RANGE_LOG_PAGES
    ]
    wrong = []
    for path, query, loc in cases:
        problem = misnamed(api.get(fill(path, lab), params=query), loc)
        if problem:
            wrong.append((path, query, problem))
    assert wrong == []


def test_pagination_at_the_bounds_is_accepted(api: Api, lab: Lab) -> None:
    for path in PAGED_LISTS:
        for limit in (1, 100):
            response = api.get(fill(path, lab), params={"page": 1, "limit": limit})
            assert response.status_code == 200, (path, limit, response.text)
            assert response.json()["limit"] == limit
    logs = api.get(f"/ocpp/chargers/{lab.charger_id}/logs", params={"limit": 1000, "offset": 0})
    assert logs.status_code == 200, logs.text


def test_malformed_ids_and_filters_are_422_naming_the_parameter(api: Api) -> None:
    cases = [
        ("/ocpp/chargers", {"location_id": "depot"}, ["query", "location_id"]),
        ("/ocpp/commands", {"status": "lost"}, ["query", "status"]),
        ("/ocpp/commands", {"event_type": "teleport"}, ["query", "event_type"]),
        ("/ocpp/locations/not-a-uuid", {}, ["path", "location_id"]),
        ("/ocpp/commands/not-a-uuid", {}, ["path", "command_id"]),
        ("/ocpp/chargers/" + "C" * 65, {}, ["path", "charger_id"]),
    ]
    wrong = []
    for path, query, loc in cases:
        problem = misnamed(api.get(path, params=query), loc)
        if problem:
            wrong.append((path, query, problem))
    assert wrong == []


def test_a_refused_bulk_create_creates_none_of_its_chargers(api: Api, context: Context, lab: Lab) -> None:
    """One bad group refuses the whole request: the valid groups before it are not created either."""
    groups = [
        {"template": template(identity_prefix="OK-"), "chargers_number": 5},
        {"template": template(model_slug="terra-9000"), "chargers_number": 1},
    ]
    before = stored_events(context)
    assert_names_field(
        api.post(f"/ocpp/locations/{lab.location_id}/chargers", json=groups),
        ["body", 1, "template", "model_slug"],
    )
    assert stored_events(context) == before
    assert api.get(f"/ocpp/locations/{lab.location_id}/chargers").json()["total"] == 1


def test_a_422_echoes_only_a_bounded_slice_of_a_huge_input(api: Api, context: Context) -> None:
    before = stored_events(context)
    huge = "x" * 3_000_000  # a 3 MB unknown field: under the body limit, far over any useful echo
    response = api.post("/ocpp/locations", json={"name": "Depot", "notes": huge})
    assert_names_field(response, ["body", "notes"])
    assert len(response.content) < 3_000
    assert response.json()["detail"][0]["input"].endswith("(3000002 characters, cut)")
    assert stored_events(context) == before
    small = api.post("/ocpp/locations", json={"name": "Depot", "notes": "short"})
    assert small.json()["detail"][0]["input"] == "short"  # a short input is echoed as it was


def test_an_admin_must_name_an_existing_organization(client: TestClient, context: Context, api: Api) -> None:
    new_location(api)  # acme exists: it has a token, and a location
    admin = issue_token(context, None, Role.ADMIN)
    as_acme = Api(client, admin, organization="acme").get("/ocpp/locations")
    assert as_acme.status_code == 200
    assert as_acme.json()["total"] == 1
    typo = Api(client, admin, organization="acmee").get("/ocpp/locations")
    assert typo.status_code == 403
    assert typo.json()["detail"] == "X-Organization-Id 'acmee' names no organization"


def test_an_unknown_fault_name_is_422_naming_the_field_and_the_known_names(
    api: Api, context: Context, lab: Lab
) -> None:
    before = stored_events(context)
    unknown = api.post(
        "/ocpp/commands/inject-fault",
        json={"target": {"charger_id": lab.charger_id}, "event": {"fault_type": "Gremlins"}},
    )
    assert_names_field(unknown, ["body", "event", "fault_type"])
    assert "OverCurrentFailure" in unknown.json()["detail"][0]["msg"]
    assert stored_events(context) == before
