"""A request rate limit per API token (token bucket): over it, 429 with Retry-After and a clear error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.context import Context, build_context, upgrade_database
from gateway.limits import RateLimiter
from tests.conftest import Api, Backend, issue_token


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited_context(backend: Backend, clock: FakeClock) -> Iterator[Context]:
    """LEDGER_RATE_LIMIT_PER_SECOND=1, LEDGER_RATE_LIMIT_BURST=2, on a clock the test moves."""
    settings = backend.settings.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 2})
    ctx = build_context(settings)
    upgrade_database(ctx)
    ctx.limiter.clock = clock
    yield ctx
    ctx.read.stop()
    ctx.ledger.close()


@pytest.fixture
def limited_client(limited_context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(limited_context.settings, limited_context)) as client:
        yield client


def test_requests_over_the_limit_answer_429_with_retry_after(
    limited_client: TestClient, limited_context: Context, clock: FakeClock
) -> None:
    api = Api(limited_client, issue_token(limited_context, "acme"))
    assert [api.get("/ocpp/locations").status_code for _ in range(2)] == [200, 200]  # the burst
    refused = api.get("/ocpp/locations")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "rate_limited"
    assert "requests per second" in refused.json()["detail"]
    assert api.post("/ocpp/locations", json={"name": "x"}).status_code == 429  # every route, writes too

    clock.now += 1.0  # one request's worth refilled
    assert api.get("/ocpp/locations").status_code == 200
    assert api.get("/ocpp/locations").status_code == 429


def test_each_token_has_its_own_bucket(limited_client: TestClient, limited_context: Context) -> None:
    first = Api(limited_client, issue_token(limited_context, "acme"))
    second = Api(limited_client, issue_token(limited_context, "acme"))
    for _ in range(3):
        first.get("/ocpp/locations")
    assert first.get("/ocpp/locations").status_code == 429
    assert second.get("/ocpp/locations").status_code == 200


def test_unauthenticated_routes_and_invalid_tokens_are_not_counted(
    limited_client: TestClient, limited_context: Context
) -> None:
    assert all(limited_client.get("/healthz").status_code == 200 for _ in range(5))
    bad = Api(limited_client, "not-a-token")
    assert [bad.get("/ocpp/locations").status_code for _ in range(4)] == [401] * 4


def test_a_zero_rate_turns_the_limit_off(limited_client: TestClient, limited_context: Context) -> None:
    limited_context.limiter.per_second = 0
    api = Api(limited_client, issue_token(limited_context, "acme"))
    assert {api.get("/ocpp/catalog/brands").status_code for _ in range(20)} == {200}


def test_the_default_limit_is_generous(context: Context) -> None:
    assert (context.limiter.per_second, context.limiter.burst) == (200.0, 400)


# --- the bucket ------------------------------------------------------------------------------------


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = FakeClock()
    bucket = RateLimiter(per_second=10, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [None, None, None]
    assert bucket.take("a") == pytest.approx(0.1)
    clock.now += 0.25  # 2.5 requests refilled; the refused one spent nothing
    assert [bucket.take("a") is None for _ in range(3)] == [True, True, False]
    clock.now += 100  # never more than the burst
    assert [bucket.take("a") is None for _ in range(4)] == [True, True, True, False]


def test_full_buckets_are_forgotten_when_there_are_too_many() -> None:
    clock = FakeClock()
    bucket = RateLimiter(per_second=1, burst=2, clock=clock, max_keys=3)
    for key in "abc":
        bucket.take(key)
    clock.now += 10
    bucket.take("d")
    assert set(bucket._buckets) == {"d"}
