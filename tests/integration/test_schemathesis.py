"""Schemathesis over the app's own /openapi.json, in-process: every operation, with a valid token (a user of a
tenant that holds a location, a charger, a command and a job, so that requests reach real data) and with an
invalid one, with valid and invalid inputs. No answer is a server error, and every documented answer matches
its schema.

Generated cases alone rarely name a real resource (random ids are 404s) or leave out the optional
X-Organization-Id header (a user token that sends it is a 403), so half of the valid-token cases are made
realistic: the tenant's own ids in the path and in command targets, no X-Organization-Id.

One 5xx is the contract, not a failure: a single-charger command that gets no outcome in time answers the
documented 504 `command_timeout` (no bridge runs here, so every accepted one does).

Bounded: a few examples per operation and mode, derandomized (the same cases on every run, so CI is
stable); set LEDGER_FUZZ_EXAMPLES (and LEDGER_FUZZ_SEED for other cases) to explore further.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.context import Context
from tests.conftest import Api, issue_token, new_charger, new_location

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("LEDGER_FUZZ_SEED")  # set: other cases than CI's (which are derandomized)
# (token, generation mode, examples per operation)
RUNS = [
    ("valid", GenerationMode.POSITIVE, EXAMPLES),
    ("valid", GenerationMode.NEGATIVE, EXAMPLES),
    ("invalid", GenerationMode.POSITIVE, max(2, EXAMPLES // 3)),
]


@dataclass(frozen=True)
class Known:
    """Real resources of the tenant."""

    values: dict[str, str]

    def path_parameters(self, operation: Any) -> dict[str, str]:
        names = {p.name for p in operation.path_parameters}
        return {name: value for name, value in self.values.items() if name in names}

    def realistic(self, case: Any) -> Any:
        """The case aimed at the tenant's own resources, as its user would send it."""
        case.path_parameters = {**(case.path_parameters or {}), **self.path_parameters(case.operation)}
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-organization-id"}
        if isinstance(case.body, dict):
            body = dict(case.body)
            if isinstance(body.get("target"), dict):
                body["target"] = {"charger_id": self.values["charger_id"]}
            if isinstance(body.get("charger_ids"), list):
                body["charger_ids"] = [self.values["charger_id"], *body["charger_ids"][:2]]
            case.body = body
        return case


def prepare(api: Api, run: int) -> Known:
    location_id = new_location(api, f"Fuzz {run}")
    charger_id = new_charger(api, f"FUZZ-{run}", location_id)
    plugged = api.post(
        "/ocpp/commands/plug-connector", json={"target": {"charger_id": charger_id}, "event": {}}
    )
    assert plugged.status_code == 202, plugged.text
    template = {"brand_slug": "abb", "model_slug": "terra-184", "ws_url": "ws://127.0.0.1:9/x"}
    job = api.post(
        f"/ocpp/locations/{location_id}/chargers", json=[{"template": template, "chargers_number": 1}]
    )
    assert job.status_code == 202, job.text
    return Known(
        {
            "location_id": location_id,
            "charger_id": charger_id,
            "command_id": plugged.json()["results"][0]["command"]["id"],
            "job_id": job.json()["job_id"],
            "brand_slug": "abb",
            "model_slug": "terra-184",
        }
    )


T = TypeVar("T")
E = TypeVar("E", bound=Exception)


def found(result: Ok[T] | Err[E]) -> T:
    """The operation a schema loader found, or its error raised."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def without_lifespan(app: Any) -> Callable[..., Any]:
    """The app for schemathesis' in-process transport; the test client's `with` block runs its lifespan."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # "no lifespan support": schemathesis then starts nothing of its own
        await app(scope, receive, send)

    return asgi


def documented_timeout(case: Any, response: Any) -> bool:
    if response.status_code != 504 or "504" not in case.operation.definition.raw.get("responses", {}):
        return False
    try:
        return response.json().get("code") == "command_timeout"
    except ValueError:
        return False


def fuzz(
    operation: Any,
    app: Any,
    headers: dict[str, str],
    mode: GenerationMode,
    known: Known | None,
    n: int,
    statuses: Counter[tuple[str, int]],
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    if known is not None:
        strategy = st.one_of(strategy, strategy.map(known.realistic))

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @seed(int(SEED or 0))
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(app=app, headers=headers)
        statuses[(operation.label, response.status_code)] += 1
        checks = [response_schema_conformance]
        if not documented_timeout(case, response):
            checks.append(not_a_server_error)
        case.validate_response(response, checks=checks)

    run()


# The app's own threads (projection runners, the database pool) may use `random` while a case is drawn;
# that does not make the drawn cases depend on it.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
def test_every_operation_answers_without_server_errors_and_as_documented(
    client: TestClient, context: Context, api: Api
) -> None:
    context.settings.command_timeout_seconds = 0.05  # no bridge: accepted commands time out, quickly
    app = without_lifespan(client.app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tokens = {"valid": issue_token(context, "acme"), "invalid": "not-a-valid-token"}
    # Deletions last, so that the other operations of a run find the tenant's resources.
    operations = sorted(
        (found(result) for result in schema.get_all_operations()),
        key=lambda op: op.method.upper() == "DELETE",
    )
    assert len(operations) >= 45

    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    for number, (token, mode, examples) in enumerate(RUNS):
        known = prepare(api, number) if token == "valid" else None
        headers = {"Authorization": f"Bearer {tokens[token]}"}
        for operation in operations:
            try:
                fuzz(operation, app, headers, mode, known, examples, statuses)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (e.g. /healthz)
            except Exception as error:  # collect them all: one report lists every broken operation
                failures.append(f"{operation.label} [{token} token, {mode.value}]: {error}"[:3000])
    for operation in operations:  # what was reached (shown with -s)
        seen = sorted((status, n) for (label, status), n in statuses.items() if label == operation.label)
        print(f"{operation.label}: {', '.join(f'{status}x{n}' for status, n in seen)}")
    assert not failures, f"{len(failures)} failing runs:\n\n" + "\n\n".join(failures)


# --- what the fuzzing found, kept as plain regression cases --------------------------------------------

HUGE = str(10**19)  # past a 64-bit SQL integer
OUT_OF_UTC = "9999-12-31T23:59:59-05:00"  # valid ISO-8601, past datetime.max once in UTC
FOUND = [
    ("page past a 64-bit offset", "GET", "/ocpp/locations?page=" + HUGE, None, ["query", "page"]),
    ("page of the commands list", "GET", "/ocpp/commands?page=" + HUGE, None, ["query", "page"]),
    ("log offset", "GET", "/ocpp/chargers/{charger}/logs?offset=" + HUGE, None, ["query", "offset"]),
    (
        "log start",
        "GET",
        "/ocpp/chargers/{charger}/logs?start_date=" + OUT_OF_UTC,
        None,
        ["query", "start_date"],
    ),
    ("analytics since", "GET", "/analytics/commands?since=" + OUT_OF_UTC, None, ["query", "since"]),
    (
        "Infinity in a body",
        "POST",
        "/ocpp/commands/power-update",
        '{"target":{"charger_id":"{charger}"},"event":{"power_w":Infinity}}',
        ["body", "event", "power_w"],
    ),
    (
        "NaN in a body",
        "POST",
        "/ocpp/locations",
        '{"name":"x","coordinates":{"latitude":NaN,"longitude":1}}',
        ["body", "coordinates", "latitude"],
    ),
    (
        "a meter start past a 64-bit register",
        "POST",
        "/ocpp/commands/start-transaction",
        '{"target":{"charger_id":"{charger}"},"event":{"connector_id":1,"id_tag":"T","meter_start_wh":'
        + HUGE
        + "}}",
        ["body", "event", "meter_start_wh"],
    ),
    # NUL: PostgreSQL text cannot hold it; in a recorded event it stopped the read models for good
    ("NUL in a charger id", "GET", "/ocpp/chargers/a%00b", None, ["path", "charger_id"]),
    (
        "NUL in charger_ids",
        "DELETE",
        "/ocpp/locations/{location}/chargers?charger_ids=a%00b",
        None,
        ["query", "charger_ids", 0],
    ),
    ("NUL in a log filter", "GET", "/ocpp/chargers/{charger}/logs?event=a%00b", None, ["query", "event"]),
    ("NUL in a location name", "POST", "/ocpp/locations", '{"name":"a\\u0000b"}', ["body", "name"]),
    (
        "NUL in a command",
        "POST",
        "/ocpp/commands/configuration",
        '{"target":{"charger_id":"{charger}"},"event":{"configuration":[{"key":"K","value":"\\u0000"}]}}',
        ["body", "event"],
    ),
    (
        "NUL in a template",
        "POST",
        "/ocpp/locations/{location}/chargers",
        '[{"template":{"brand_slug":"abb","model_slug":"terra-184","ws_url":"ws://h/x","template_name":"\\u0000"},'
        '"chargers_number":1}]',
        ["body", 0, "template"],
    ),
]


@pytest.mark.parametrize(("case", "method", "path", "body", "loc"), FOUND, ids=[f[0] for f in FOUND])
def test_inputs_that_answered_500_are_refused_with_a_422_naming_the_field(
    api: Api, case: str, method: str, path: str, body: str | None, loc: list[str]
) -> None:
    location_id = new_location(api)
    charger_id = new_charger(api, "CP-1", location_id)

    def fill(text: str) -> str:
        return text.replace("{charger}", charger_id).replace("{location}", location_id)

    response = api.request(
        method,
        fill(path),
        content=None if body is None else fill(body),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


def test_a_nul_in_the_idempotency_key_is_refused(api: Api) -> None:
    response = api.post("/ocpp/locations", json={"name": "x"}, headers={"Idempotency-Key": "a\x00b"})
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["header", "Idempotency-Key"]]
