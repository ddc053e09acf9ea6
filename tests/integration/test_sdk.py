"""OCPPLAB's own Python SDK (PyPI `ocpplab`, installed by `make`) as a client of `ocpp-ledger serve`: every
call of its seven clients, sync and async, with nothing changed but the base URL, parses into its typed
model, and what it asks for happens: frames at the test CSMS, state in the ledger.

0.2.1 and 0.2.2 differ only in the version string they send (User-Agent, X-Fern-SDK-Version): their
clients and models are the same files (the last test here checks it), so one run covers both.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import inspect
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ocpplab
import pytest
from ocpplab import AsyncOcpplabSDK, OcpplabSDK
from ocpplab.errors import NotFoundError, UnauthorizedError, UnprocessableEntityError
from ocpplab.types import (
    AuthorizeIdTagCommandEvent,
    ChargerCommandTarget,
    ChargerGroup,
    ChargerTemplate,
    ClearFaultEvent,
    CommandTarget,
    ConfigurationUpdateEvent,
    ConnectorCommandEvent,
    Coordinates,
    EmptyEvent,
    HttpErrorResponse,
    InjectFaultEvent,
    LocalAuthListEntry,
    LocalAuthListEvent,
    PowerUpdateCommandEvent,
    ProxyMessageEvent,
    StartSessionCommandEvent,
    StartTransactionCommandEvent,
    StopSessionCommandEvent,
    StopTransactionCommandEvent,
    UpdateLocationChargerItem,
)

from ocpp_ledger.demo import DemoCsms
from tests.conftest import IN_CI
from tests.integration.test_openapi import SDK_CALLS
from tests.process import Server, create_token, ledger_env, serving

__all__ = ["ledger_env"]  # a fixture, used by name
DEADLINE_SECONDS = 20.0


@pytest.fixture
def server(ledger_env: dict[str, str], tmp_path: Path, csms: DemoCsms) -> Iterator[tuple[Server, str]]:
    env = {**ledger_env, "LEDGER_COMMAND_TIMEOUT_SECONDS": "15", "LEDGER_CLOCK_SPEED": "100"}
    token = create_token(env)
    with serving(env, token, tmp_path / "serve.log") as running:
        yield running, token


class Sdk:
    """One SDK client (sync or async), every call through `call` so that the calls made are counted."""

    def __init__(self, client: OcpplabSDK | AsyncOcpplabSDK) -> None:
        self.client = client
        self.called: set[tuple[str, str]] = set()

    async def call(self, group: str, method: str, **arguments: Any) -> Any:
        self.called.add((group, method))
        result = getattr(getattr(self.client, group), method)(**arguments)
        return await result if inspect.isawaitable(result) else result


def until(check: Callable[[], Any], what: str) -> Any:
    """Poll the ledger's HTTP read side (each read waits for the projections) until `check()` holds."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"not in {DEADLINE_SECONDS}s: {what}")


def settled(http: httpx.Client, command_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        detail = http.get(f"/ocpp/commands/{command_id}").json()
        return detail if detail["status"] in ("completed", "failed") else None

    detail = until(done, f"command {command_id} settled")
    assert detail["status"] == "completed", detail
    return detail


def queued_one(answer: Any, charger_id: str) -> str:
    """The one command a fleet answer queued for the charger."""
    assert (answer.targeted_count, answer.queued_count, answer.failed_count) == (1, 1, 0), answer
    [result] = answer.results
    assert result.charger_id == charger_id
    return result.command.id


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_every_sdk_call_works_against_serve_and_does_what_it_says(
    server: tuple[Server, str], csms: DemoCsms, flavour: str
) -> None:
    running, token = server
    base_url = str(running.client.base_url)
    http = running.client
    sdk = Sdk(
        OcpplabSDK(base_url=base_url, token=token)
        if flavour == "sync"
        else AsyncOcpplabSDK(base_url=base_url, token=token)
    )
    call = sdk.call

    def seen(identity: str, action: str, where: Callable[[dict[str, Any]], bool] = lambda p: True) -> int:
        return len([m for m in csms.csms.messages(identity, action) if where(m.payload)])

    def wait_seen(
        identity: str, action: str, count: int, where: Callable[[dict[str, Any]], bool] = lambda p: True
    ) -> None:
        csms.wait_for(lambda: seen(identity, action, where) >= count, DEADLINE_SECONDS)

    # --- health, catalog, templates ---------------------------------------------------------------
    assert await call("health", "health_check") == {"status": "ok"}
    assert "<html" in await call("health", "landing_page")
    brands = await call("catalog", "list_brands", page=1, limit=20)
    assert brands.total >= 10 and "wallbox" in {b.slug for b in brands.data}
    assert (await call("catalog", "list_brands", page=2, limit=3)).data[0].slug == brands.data[3].slug
    models = await call("catalog", "list_models", brand_slug="wallbox", page=1, limit=50)
    assert "wallbox-pulsar-plus" in {m.slug for m in models.data}
    model = await call("catalog", "get_model", brand_slug="wallbox", model_slug="wallbox-pulsar-plus")
    assert (model.current_type, model.connector_count) == ("ac", 1)
    templates = await call("location_templates", "list")
    assert templates["total"] == len(templates["data"]) >= 3
    dc = await call("location_templates", "list", type="DC")
    assert dc["data"] and all(t["type"] == "DC" for t in dc["data"])

    # --- a location (the docstring example) -----------------------------------------------------------
    location = await call(
        "locations",
        "create",
        name="La Defense Charging Hub",
        address="14 Rue de la Paix",
        city="Paris",
        country="FR",
        coordinates=Coordinates(latitude=48.8566, longitude=2.3522),
        timezone="Europe/Paris",
        owner_name="VINCI Autoroutes",
        public=True,
    )
    assert (location.city, location.status) == ("Paris", "active")
    assert [loc.id for loc in (await call("locations", "list")).data] == [location.id]
    changed = await call(
        "locations",
        "update",
        location_id=location.id,
        name="La Defense Charging Hub - West",
        timezone="Europe/Paris",
        public=False,
    )
    assert (changed.name, changed.public) == ("La Defense Charging Hub - West", False)
    assert (await call("locations", "get", location_id=location.id)).name == changed.name
    assert changed.slug == "la-defense-charging-hub-west"  # the slug follows the name, unless given
    renamed = await call("locations", "update", location_id=location.id, slug="defense-west", status="active")
    assert (renamed.slug, renamed.name, renamed.status) == ("defense-west", changed.name, "active")

    # --- a charger (the docstring example, pointed at the test CSMS) ----------------------------------------
    identity = f"CP-SDK-{flavour}"
    accepted = await call(
        "chargers",
        "create",
        identity=identity,
        brand_slug="wallbox",
        model_slug="wallbox-pulsar-plus",
        connector_type="Type2",
        ws_url=csms.url,
        ocpp_version="OCPP1.6",
        charge_point_name="Bay A01",
        location_id=location.id,
        location_name="La Defense Charging Hub",
    )
    assert accepted.status in ("PENDING", "PROVISIONING", "READY")
    charger_id = accepted.charger_id
    wait_seen(identity, "BootNotification", 1)

    async def ready() -> bool:
        status = await call("chargers", "get_status", charger_id=charger_id)
        assert status.status in ("PENDING", "PROVISIONING", "READY")
        return status.status == "READY"

    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await ready():
        assert time.monotonic() < deadline, "charger never READY"
        time.sleep(0.05)
    assert [c.id for c in (await call("chargers", "list", location_id=location.id)).data] == [charger_id]
    updated = await call("chargers", "update", charger_id=charger_id, charge_point_name="Bay A02")
    assert updated.name == "Bay A02"
    assert (await call("chargers", "get", charger_id=identity)).id == charger_id

    # --- fleet commands: one charger, then what the CSMS saw --------------------------------------------
    target = CommandTarget(charger_id=charger_id)
    connector = ConnectorCommandEvent(evse_id=1, connector_id=1)
    queued_one(await call("commands", "plug_connector", target=target, event=connector), charger_id)
    wait_seen(identity, "StatusNotification", 1, lambda p: p["status"] == "Preparing")
    tag = "TAG-RFID-001"
    event: Any = AuthorizeIdTagCommandEvent(id_tag=tag)  # each command's own event type
    queued_one(await call("commands", "authorize_id_tag", target=target, event=event), charger_id)
    wait_seen(identity, "Authorize", 1, lambda p: p["id_tag"] == tag)
    event = StartTransactionCommandEvent(id_tag=tag, evse_id=1, connector_id=1)
    settled(
        http, queued_one(await call("commands", "start_transaction", target=target, event=event), charger_id)
    )
    wait_seen(identity, "StartTransaction", 1)

    def transaction() -> str | None:
        return http.get(f"/ocpp/chargers/{charger_id}").json()["connectors"][0]["transaction_id"]

    transaction_id = until(transaction, "a transaction in the ledger")
    event = PowerUpdateCommandEvent(power_w=7400, evse_id=1, connector_id=1)
    settled(http, queued_one(await call("commands", "power_update", target=target, event=event), charger_id))
    answer = await call("commands", "ev_stops_energy", target=target, event=connector)
    settled(http, queued_one(answer, charger_id))
    wait_seen(identity, "StatusNotification", 1, lambda p: p["status"] == "SuspendedEV")
    answer = await call("commands", "ev_requests_energy", target=target, event=connector)
    settled(http, queued_one(answer, charger_id))
    wait_seen(identity, "StatusNotification", 2, lambda p: p["status"] == "Charging")
    event = StopTransactionCommandEvent(transaction_id=transaction_id)
    settled(
        http, queued_one(await call("commands", "stop_transaction", target=target, event=event), charger_id)
    )
    wait_seen(identity, "StopTransaction", 1, lambda p: str(p["transaction_id"]) == transaction_id)
    # a transaction no charger holds fails that charger, not the request
    unknown = await call(
        "commands",
        "stop_transaction",
        target=target,
        event=StopTransactionCommandEvent(transaction_id="txn-001"),
    )
    assert (unknown.queued_count, unknown.failed[0].identity) == (0, identity)
    assert "txn-001" in unknown.failed[0].error

    answer = await call("commands", "unplug_connector", target=target, event=connector)
    settled(http, queued_one(answer, charger_id))
    assert http.get(f"/ocpp/chargers/{charger_id}").json()["connectors"][0]["plugged"] is False
    event = StartSessionCommandEvent(id_tag=tag, connector_id=1, duration_seconds=300, target_energy_kwh=20.0)
    settled(http, queued_one(await call("commands", "start_session", target=target, event=event), charger_id))
    wait_seen(identity, "StartTransaction", 2)
    event = StopSessionCommandEvent(connector_id=1)
    settled(http, queued_one(await call("commands", "stop_session", target=target, event=event), charger_id))
    wait_seen(identity, "StopTransaction", 2)
    answer = await call("commands", "unlock_connector", target=target, event=connector)
    settled(http, queued_one(answer, charger_id))

    # --- single-charger commands answer with their outcome ---------------------------------------------
    one = ChargerCommandTarget(charger_id=charger_id)
    configured = await call(
        "commands",
        "set_configuration",
        target=one,
        event=ConfigurationUpdateEvent(configuration={"HeartbeatInterval": "30"}),
    )
    assert (configured.status, configured.configured) == ("Accepted", ["HeartbeatInterval"])
    cleared = await call("commands", "reset_auth_cache", target=one, event=EmptyEvent())
    assert cleared.cleared_entries >= 0
    local_list = LocalAuthListEvent(
        list_version=2,
        entries=[
            LocalAuthListEntry(
                id_tag="TAG-RFID-001",
                expiry_date=datetime.datetime.fromisoformat("2026-12-31 23:59:59+00:00"),
            ),
            LocalAuthListEntry(
                id_tag="TAG-RFID-002",
                expiry_date=datetime.datetime.fromisoformat("2026-06-30 23:59:59+00:00"),
            ),
        ],
    )
    sent = await call("commands", "send_local_list", target=one, event=local_list)
    assert (sent.status, sent.list_version, sent.entries_received) == ("Accepted", 2, 2)
    emptied = await call("commands", "clear_local_list", target=one, event=EmptyEvent())
    assert emptied.entries_deleted == 2
    fault = InjectFaultEvent(fault_type="OverCurrent", evse_id=1, connector_id=1)
    raised = await call("commands", "inject_fault", target=one, event=fault)
    assert (raised.fault_type, raised.status, raised.connector_id) == ("OverCurrentFailure", "Faulted", 1)
    wait_seen(identity, "StatusNotification", 1, lambda p: p["error_code"] == "OverCurrentFailure")
    ended = await call(
        "commands", "clear_fault", target=one, event=ClearFaultEvent(evse_id=1, connector_id=1)
    )
    assert ended.status == "Available"
    wait_seen(
        identity,
        "StatusNotification",
        2,
        lambda p: p["status"] == "Available" and p["error_code"] == "NoError",
    )
    proxied = await call(
        "commands",
        "proxy_message",
        target=one,
        event=ProxyMessageEvent(
            action="boot_notification",
            ocpp_version="ocpp1.6",
            payload={"charge_point_vendor": "OCPPLAB", "charge_point_model": "SDK-DC-50"},
        ),
    )
    assert (proxied.event_type, proxied.payload["charge_point_vendor"]) == ("boot_notification", "OCPPLAB")
    wait_seen(identity, "BootNotification", 1, lambda p: p["charge_point_vendor"] == "OCPPLAB")

    logs = await call("chargers", "get_logs", charger_id=charger_id)
    assert logs.total >= 10 and {e.direction for e in logs.data} == {"cp_to_csms", "csms_to_cp"}
    only_boots = await call("chargers", "get_logs", charger_id=charger_id, event="BootNotification")
    assert only_boots.data and {e.action for e in only_boots.data} == {"BootNotification"}

    # --- the charger's runtime (with the body the docstring examples send) ---------------------------
    stopped = await call("chargers", "stop_runtime", charger_id=charger_id, request={"key": "value"})
    assert stopped.event_type == "stop_charger"
    runtime = lambda: http.get(f"/ocpp/chargers/{charger_id}").json()["runtime"]  # noqa: E731
    until(lambda: runtime()["state"] == "stopped" and not runtime()["connected"], "the charger stopped")
    boots = seen(identity, "BootNotification")
    started = await call("chargers", "start_runtime", charger_id=charger_id, request={"key": "value"})
    assert started.event_type == "start_charger"
    wait_seen(identity, "BootNotification", boots + 1)
    reset = await call("chargers", "reset_runtime", charger_id=charger_id, request={"key": "value"})
    assert reset.ocpp_version == "ocpp1.6"
    wait_seen(identity, "BootNotification", boots + 2)

    # --- chargers in the location (the docstring example) -----------------------------------------------
    prefix = f"SITE_{flavour}_"
    job = await call(
        "location_chargers",
        "create",
        location_id=location.id,
        request=[
            ChargerGroup(
                template=ChargerTemplate(
                    brand_slug="schneider",
                    model_slug="evlink-pro-ac-22kw",
                    connector_type="Type2",  # the example's CCS2 is not a connector of this AC model
                    ocpp_version="OCPP1.6",
                    ws_url=csms.url,
                    identity_prefix=prefix,
                    template_name="Bay",
                ),
                charger_ids=["001", "002", "003"],
            )
        ],
    )
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (
        status := await call("location_chargers", "get_bulk_job", location_id=location.id, job_id=job.job_id)
    ).status != "READY":
        assert status.status in ("PENDING", "PROVISIONING"), status
        assert time.monotonic() < deadline, "job never READY"
        time.sleep(0.05)
    created = {c["identity"]: c["charger_id"] for c in status.results["created"]}
    assert sorted(created) == [f"{prefix}001", f"{prefix}002", f"{prefix}003"]
    for site_identity in created:
        wait_seen(site_identity, "BootNotification", 1)
    listed = await call(
        "location_chargers", "list", location_id=location.id, charger_ids=[f"{prefix}001", f"{prefix}002"]
    )
    assert sorted(c.identity for c in listed.data) == [f"{prefix}001", f"{prefix}002"]
    renamed = await call(
        "location_chargers",
        "update",
        location_id=location.id,
        chargers=[
            UpdateLocationChargerItem(charge_point_name="Bay A02", charger_id=created[f"{prefix}001"]),
            UpdateLocationChargerItem(charge_point_name="Bay A03", charger_id=f"{prefix}002"),
            UpdateLocationChargerItem(charge_point_name="Bay A04", charger_id="dep-124"),
        ],
    )
    assert (renamed.updated_count, renamed.failed_count) == (2, 1)
    assert sorted(c.name for c in renamed.updated) == ["Bay A02", "Bay A03"]
    assert renamed.failed[0].charger_id == "dep-124"
    deleted = await call(
        "location_chargers", "delete", location_id=location.id, charger_ids=[f"{prefix}003", "dep-125"]
    )
    assert (deleted.deleted, deleted.failed_count) == ([created[f"{prefix}003"]], 1)
    assert http.get(f"/ocpp/chargers/{prefix}003").status_code == 404

    # a fleet command to the whole location: one per charger
    fleet = await call(
        "commands",
        "plug_connector",
        target=CommandTarget(location_id=location.id),
        event=ConnectorCommandEvent(),
    )
    assert (fleet.targeted_count, fleet.queued_count) == (3, 3)
    for site_identity in (f"{prefix}001", f"{prefix}002"):
        wait_seen(site_identity, "StatusNotification", 1, lambda p: p["status"] == "Preparing")

    # --- the refusals the SDK declares --------------------------------------------------------------------
    with pytest.raises(NotFoundError) as not_found:
        await call("chargers", "get", charger_id="dep-123")
    assert HttpErrorResponse.model_validate(not_found.value.body).detail == "charger dep-123 not found"
    with pytest.raises(UnprocessableEntityError):
        await call("commands", "inject_fault", target=one, event=InjectFaultEvent(fault_type="Gremlins"))
    with pytest.raises(UnprocessableEntityError):
        await call("commands", "power_update", target=target, event=PowerUpdateCommandEvent(power_w=-1))
    wrong = Sdk(
        OcpplabSDK(base_url=base_url, token="olt_wrong")
        if flavour == "sync"
        else AsyncOcpplabSDK(base_url=base_url, token="olt_wrong")
    )
    with pytest.raises(UnauthorizedError) as unauthorized:
        await wrong.call("locations", "list")
    assert HttpErrorResponse.model_validate(unauthorized.value.body).detail == "invalid or revoked token"

    # --- and away ---------------------------------------------------------------------------------
    await call("chargers", "delete", charger_id=charger_id)
    assert http.get(f"/ocpp/chargers/{charger_id}").status_code == 404
    rest = await call("location_chargers", "delete", location_id=location.id)  # every charger left there
    assert sorted(rest.deleted) == sorted([created[f"{prefix}001"], created[f"{prefix}002"]])
    await call("locations", "delete", location_id=location.id)
    assert http.get(f"/ocpp/locations/{location.id}").status_code == 404

    assert sdk.called == {(c.group, c.method) for c in SDK_CALLS}, "every SDK call is made"


def test_the_sdk_drives_an_ocpp_201_charger_with_the_same_calls(
    server: tuple[Server, str], csms: DemoCsms
) -> None:
    """The docstring examples (evse_id=1, connector_id=1, fault OverCurrent) on a 2.0.1 charger: its own
    messages at the CSMS (TransactionEvent, NotifyEvent with the fault's component)."""
    running, token = server
    http = running.client
    client = OcpplabSDK(base_url=str(http.base_url), token=token)
    identity = "CP-SDK-201"
    charger = client.chargers.create(
        identity=identity,
        brand_slug="abb",
        model_slug="terra-184",
        connector_type="CCS2",
        ws_url=csms.url,
        ocpp_version="OCPP2.0.1",
    )
    csms.wait_for(lambda: csms.csms.messages(identity, "BootNotification"), DEADLINE_SECONDS)
    assert csms.csms.messages(identity, "BootNotification")[0].version == "2.0.1"

    def events(kind: str) -> list[dict[str, Any]]:
        return [
            m.payload
            for m in csms.csms.messages(identity, "TransactionEvent")
            if m.payload["event_type"] == kind
        ]

    target = CommandTarget(charger_id=identity)
    connector = ConnectorCommandEvent(evse_id=1, connector_id=1)
    settled(
        http, queued_one(client.commands.plug_connector(target=target, event=connector), charger.charger_id)
    )
    event = StartTransactionCommandEvent(id_tag="TAG-RFID-001", evse_id=1, connector_id=1)
    settled(
        http, queued_one(client.commands.start_transaction(target=target, event=event), charger.charger_id)
    )
    csms.wait_for(
        lambda: any(
            e.get("id_token", {}).get("id_token") == "TAG-RFID-001"
            for e in events("Updated") + events("Started")
        ),
        DEADLINE_SECONDS,
    )

    def transaction() -> str | None:
        return http.get(f"/ocpp/chargers/{charger.charger_id}").json()["connectors"][0]["transaction_id"]

    transaction_id = until(transaction, "a transaction in the ledger")
    stop = StopTransactionCommandEvent(transaction_id=transaction_id)
    settled(http, queued_one(client.commands.stop_transaction(target=target, event=stop), charger.charger_id))
    # 2.0.1: the stop is authorized on the named transaction; it ends when the cable comes out
    csms.wait_for(
        lambda: any(
            e["transaction_info"]["transaction_id"] == transaction_id
            and e["trigger_reason"] == "StopAuthorized"
            for e in events("Updated")
        ),
        DEADLINE_SECONDS,
    )
    settled(
        http, queued_one(client.commands.unplug_connector(target=target, event=connector), charger.charger_id)
    )
    csms.wait_for(
        lambda: any(e["transaction_info"]["transaction_id"] == transaction_id for e in events("Ended")),
        DEADLINE_SECONDS,
    )

    one = ChargerCommandTarget(charger_id=identity)
    raised = client.commands.inject_fault(
        target=one, event=InjectFaultEvent(fault_type="OverCurrent", evse_id=1, connector_id=1)
    )
    assert (raised.fault_type, raised.evse_id, raised.status) == ("OverCurrentFailure", 1, "Faulted")

    def fault_reported() -> bool:
        return any(
            d["component"]["name"] == "OverCurrentProtection"
            for m in csms.csms.messages(identity, "NotifyEvent")
            for d in m.payload["event_data"]
        )

    csms.wait_for(fault_reported, DEADLINE_SECONDS)
    assert client.commands.clear_fault(target=one, event=ClearFaultEvent(evse_id=1, connector_id=1)).status
    configured = client.commands.set_configuration(
        target=one, event=ConfigurationUpdateEvent(configuration={"HeartbeatInterval": "30"})
    )
    assert configured.configured == ["HeartbeatInterval"]
    proxied = client.commands.proxy_message(
        target=one,
        event=ProxyMessageEvent(action="heartbeat", ocpp_version="ocpp2.0.1", payload={}),
    )
    assert proxied.event_type == "heartbeat" and proxied.response["message_type"] == "CALLRESULT"
    with pytest.raises(UnprocessableEntityError):  # a 1.6 message to a 2.0.1 charger
        client.commands.proxy_message(
            target=one, event=ProxyMessageEvent(action="heartbeat", ocpp_version="ocpp1.6", payload={})
        )


def test_sdk_0_2_1_differs_from_the_installed_0_2_2_only_in_its_version_string(tmp_path: Path) -> None:
    """Why one run of the test above covers both versions: every file of 0.2.1 is 0.2.2's, version aside."""
    installed = Path(ocpplab.__file__).parent
    assert importlib.metadata.version("ocpplab") == "0.2.2"
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "ocpplab==0.2.1",
            "-d",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if download.returncode != 0:
        message = f"could not download ocpplab 0.2.1: {download.stderr[-500:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    [wheel] = tmp_path.glob("ocpplab-0.2.1-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        old = {
            name.removeprefix("ocpplab/"): archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("ocpplab/") and name.endswith(".py")
        }
    new = {str(p.relative_to(installed)): p.read_text() for p in installed.rglob("*.py")}
    assert sorted(old) == sorted(new)
    changed = {name for name in old if old[name] != new[name]}
    assert changed == {"core/client_wrapper.py"}
    assert old["core/client_wrapper.py"].replace("0.2.1", "0.2.2") == new["core/client_wrapper.py"]
