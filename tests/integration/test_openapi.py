"""The published schema describes the REST contract (API.md, shared with the team), and the
documentation and health routes answer without a token."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from gateway.app import create_app
from tests.conftest import test_settings

# Every route of the REST contract, as the contract writes it (path parameter names may differ).
CONTRACT: dict[str, set[str]] = {
    "/": {"GET"},
    "/health": {"GET"},
    "/healthz": {"GET"},
    "/readyz": {"GET"},
    "/ocpp/catalog/brands": {"GET"},
    "/ocpp/catalog/brands/{brand_slug}/models": {"GET"},
    "/ocpp/catalog/brands/{brand_slug}/models/{model_slug}": {"GET"},
    "/ocpp/locations": {"GET", "POST"},
    "/ocpp/locations/{location_id}": {"GET", "PUT", "DELETE"},
    "/ocpp/chargers": {"GET", "POST"},
    "/ocpp/chargers/{charger_id}": {"GET", "PUT", "DELETE"},
    "/ocpp/chargers/{charger_id}/status": {"GET"},
    "/ocpp/chargers/{charger_id}/start-charger": {"POST"},
    "/ocpp/chargers/{charger_id}/stop-charger": {"POST"},
    "/ocpp/chargers/{charger_id}/reset-charger": {"POST"},
    "/ocpp/chargers/{charger_id}/restart-charger": {"POST"},  # the older name, an alias
    "/ocpp/templates/locations": {"GET"},
    "/ocpp/chargers/{charger_id}/logs": {"GET"},
    "/ocpp/locations/{location_id}/chargers": {"GET", "POST", "PUT", "DELETE"},
    "/ocpp/locations/{location_id}/chargers/jobs/{job_id}": {"GET"},
    "/ocpp/commands": {"GET"},
    "/ocpp/commands/{id}": {"GET"},
}
FLEET_COMMANDS = [
    "plug-connector",
    "unplug-connector",
    "unlock-connector",
    "start-transaction",
    "stop-transaction",
    "start-session",
    "stop-session",
    "authorize-id-tag",
    "ev-requests-energy",
    "ev-stops-energy",
    "power-update",
    # Ours, in the same {target, event} form (issue 11 item 8: failures a test causes).
    "fail-firmware",
    "fail-upload",
    "drop-network",
    "ev-target-soc",
]
SINGLE_CHARGER_COMMANDS = [
    "proxy-message",
    "configuration",
    "cache/reset",
    "local-auth-list",
    "clear-local-auth-list",
    "inject-fault",
    "clear-fault",
    "report-security-event",  # ours (issue 11 item 8)
]
for _command in FLEET_COMMANDS + SINGLE_CHARGER_COMMANDS:
    CONTRACT[f"/ocpp/commands/{_command}"] = {"POST"}

# Query parameters the contract names, per route.
QUERY_PARAMETERS = {
    ("GET", "/ocpp/locations"): {"page", "limit"},
    ("GET", "/ocpp/chargers"): {"location_id", "page", "limit"},
    ("GET", "/ocpp/chargers/{}/logs"): {"start_date", "end_date", "event", "limit", "offset"},
    ("GET", "/ocpp/locations/{}/chargers"): {"charger_ids", "page", "limit"},
    ("DELETE", "/ocpp/locations/{}/chargers"): {"charger_ids"},
    ("DELETE", "/ocpp/locations/{}"): {"cascade"},
    ("GET", "/ocpp/commands"): {"charger_id", "location_id", "status", "event_type", "page", "limit"},
}
UNAUTHENTICATED = {"/", "/health", "/healthz", "/readyz"}
TENANT_FREE = {p for p in CONTRACT if p.startswith(("/ocpp/catalog/", "/ocpp/templates/"))} | UNAUTHENTICATED


def shape(path: str) -> str:
    """A path with its parameter names erased: /ocpp/commands/{id} and /ocpp/commands/{command_id} match."""
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def docs_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The schema does not depend on the backend: one app, not started (the documentation routes need
    no database), serves every schema test of this module."""
    app = create_app(test_settings(var_dir=tmp_path_factory.mktemp("openapi")))
    yield TestClient(app)
    app.state.context.ledger.close()


@pytest.fixture(scope="module")
def schema(docs_client: TestClient) -> dict[str, Any]:
    response = docs_client.get("/openapi.json")  # no token
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path shape) → the operation object."""
    return {
        (method.upper(), shape(path)): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def resolve(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def response_schema(schema: dict[str, Any], operation: dict[str, Any], status: str) -> dict[str, Any]:
    return resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"]["$ref"])


@pytest.mark.parametrize("path", sorted(CONTRACT))
def test_the_schema_describes_every_route_of_the_contract_with_its_methods(
    schema: dict[str, Any], path: str
) -> None:
    documented = {shape(p): {m.upper() for m in item} for p, item in schema["paths"].items()}
    assert documented.get(shape(path)) == CONTRACT[path]


def test_the_schema_describes_no_ocpp_route_outside_the_contract(schema: dict[str, Any]) -> None:
    """Routes of our own (e.g. /analytics) live outside the /ocpp prefix of the compatible API."""
    documented = {shape(p) for p in schema["paths"] if p.startswith("/ocpp/")}
    assert documented == {shape(p) for p in CONTRACT if p.startswith("/ocpp/")}


@pytest.mark.parametrize("command", FLEET_COMMANDS)
def test_fleet_commands_document_202_with_the_fleet_response(schema: dict[str, Any], command: str) -> None:
    operation = operations(schema)[("POST", f"/ocpp/commands/{command}")]
    assert "200" not in operation["responses"]
    fleet_response = response_schema(schema, operation, "202")
    fields = {"targeted_count", "queued_count", "failed_count", "results", "failed"}
    assert set(fleet_response["properties"]) == fields
    assert set(fleet_response["required"]) == fields
    assert {"404", "422"} <= set(operation["responses"])


def test_the_fleet_response_lists_results_and_failures_per_charger(schema: dict[str, Any]) -> None:
    fleet_response = schema["components"]["schemas"]["LocationCommandResponse"]
    result = resolve(schema, fleet_response["properties"]["results"]["items"]["$ref"])
    failure = resolve(schema, fleet_response["properties"]["failed"]["items"]["$ref"])
    assert set(result["properties"]) == {"charger_id", "identity", "command"}
    assert set(resolve(schema, result["properties"]["command"]["$ref"])["properties"]) == {
        "id",
        "event_type",
        "ocpp_version",
        "payload",
        "response",  # ours, proxy-message only
    }
    assert set(failure["properties"]) == {"charger_id", "identity", "error", "code"}
    assert failure["properties"]["error"] == {"type": "string", "title": "Error"}  # the SDK's shape


@pytest.mark.parametrize("command", SINGLE_CHARGER_COMMANDS)
def test_single_charger_commands_document_200_and_504_with_the_command_id(
    schema: dict[str, Any], command: str
) -> None:
    operation = operations(schema)[("POST", f"/ocpp/commands/{command}")]
    assert "202" not in operation["responses"]
    assert response_schema(schema, operation, "200")["properties"]
    timeout = response_schema(schema, operation, "504")
    assert {"detail", "code", "command_id"} <= set(timeout["required"])


@pytest.mark.parametrize(("method", "path"), sorted(QUERY_PARAMETERS))
def test_list_routes_document_the_query_parameters_of_the_contract(
    schema: dict[str, Any], method: str, path: str
) -> None:
    parameters = operations(schema)[(method, path)].get("parameters", [])
    assert {p["name"] for p in parameters if p["in"] == "query"} == QUERY_PARAMETERS[(method, path)]


def test_every_route_but_the_health_routes_documents_the_bearer_token(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "an ocpp-ledger API token",
    }
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            expected: list[dict[str, list[str]]] = [] if path in UNAUTHENTICATED else [{"HTTPBearer": []}]
            assert operation.get("security", []) == expected, (method, path)
            if path not in UNAUTHENTICATED:
                assert "401" in operation["responses"], (method, path)


def test_tenant_scoped_routes_document_x_organization_id_and_catalog_routes_do_not(
    schema: dict[str, Any],
) -> None:
    for path, item in schema["paths"].items():
        tenant_scoped = shape(path) not in {shape(p) for p in TENANT_FREE}
        for method, operation in item.items():
            headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
            assert ("x-organization-id" in headers) == tenant_scoped, (method, path)


def test_the_interactive_docs_answer_without_a_token(docs_client: TestClient) -> None:
    response = docs_client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/openapi.json" in response.text


@pytest.mark.parametrize("path", sorted(UNAUTHENTICATED - {"/"}))
def test_health_routes_answer_without_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["status"] in {"ok", "ready"}


def test_the_landing_page_links_the_docs_the_schema_and_health(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ('href="/docs"', 'href="/openapi.json"', 'href="/health"'):
        assert link in response.text


# --- the names OCPPLAB's SDK has: read from the installed SDK, not written down here -----------------

SDK_GROUPS = (
    "health",
    "catalog",
    "locations",
    "chargers",
    "location_chargers",
    "location_templates",
    "commands",
)


@dataclass(frozen=True)
class SdkCall:
    group: str
    method: str
    http_method: str
    path: str
    answer: str | None  # the model its 2xx answer parses into, where it is one
    event: str | None  # the model of its `event` argument, where it has one
    sent: tuple[type[BaseModel], ...]  # every model among its arguments (event, target, groups, items, ...)


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [a for arg in args for a in _flatten(arg)]


def _model_name(annotation: Any) -> str | None:
    return annotation.__name__ if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def sdk_calls() -> list[SdkCall]:
    """Every call of the SDK's raw clients: its HTTP method and path from the request it makes, its
    answer and event models from its signature."""
    calls = []
    for group in SDK_GROUPS:
        module = importlib.import_module(f"ocpplab.{group}.raw_client")
        [raw] = [v for k, v in vars(module).items() if k.startswith("Raw") and inspect.isclass(v)]
        for name, function in inspect.getmembers(raw, inspect.isfunction):
            if name.startswith("_"):
                continue
            found = re.search(r'request\(\s*(?:f?"([^"]*)",\s*)?method="(\w+)"', inspect.getsource(function))
            assert found, (group, name)
            path = "/" + re.sub(r"\{encode_path_param\((\w+)\)\}", r"{\1}", found.group(1) or "")
            hints = function.__annotations__
            [answer] = typing.get_args(hints["return"])
            sent = tuple(
                a
                for key, hint in hints.items()
                if key != "return"
                for a in _flatten(hint)
                if isinstance(a, type) and issubclass(a, BaseModel)
            )
            event = _model_name(hints.get("event"))
            calls.append(SdkCall(group, name, found.group(2), path, _model_name(answer), event, sent))
    return calls


SDK_CALLS = sdk_calls()


def test_the_sdk_has_the_calls_this_suite_expects() -> None:
    """A guard on the reading above: 44 calls in the seven clients of 0.2.1/0.2.2."""
    assert len(SDK_CALLS) == 44
    assert {c.group for c in SDK_CALLS} == set(SDK_GROUPS)


@pytest.mark.parametrize("call", SDK_CALLS, ids=lambda c: f"{c.group}.{c.method}")
def test_every_sdk_call_has_its_route_with_the_sdks_names(schema: dict[str, Any], call: SdkCall) -> None:
    operation = operations(schema).get((call.http_method, shape(call.path)))
    assert operation is not None, f"no {call.http_method} {call.path}"
    assert operation["operationId"] == f"{call.group}_{call.method}"
    assert operation["tags"] == [call.group]
    assert (operation["x-fern-sdk-group-name"], operation["x-fern-sdk-method-name"]) == (
        call.group,
        call.method,
    )
    if call.answer is not None:
        success = next(code for code in operation["responses"] if code.startswith("2"))
        ref = operation["responses"][success]["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[1] == call.answer
    if call.event is not None:
        body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"])
        assert body["properties"]["event"]["$ref"].rsplit("/", 1)[1] == call.event


def test_operation_ids_are_unique(schema: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def _nested_models(model: type[BaseModel]) -> set[str]:
    """The model and every model its fields hold, by name."""
    found, todo = set(), [model]
    while todo:
        current = todo.pop()
        if current.__name__ in found:
            continue
        found.add(current.__name__)
        for field in current.model_fields.values():
            for inner in _flatten(field.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    todo.append(inner)
    return found


def test_every_model_the_sdk_sends_or_parses_has_its_name_in_the_schema(schema: dict[str, Any]) -> None:
    """The models of every answer and event, and every model inside them (LocationCommandFailure,
    QueuedCommandResponse, Coordinates, ...)."""
    types = importlib.import_module("ocpplab.types")
    names: set[str] = set()
    for call in SDK_CALLS:
        models = [getattr(types, name) for name in (call.answer, call.event) if name is not None]
        for model in [*models, *call.sent]:
            names |= _nested_models(model)
    assert {"ChargerGroup", "ChargerTemplate", "UpdateLocationChargerItem", "Coordinates"} <= names
    assert len(names) > 30
    assert names - set(schema["components"]["schemas"]) == set()


@pytest.mark.parametrize("call", SDK_CALLS, ids=lambda c: f"{c.group}.{c.method}")
def test_every_field_the_sdk_sends_is_taken_and_every_field_it_parses_is_answered(
    schema: dict[str, Any], call: SdkCall
) -> None:
    """Our request bodies refuse unknown fields: each field of a model the SDK sends must be one of ours.
    Each field of a model it parses must be in our answer, and required where the SDK requires it."""
    types = importlib.import_module("ocpplab.types")
    components = schema["components"]["schemas"]

    def fields(name: str) -> set[str]:
        return set(components[name].get("properties", {}))

    for model in call.sent:
        for name in _nested_models(model):
            assert set(getattr(types, name).model_fields) <= fields(name), name
    if call.answer is not None:
        for name in _nested_models(getattr(types, call.answer)):
            sdk_model = getattr(types, name)
            required = {k for k, f in sdk_model.model_fields.items() if f.is_required()}
            assert set(sdk_model.model_fields) <= fields(name), name
            assert required <= set(components[name].get("required", [])), name
    # and each argument of the call is a parameter or a body field of the route
    module = importlib.import_module(f"ocpplab.{call.group}.raw_client")
    [raw] = [v for k, v in vars(module).items() if k.startswith("Raw") and inspect.isclass(v)]
    arguments = set(inspect.signature(getattr(raw, call.method)).parameters) - {
        "self",
        "request_options",
        "request",
    }
    operation = operations(schema)[(call.http_method, shape(call.path))]
    taken = {p["name"] for p in operation.get("parameters", [])}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        taken |= fields(body["$ref"].rsplit("/", 1)[1])
    assert arguments <= taken


def _literals(annotation: Any) -> set[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return {value for arg in typing.get_args(annotation) for value in _literals(arg)}


def _enum(schema: dict[str, Any], prop: dict[str, Any]) -> set[Any]:
    if "$ref" in prop:
        return _enum(schema, resolve(schema, prop["$ref"]))
    if "enum" in prop:
        return set(prop["enum"])
    return {value for option in prop.get("anyOf", []) for value in _enum(schema, option)}


@pytest.mark.parametrize("call", SDK_CALLS, ids=lambda c: f"{c.group}.{c.method}")
def test_the_enum_values_are_the_sdks(schema: dict[str, Any], call: SdkCall) -> None:
    """Where the SDK types a field with a Literal: we answer only its values (statuses are PENDING,
    PROVISIONING, READY or FAILED, nothing else) and take every value it may send."""
    types = importlib.import_module("ocpplab.types")
    answered = _nested_models(getattr(types, call.answer)) if call.answer else set()
    sent = {name for model in call.sent for name in _nested_models(model)}
    for name in answered | sent:
        for field, info in getattr(types, name).model_fields.items():
            values = _literals(info.annotation)
            if not values:
                continue
            ours = _enum(schema, schema["components"]["schemas"][name]["properties"][field])
            if name in answered:
                assert ours == values, (name, field)
            if name in sent:
                assert values <= ours, (name, field)
    # and the query parameters the SDK types so (location templates' type and ocpp_version)
    module = importlib.import_module(f"ocpplab.{call.group}.raw_client")
    [raw] = [v for k, v in vars(module).items() if k.startswith("Raw") and inspect.isclass(v)]
    hints = typing.get_type_hints(getattr(raw, call.method))
    operation = operations(schema)[(call.http_method, shape(call.path))]
    for parameter in operation.get("parameters", []):
        values = _literals(hints.get(parameter["name"]))
        if values:
            assert values <= _enum(schema, parameter["schema"]), parameter["name"]
