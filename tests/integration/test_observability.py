"""Observability: Prometheus /metrics (gateway, read side, bridge) and structured, redacted logs.

Metrics live on one registry per process and keep counting across tests, so every test compares a
scrape after its actions with one before them.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from domain import services
from domain.logs import REDACTED, configure_logging, log_context
from domain.protocol import OcppVersion
from gateway.app import create_app
from gateway.context import Context
from ocpp_bridge.runtime.metrics import serve_metrics
from ocpp_ledger.cli import app as cli
from ocpp_ledger.demo import DemoCsms
from ocpp_ledger.runtime import BridgeThread
from projections.metrics import READ_MODELS
from tests.conftest import Api, issue_token, new_charger, new_location

DOCS = Path(__file__).parents[2] / "docs" / "observability.md"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, sample_labels), v in samples.items() if n == name and wanted <= sample_labels)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Re-check a condition that other threads make true (a scrape, a socket state) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[str]]]:
    """The process's logs as LEDGER_LOG_FORMAT=json writes them (DEBUG and up), for one test."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("json", logging.DEBUG, stream)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- /metrics ----------------------------------------------------------------------------------------


def documented_metrics() -> set[str]:
    """Every metric name in the first column of a table in docs/observability.md."""
    return set(re.findall(r"^\| `(ocpp_ledger_\w+)`", DOCS.read_text(), flags=re.MULTILINE))


def test_metrics_answer_without_a_token_in_the_text_format(client: TestClient) -> None:
    response = client.get("/metrics")  # no Authorization header
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE ocpp_ledger_http_requests_total counter" in response.text


def test_metrics_expose_every_documented_name_and_document_every_exposed_one(client: TestClient) -> None:
    text = client.get("/metrics").text
    exposed = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in text_string_to_metric_families(text)
        if family.name.startswith("ocpp_ledger_")
    }
    documented = documented_metrics()
    assert len(documented) >= 15
    assert documented == exposed


def test_http_requests_are_counted_by_route_template_method_and_status(api: Api, client: TestClient) -> None:
    before = scrape(client)
    assert api.get("/ocpp/chargers/11111111-1111-1111-1111-111111111111").status_code == 404
    assert api.get("/no/such/route").status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/ocpp/chargers/{charger_id}"
    assert delta("ocpp_ledger_http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("ocpp_ledger_http_requests_total", route="<unmatched>", status="404") == 1
    assert delta("ocpp_ledger_http_request_duration_seconds_count", method="GET", route=route) == 1
    assert not any("11111111" in dict(labels).get("route", "") for _, labels in after)


def test_each_accepted_command_is_counted_once_by_event_type(api: Api, client: TestClient) -> None:
    location_id = new_location(api)
    charger_ids = [new_charger(api, f"OBS-{n}", location_id) for n in range(3)]
    before = scrape(client)

    fleet = {"target": {"location_id": location_id}, "event": {"connector_id": 1}}
    headers = {"Idempotency-Key": "plug-all"}
    first = api.post("/ocpp/commands/plug-connector", json=fleet, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["queued_count"] == 3
    replay = api.post("/ocpp/commands/plug-connector", json=fleet, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"  # the same answer, nothing queued again
    configuration = {"configuration": {"HeartbeatInterval": "30"}}
    single = {"target": {"charger_id": charger_ids[0]}, "event": configuration}
    assert api.post("/ocpp/commands/configuration", json=single).status_code == 504  # no bridge: no outcome
    assert api.post(f"/ocpp/chargers/{charger_ids[1]}/stop-charger").status_code == 200
    refused = {"target": {"location_id": "00000000-0000-0000-0000-000000000000"}, "event": {}}
    assert api.post("/ocpp/commands/plug-connector", json=refused).status_code == 404
    after = scrape(client)

    def accepted(samples: Samples, event_type: str | None = None) -> float:
        labels = {} if event_type is None else {"event_type": event_type}
        return value(samples, "ocpp_ledger_commands_accepted_total", **labels)

    assert accepted(after, "plug_connector") - accepted(before, "plug_connector") == 3
    assert accepted(after, "configuration") - accepted(before, "configuration") == 1
    assert accepted(after, "stop_charger") - accepted(before, "stop_charger") == 1
    assert accepted(after) - accepted(before) == 5
    posted = value(
        after, "ocpp_ledger_http_requests_total", route="/ocpp/commands/plug-connector", status="202"
    ) - value(before, "ocpp_ledger_http_requests_total", route="/ocpp/commands/plug-connector", status="202")
    assert posted == 2  # both answers were 202; only the first queued anything


def test_projection_lag_is_reported_per_read_model_and_goes_to_zero_after_catch_up(
    context: Context,
) -> None:
    # The read side is not started: nothing processes these events until catch_up below.
    for n in range(3):
        registration = services.ChargerRegistration(
            identity=f"LAG-{n}",
            brand_slug="abb",
            model_slug="terra-184",
            ws_url="ws://127.0.0.1:9/ocpp",
            ocpp_version=OcppVersion.V16,
        )
        context.ledger.transact(
            partial(
                services.register_charger,
                tenant="acme",
                registration=registration,
                location_id=None,
                requested_by="test",
            )
        )
    scraper = TestClient(create_app(context.settings, context))  # not started: no lifespan
    READ_MODELS.watch(context.read)
    try:
        behind = scrape(scraper)
        head = value(behind, "ocpp_ledger_ledger_head_position")
        assert head == context.read.current_position() > 0
        lags = {
            dict(labels)["projection"]: v
            for (name, labels), v in behind.items()
            if name == "ocpp_ledger_projection_lag_events"
        }
        assert set(lags) == set(context.read.projections)
        assert lags["chargers"] == head
        context.read.catch_up()
        caught_up = scrape(scraper)
        assert all(
            v == 0 for (name, _), v in caught_up.items() if name == "ocpp_ledger_projection_lag_events"
        )
        assert value(caught_up, "ocpp_ledger_projection_batch_seconds_count", projection="chargers") > value(
            behind, "ocpp_ledger_projection_batch_seconds_count", projection="chargers"
        )
    finally:
        READ_MODELS.unwatch(context.read)


def test_a_running_gateway_reports_the_lag_of_its_read_models(api: Api, client: TestClient) -> None:
    new_charger(api, "LAG-RUNNING")
    assert api.get("/ocpp/chargers").status_code == 200  # a read waits for the chargers read model
    samples = scrape(client)
    assert value(samples, "ocpp_ledger_projection_lag_events", projection="chargers") == 0
    assert value(samples, "ocpp_ledger_ledger_head_position") > 0


def test_a_bridge_run_alone_serves_its_metrics_on_its_own_port() -> None:
    server = serve_metrics("127.0.0.1", 0)
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics")
        assert response.status_code == 200
        assert "ocpp_ledger_bridge_connected_chargers" in response.text
        assert "ocpp_ledger_bridge_writer_save_seconds" in response.text
    finally:
        server.shutdown()
        server.server_close()
    usage = CliRunner().invoke(cli, ["bridge", "--help"], env={"COLUMNS": "200"})
    assert usage.exit_code == 0
    assert "--metrics-port" in usage.output


# --- the bridge, the CSMS and the gateway in one process (as `ocpp-ledger serve`) -----------------------


@pytest.fixture
def lab_api(context: Context, csms: DemoCsms) -> Iterator[Api]:
    context.settings.command_timeout_seconds = 15.0  # a single-charger command answers with its outcome
    bridge = BridgeThread(context)
    bridge.start()
    try:
        with TestClient(create_app(context.settings, context)) as client:
            yield Api(client, issue_token(context, "acme"))
    finally:
        bridge.stop()


def create(api: Api, csms: DemoCsms, identity: str, version: str) -> str:
    body = {
        "identity": identity,
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": csms.url,
        "ocpp_version": version,
    }
    response = api.post("/ocpp/chargers", json=body)
    assert response.status_code == 202, response.text
    return response.json()["charger_id"]


def test_bridge_metrics_follow_connections_frames_commands_and_saves(
    lab_api: Api, csms: DemoCsms, log_lines: Callable[[], list[str]]
) -> None:
    client = lab_api.client
    before = scrape(client)
    charger_ids = {
        identity: create(lab_api, csms, identity, version)
        for identity, version in (
            ("OBS-BRIDGE-16", "OCPP1.6"),
            ("OBS-BRIDGE-201", "OCPP2.0.1"),
        )
    }
    for identity in charger_ids:
        csms.wait_for(partial(csms.csms.messages, identity, "StatusNotification"))

    connected = "ocpp_ledger_bridge_connected_chargers"
    assert wait_until(lambda: value(scrape(client), connected) == len(csms.csms.connections) == 2)
    after_boot = scrape(client)
    assert value(after_boot, "ocpp_ledger_bridge_online_chargers") == 2
    assert value(after_boot, "ocpp_ledger_bridge_stations") == 2

    def delta(samples: Samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    frames = "ocpp_ledger_bridge_frames_total"
    sent_boots = delta(
        after_boot, frames, direction="cp_to_csms", message_type="call", action="BootNotification"
    )
    answered_boots = delta(
        after_boot, frames, direction="csms_to_cp", message_type="callresult", action="BootNotification"
    )
    assert sent_boots >= 2
    assert answered_boots >= 2
    assert delta(after_boot, frames, direction="cp_to_csms", action="StatusNotification") >= 3

    target = {"charger_id": charger_ids["OBS-BRIDGE-16"]}
    proxied = lab_api.post(
        "/ocpp/commands/proxy-message",
        json={"target": target, "event": {"action": "data_transfer", "payload": {"vendor_id": "acme"}}},
    )
    assert proxied.status_code == 200, proxied.text
    command_id = proxied.json()["id"]
    finished = scrape(client)
    outcomes = "ocpp_ledger_bridge_commands_total"
    assert delta(finished, outcomes, event_type="proxy_message", status="completed") == 1
    duration = "ocpp_ledger_bridge_command_duration_seconds_count"
    assert delta(finished, duration, event_type="proxy_message") == 1
    assert delta(finished, frames, direction="cp_to_csms", message_type="call", action="DataTransfer") == 1
    assert delta(finished, "ocpp_ledger_bridge_writer_save_seconds_count") > 0
    assert delta(finished, "ocpp_ledger_bridge_writer_events_per_save_sum") > 0

    # The charger's records of that command carry its id: the gateway's and the bridge's.
    records = [json.loads(line) for line in log_lines()]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    of_command = [r for r in records if r.get("command_id") == command_id]
    assert {r["logger"] for r in of_command} >= {"gateway.metrics", "ocpp_bridge.runtime.station"}
    assert all(r["identity"] == "OBS-BRIDGE-16" for r in of_command)
    assert all(r["charger_id"] == charger_ids["OBS-BRIDGE-16"] for r in of_command)
    assert any("completed" in r["message"] for r in of_command)

    # A stopped charger is no longer connected.
    assert lab_api.post(f"/ocpp/chargers/{charger_ids['OBS-BRIDGE-201']}/stop-charger").status_code == 200
    assert wait_until(lambda: value(scrape(client), connected) == len(csms.csms.connections) == 1)
    assert value(scrape(client), "ocpp_ledger_bridge_online_chargers") == 1


# --- logs --------------------------------------------------------------------------------------------


def test_json_logs_are_one_object_per_line_with_the_known_context(log_lines: Callable[[], list[str]]) -> None:
    log = logging.getLogger("ocpp_bridge.test")
    log.info("outside any command")
    with log_context(charger_id="c-1", identity="CP-1"), log_context(command_id="cmd-1"):
        log.warning("inside %s", "a command", extra={"event_type": "plug_connector"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")
    records = [json.loads(line) for line in log_lines() if '"ocpp_bridge.test"' in line]
    assert [r["message"] for r in records] == ["outside any command", "inside a command", "it failed"]
    assert "command_id" not in records[0]
    assert records[1]["level"] == "WARNING"
    assert records[1]["logger"] == "ocpp_bridge.test"
    assert records[1]["time"].endswith("+00:00")
    assert (records[1]["command_id"], records[1]["charger_id"], records[1]["identity"]) == (
        "cmd-1",
        "c-1",
        "CP-1",
    )
    assert records[1]["event_type"] == "plug_connector"
    assert "ValueError: boom" in records[2]["exc_info"]


def test_a_token_used_in_a_request_never_appears_in_the_logs(
    api: Api, context: Context, log_lines: Callable[[], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.headers["Authorization"].removeprefix("Bearer ")
    location_id = new_location(api)
    assert api.get(f"/ocpp/locations/{location_id}").status_code == 200
    stranger = "olt_" + "x" * 43
    assert api.get("/ocpp/locations", headers={"Authorization": f"Bearer {stranger}"}).status_code == 401
    assert token not in "\n".join(log_lines())
    assert token not in caplog.text
    assert stranger not in caplog.text

    # Even a careless line that logs the headers, or the token itself, is written redacted.
    careless = logging.getLogger("gateway.careless")
    careless.warning("request headers: %s", api.headers)
    careless.warning("Authorization: Bearer %s", stranger)
    careless.error("token %s rejected", token, extra={"header": f"Bearer {token}"})
    written = "\n".join(log_lines())
    assert token not in written
    assert stranger not in written
    assert written.count(REDACTED) >= 4


def test_text_logs_carry_the_context_and_are_redacted_too() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("text", logging.INFO, stream)
    try:
        with log_context(command_id="cmd-9", identity="CP-9"):
            logging.getLogger("gateway.test").info("queued with olt_secretsecret")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    line = stream.getvalue().strip()
    assert line.endswith(f"INFO gateway.test queued with olt_{REDACTED} [command_id=cmd-9 identity=CP-9]")
