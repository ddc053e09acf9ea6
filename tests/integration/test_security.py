"""Chargers connect securely: wss:// with certificate verification on by default (off only for a charger that
opts out, for a self-signed lab CSMS) and OCPP security profiles 1/2 (HTTP Basic `identity:password` on the
upgrade). The password is write-only: never in an API response, a log line or an exported recording.

The CSMS is the test CSMS over real sockets, serving a self-signed certificate made here with `openssl`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain import services
from domain.chargepoint import ChargePoint
from domain.charger import Charger, ChargerSettings
from domain.ids import charge_point_id
from domain.protocol import OcppVersion
from gateway.app import create_app
from gateway.context import Context
from ocpp_bridge.lab.csms import Csms
from ocpp_bridge.lab.csms_ca import CertificateAuthority
from ocpp_bridge.runtime.security import tls_context
from replays.export import Slice, export
from replays.recording import read_header, verify
from tests.conftest import CSMS_URL, IN_CI, Api, issue_token, new_location
from tests.lab import Lab, running_lab

PASSWORD = "s3cret-Lab-Passw0rd"  # 19 characters
OTHER_PASSWORD = "another-16-chars-pw"


# --- a self-signed certificate -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(certificate, key) of a self-signed certificate for localhost and 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        message = "the openssl command is needed to make a self-signed certificate"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
async def tls_lab(context: Context, server_tls: ssl.SSLContext) -> AsyncIterator[Lab]:
    async with running_lab(context, ssl_context=server_tls) as lab:
        yield lab


@pytest.fixture
async def auth_lab(context: Context) -> AsyncIterator[Lab]:
    """A ws:// CSMS that demands Basic auth (security profile 1)."""
    basic_auth = {"CP-AUTH": PASSWORD, "CP-WRONG": PASSWORD, "CP-FIXED": PASSWORD}
    async with running_lab(context, basic_auth=basic_auth) as lab:
        yield lab


async def failed_connections(lab: Lab, charger_id: UUID, at_least: int, timeout: float = 10.0) -> list[Any]:
    """The charger's recorded disconnections once there are `at_least` (each a failed attempt here)."""
    stream = charge_point_id(charger_id)
    found: list[Any] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = [e for e in lab.events(ChargePoint.Disconnected) if e.originator_id == stream]
        if len(found) >= at_least:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(found)} failed connections recorded, expected {at_least}")


# --- TLS ---------------------------------------------------------------------------------------------


async def test_a_charger_verifying_certificates_refuses_a_self_signed_csms_and_keeps_retrying(
    tls_lab: Lab,
) -> None:
    assert tls_lab.csms.url.startswith("wss://")
    charger = await tls_lab.register("CP-TLS")  # tls_verify defaults to true
    failures = await failed_connections(tls_lab, charger, at_least=3)
    assert all("CERTIFICATE_VERIFY_FAILED" in e.reason for e in failures), [e.reason for e in failures]
    assert all(e.retry_in_seconds is not None for e in failures)  # it keeps retrying
    assert not tls_lab.csms.messages("CP-TLS")
    assert not tls_lab.events(ChargePoint.Connected)
    # One security event for the run of failures, queued for when the charger gets through.
    queued = [
        e
        for e in tls_lab.events(ChargePoint.TransactionMessageQueued)
        if e.originator_id == charge_point_id(charger)
    ]
    assert [e.payload["type"] for e in queued] == ["InvalidCentralSystemCertificate"]


async def test_a_charger_that_opts_out_of_verification_connects_to_a_self_signed_csms(tls_lab: Lab) -> None:
    await tls_lab.register("CP-LAB", tls_verify=False)
    await tls_lab.booted("CP-LAB")
    assert tls_lab.csms.messages("CP-LAB", "BootNotification")


async def test_a_charger_verifying_certificates_connects_when_the_csms_certificate_is_trusted(
    tls_lab: Lab, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system trust store is OpenSSL's default paths; SSL_CERT_FILE points them at our certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    tls_context.cache_clear()
    try:
        await tls_lab.register("CP-TRUSTED")
        await tls_lab.booted("CP-TRUSTED")
    finally:
        tls_context.cache_clear()


# --- security profiles 1 and 2 -------------------------------------------------------------------------


async def test_security_profile_1_sends_basic_auth_that_the_csms_accepts(auth_lab: Lab) -> None:
    await auth_lab.register("CP-AUTH", basic_auth_password=PASSWORD)
    await auth_lab.booted("CP-AUTH")
    assert auth_lab.csms.refused == []


async def test_a_wrong_password_is_refused_with_401_and_the_charger_keeps_retrying(auth_lab: Lab) -> None:
    charger = await auth_lab.register("CP-WRONG", basic_auth_password=OTHER_PASSWORD)
    failures = await failed_connections(auth_lab, charger, at_least=2)
    assert all("401" in e.reason for e in failures), [e.reason for e in failures]
    assert all(e.retry_in_seconds is not None for e in failures)
    assert ("CP-WRONG", "wrong password") in auth_lab.csms.refused
    assert not auth_lab.csms.messages("CP-WRONG")


async def test_a_charger_without_a_password_is_refused_by_a_csms_that_demands_one(auth_lab: Lab) -> None:
    charger = await auth_lab.register("CP-AUTH")
    await failed_connections(auth_lab, charger, at_least=1)
    assert ("CP-AUTH", "no Authorization header") in auth_lab.csms.refused


async def test_changing_the_password_reconnects_with_the_new_one(auth_lab: Lab) -> None:
    charger = await auth_lab.register("CP-FIXED", basic_auth_password=OTHER_PASSWORD)
    await failed_connections(auth_lab, charger, at_least=1)
    await asyncio.to_thread(
        auth_lab.ctx.ledger.transact,
        lambda uow: services.update_charger(uow, "acme", charger, {"basic_auth_password": PASSWORD}, "test"),
    )
    await auth_lab.booted("CP-FIXED")
    # The refusals are one security event, queued offline and delivered after the boot.
    (event,) = auth_lab.csms.messages("CP-FIXED", "SecurityEventNotification")
    assert event.payload["type"] == "FailedToAuthenticateAtCentralSystem"
    assert "401" in event.payload["tech_info"]


async def test_security_profile_2_is_basic_auth_over_tls(
    context: Context, server_tls: ssl.SSLContext
) -> None:
    async with running_lab(context, ssl_context=server_tls, basic_auth={"CP-SP2": PASSWORD}) as lab:
        await lab.register("CP-SP2", tls_verify=False, basic_auth_password=PASSWORD)
        await lab.booted("CP-SP2")
        assert lab.csms.refused == []


# --- security profile 3: the client certificate a CSMS signed -------------------------------------------


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
async def test_security_profile_3_after_certificate_signed_the_charger_reconnects_with_its_certificate(
    context: Context, certificate: tuple[Path, Path], version: OcppVersion
) -> None:
    """A wss:// CSMS that asks for client certificates of its CA: the charger connects without one (profile
    2), the CSMS has its CSR signed, and the charger reconnects presenting the new certificate; a CSMS that
    requires one (profile 3 only) accepts it too."""
    ca = CertificateAuthority.create()

    def server(verify: ssl.VerifyMode) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cadata=ca.pem)
        context.load_cert_chain(*certificate)
        context.verify_mode = verify
        return context

    async with running_lab(context, ssl_context=server(ssl.CERT_OPTIONAL), ca=ca) as lab:
        charger = await lab.register("CP-SP3", version, tls_verify=False)
        await lab.booted("CP-SP3")
        assert "CP-SP3" not in lab.csms.client_certificates
        trigger: Any = (
            call16.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")
            if version is OcppVersion.V16
            else call201.TriggerMessage(requested_message="SignChargingStationCertificate")
        )
        assert (await lab.csms.call("CP-SP3", trigger)).status == "Accepted"
        await lab.csms.wait_for(lambda: lab.csms.connects.get("CP-SP3") == 2)
        assert lab.csms.signed == [("CP-SP3", "Accepted")]
        assert lab.csms.client_certificates["CP-SP3"].endswith("commonName=CP-SP3")

        strict = Csms(ssl_context=server(ssl.CERT_REQUIRED), ca=ca)
        await strict.start()
        try:
            await asyncio.to_thread(
                lab.ctx.ledger.transact,
                lambda uow: services.update_charger(uow, "acme", charger, {"ws_url": strict.url}, "test"),
            )
            await strict.wait_for(lambda: strict.messages("CP-SP3", "BootNotification"))
            assert strict.client_certificates["CP-SP3"].endswith("commonName=CP-SP3")
        finally:
            await strict.stop()
        assert not strict.violations


async def test_the_root_of_the_current_tls_connection_cannot_be_deleted(
    tls_lab: Lab, certificate: tuple[Path, Path]
) -> None:
    """DeleteCertificate answers Failed for the CSMS root that the charger's wss:// connection relies on
    (here the CSMS's self-signed certificate, installed as its root): it would cut itself off."""
    await tls_lab.register("CP-ROOT", tls_verify=False)
    await tls_lab.booted("CP-ROOT")
    root = certificate[0].read_text()
    kind = "CentralSystemRootCertificate"
    installed = await tls_lab.csms.call(
        "CP-ROOT", call16.InstallCertificate(certificate_type=kind, certificate=root)
    )
    assert installed.status == "Accepted"
    listed = await tls_lab.csms.call("CP-ROOT", call16.GetInstalledCertificateIds(certificate_type=kind))
    (hash_data,) = listed.certificate_hash_data
    deleted = await tls_lab.csms.call("CP-ROOT", call16.DeleteCertificate(certificate_hash_data=hash_data))
    assert deleted.status == "Failed"


async def test_a_csms_that_requires_a_client_certificate_refuses_a_charger_without_one(
    context: Context, certificate: tuple[Path, Path]
) -> None:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cadata=CertificateAuthority.create().pem)
    server.load_cert_chain(*certificate)
    server.verify_mode = ssl.CERT_REQUIRED
    async with running_lab(context, ssl_context=server) as lab:
        charger = await lab.register("CP-NOCERT", tls_verify=False)
        failures = await failed_connections(lab, charger, at_least=1)
        assert all(e.retry_in_seconds is not None for e in failures)
        assert not lab.csms.messages("CP-NOCERT")


# --- the password is write-only --------------------------------------------------------------------


def secrets_in(text: str, identity: str) -> list[str]:
    """The forms of the password found in `text`: itself and the Basic auth credentials."""
    encoded = base64.b64encode(f"{identity}:{PASSWORD}".encode()).decode()
    return [form for form in (PASSWORD, encoded) if form in text]


async def test_the_password_never_appears_in_responses_logs_or_recordings(
    context: Context, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # websockets logs every handshake header at DEBUG
    api = Api(TestClient(create_app(context.settings, context)), issue_token(context, "acme"))

    async def call(method: str, url: str, **kwargs: Any) -> Any:
        response = await asyncio.to_thread(api.request, method, url, **kwargs)
        responses.append(response.text)
        return response

    responses: list[str] = []
    async with running_lab(context, basic_auth={"CP-SECRET": PASSWORD}) as lab:
        location_id = await asyncio.to_thread(new_location, api)
        created = await call(
            "POST",
            "/ocpp/chargers",
            json={
                "identity": "CP-SECRET",
                "brand_slug": "abb",
                "model_slug": "terra-184",
                "ws_url": lab.csms.url,
                "location_id": location_id,
                "basic_auth_password": PASSWORD,
            },
        )
        assert created.status_code == 202, created.text
        charger_id = created.json()["charger_id"]
        await lab.booted("CP-SECRET")

        charger = (await call("GET", f"/ocpp/chargers/{charger_id}")).json()
        assert (charger["security_profile"], charger["tls_verify"]) == (1, True)
        assert "basic_auth_password" not in charger
        await call("GET", "/ocpp/chargers")
        await call("GET", f"/ocpp/locations/{location_id}/chargers")
        await call("GET", f"/ocpp/chargers/{charger_id}/logs")
        renamed = await call("PUT", f"/ocpp/chargers/{charger_id}", json={"charge_point_name": "Secret"})
        assert renamed.status_code == 200, renamed.text
        # A refused password is not echoed back either, nor is one beside a refused field.
        short = await call("PUT", f"/ocpp/chargers/{charger_id}", json={"basic_auth_password": PASSWORD[:10]})
        assert short.status_code == 422
        await call("POST", "/ocpp/chargers", json={"basic_auth_password": PASSWORD})
        await call("PUT", f"/ocpp/chargers/{charger_id}", json={"basic_auth_password": PASSWORD, "x": 1})
        await call(
            "POST",
            f"/ocpp/locations/{location_id}/chargers",
            json=[{"template": {"basic_auth_password": PASSWORD}, "chargers_number": 1}],
        )

        recording = tmp_path / "secret.jsonl"
        await asyncio.to_thread(export, lab.ctx.read.db, Slice(charger_ids=[UUID(charger_id)]), recording)

    text = recording.read_text()
    assert secrets_in(text, "CP-SECRET") == []
    lines = text.splitlines()
    assert verify(iter(line.encode() + b"\n" for line in lines[1:]), read_header(lines[0])) is None
    registered = [
        json.loads(line) for line in lines[1:] if json.loads(line)["type"] == Charger.Registered.TOPIC
    ]
    assert registered[0]["fields"]["settings"]["_data_"]["basic_auth_password"] == "***"

    assert secrets_in("\n".join(responses), "CP-SECRET") == []
    assert secrets_in(caplog.text, "CP-SECRET") == []
    assert "Authorization: <redacted>" in caplog.text  # the handshake was logged, masked


# --- the API -----------------------------------------------------------------------------------------


def charger_body(identity: str, **overrides: object) -> dict[str, object]:
    return {
        "identity": identity,
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": CSMS_URL,
        **overrides,
    }


@pytest.mark.parametrize(
    ("ws_url", "password", "profile"),
    [
        ("ws://csms.example:9/ocpp", None, 0),
        ("wss://csms.example:9/ocpp", None, 0),
        ("ws://csms.example:9/ocpp", PASSWORD, 1),
        ("wss://csms.example:9/ocpp", PASSWORD, 2),
    ],
)
def test_the_api_reports_the_security_profile_and_never_the_password(
    api: Api, ws_url: str, password: str | None, profile: int
) -> None:
    body = charger_body("CP-1", ws_url=ws_url, basic_auth_password=password)
    created = api.post("/ocpp/chargers", json=body)
    assert created.status_code == 202, created.text
    charger = api.get(f"/ocpp/chargers/{created.json()['charger_id']}").json()
    assert (charger["security_profile"], charger["tls_verify"]) == (profile, True)
    assert "basic_auth_password" not in charger


def test_tls_verify_and_the_password_can_be_changed_and_the_password_cleared(api: Api) -> None:
    charger_id = api.post("/ocpp/chargers", json=charger_body("CP-1")).json()["charger_id"]
    url = f"/ocpp/chargers/{charger_id}"
    changed = api.put(url, json={"tls_verify": False, "basic_auth_password": PASSWORD})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["security_profile"], changed.json()["tls_verify"]) == (1, False)
    secured = api.put(url, json={"ws_url": "wss://csms.example/ocpp"}).json()
    assert secured["security_profile"] == 2
    kept = api.put(url, json={"tls_verify": None, "charge_point_name": "x"}).json()  # null: unchanged
    assert (kept["security_profile"], kept["tls_verify"]) == (2, False)
    cleared = api.put(url, json={"basic_auth_password": None}).json()
    assert cleared["security_profile"] == 0


def test_the_bulk_template_and_the_bulk_update_carry_the_security_settings(api: Api) -> None:
    location_id = new_location(api)
    template = {
        "brand_slug": "abb",
        "model_slug": "terra-184",
        "ws_url": "wss://csms.example/ocpp",
        "identity_prefix": "SEC-",
        "tls_verify": False,
        "basic_auth_password": PASSWORD,
    }
    job = api.post(
        f"/ocpp/locations/{location_id}/chargers", json=[{"template": template, "chargers_number": 2}]
    )
    assert job.status_code == 202, job.text
    chargers = api.get(f"/ocpp/locations/{location_id}/chargers").json()["data"]
    assert [(c["security_profile"], c["tls_verify"]) for c in chargers] == [(2, False), (2, False)]
    updated = api.put(
        f"/ocpp/locations/{location_id}/chargers",
        json={"chargers": [{"charger_id": c["id"], "tls_verify": True} for c in chargers]},
    )
    assert updated.status_code == 200, updated.text
    chargers = api.get(f"/ocpp/locations/{location_id}/chargers").json()["data"]
    assert [(c["security_profile"], c["tls_verify"]) for c in chargers] == [(2, True), (2, True)]


@pytest.mark.parametrize("password", ["x" * 15, "x" * 41, ""])
def test_a_password_outside_16_to_40_characters_is_refused_naming_the_field(api: Api, password: str) -> None:
    created = api.post("/ocpp/chargers", json=charger_body("CP-1", basic_auth_password=password))
    assert created.status_code == 422
    assert [e["loc"] for e in created.json()["detail"]] == [["body", "basic_auth_password"]]
    assert created.json()["detail"][0]["input"] == "***"  # not echoed back

    charger_id = api.post("/ocpp/chargers", json=charger_body("CP-2")).json()["charger_id"]
    updated = api.put(f"/ocpp/chargers/{charger_id}", json={"basic_auth_password": password})
    assert updated.status_code == 422
    assert [e["loc"] for e in updated.json()["detail"]] == [["body", "basic_auth_password"]]

    location_id = new_location(api)
    bulk = api.put(
        f"/ocpp/locations/{location_id}/chargers",
        json={"chargers": [{"charger_id": charger_id, "basic_auth_password": password}]},
    )
    assert bulk.status_code == 422
    assert [e["loc"] for e in bulk.json()["detail"]] == [["body", "chargers", 0, "basic_auth_password"]]


def test_an_identity_with_a_colon_cannot_use_basic_auth(api: Api) -> None:
    created = api.post("/ocpp/chargers", json=charger_body("CP:1", basic_auth_password=PASSWORD))
    assert created.status_code == 422
    assert [e["loc"] for e in created.json()["detail"]] == [["body", "basic_auth_password"]]
    location_id = new_location(api)
    template = {**charger_body("x"), "identity_prefix": "A:", "basic_auth_password": PASSWORD}
    del template["identity"]
    bulk = api.post(
        f"/ocpp/locations/{location_id}/chargers", json=[{"template": template, "chargers_number": 1}]
    )
    assert bulk.status_code == 422
    assert [e["loc"] for e in bulk.json()["detail"]] == [["body", 0, "template", "basic_auth_password"]]


# --- older events --------------------------------------------------------------------------------------


def test_settings_recorded_before_the_security_fields_still_decode(context: Context) -> None:
    """A Registered event stored without tls_verify/basic_auth_password decodes to the defaults, and a
    charger that does not use them is stored exactly as before (a previous release decodes it too)."""
    old = {"name": "CP-OLD", "connector_type": "CCS2", "ocpp_version": "OCPP1.6", "ws_url": CSMS_URL}
    transcoder = context.ledger.mapper.transcoder
    stored_before = json.dumps(
        {"settings": {"_type_": "ChargerSettings", "_data_": old}}, separators=(",", ":")
    ).encode()
    settings = transcoder.decode(stored_before)["settings"]
    assert (settings.tls_verify, settings.basic_auth_password, settings.security_profile) == (True, None, 0)
    assert transcoder.encode({"settings": settings}) == stored_before
    secured = settings.model_copy(update={"tls_verify": False, "basic_auth_password": PASSWORD})
    assert transcoder.decode(transcoder.encode({"settings": secured}))["settings"] == secured


def test_the_password_is_not_in_the_repr_of_settings_or_events() -> None:
    settings = ChargerSettings(
        name="x", connector_type="CCS2", ocpp_version="OCPP1.6", ws_url=CSMS_URL, basic_auth_password=PASSWORD
    )
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
