"""The certificate calls of a CSMS to a charger, on both versions, against the test CSMS (schema validation
on): InstallCertificate → GetInstalledCertificateIds → DeleteCertificate; a trigger → SignCertificate →
CertificateSigned (signed by the CSMS's throwaway CA) accepted and recorded, a tampered chain rejected
with its SecurityEventNotification, SignCertificate sent again when no CertificateSigned comes.
(Security profile 3, the client certificate over wss://, is in test_security.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.chargepoint import ChargePoint
from domain.ids import charge_point_id
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.core import configuration
from ocpp_bridge.lab.csms_ca import CertificateAuthority
from tests.integration.test_bridge_v201 import restartable_lab
from tests.lab import Lab, running_lab

VERSIONS = [OcppVersion.V16, OcppVersion.V201]
ROOT_NAME = {OcppVersion.V16: "CentralSystemRootCertificate", OcppVersion.V201: "CSMSRootCertificate"}
INVALID_EVENT = {
    OcppVersion.V16: "InvalidChargePointCertificate",
    OcppVersion.V201: "InvalidChargingStationCertificate",
}


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def booted(lab: Lab, version: OcppVersion, identity: str) -> UUID:
    charger = await lab.register(identity, version)
    await lab.booted(identity)
    return charger


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll what the charger recorded (no CSMS message marks it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := condition()):
        assert asyncio.get_running_loop().time() < deadline, "not recorded in time"
        await asyncio.sleep(0.05)
    return found


def recorded(lab: Lab, charger: UUID, kind: type) -> list[Any]:
    stream = charge_point_id(charger)
    return [e for e in lab.events(kind) if e.originator_id == stream]


async def configure(lab: Lab, version: OcppVersion, identity: str, **values: str) -> None:
    """Set security keys from the CSMS (1.6 ChangeConfiguration, 2.0.1 SetVariables SecurityCtrlr)."""
    for key, value in values.items():
        if version is OcppVersion.V16:
            answer = await lab.csms.call(identity, call16.ChangeConfiguration(key=key, value=value))
            assert answer.status == "Accepted"
        else:
            variable = configuration.KEYS[key].variable
            data = {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": variable},
                "attribute_value": value,
            }
            answer = await lab.csms.call(identity, call201.SetVariables(set_variable_data=[data]))
            assert answer.set_variable_result[0]["attribute_status"] == "Accepted"


async def trigger_signing(lab: Lab, version: OcppVersion, identity: str) -> str:
    if version is OcppVersion.V16:
        request: Any = call16.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")
    else:
        request = call201.TriggerMessage(requested_message="SignChargingStationCertificate")
    return str((await lab.csms.call(identity, request)).status)


# --- InstallCertificate, GetInstalledCertificateIds, DeleteCertificate -------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_installed_root_is_listed_by_its_hash_and_deleted_by_it(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-INSTALL-{version.value}"
    charger = await booted(lab, version, identity)
    v16 = version is OcppVersion.V16
    calls: Any = call16 if v16 else call201
    root = CertificateAuthority.create("Test CSMS Root")

    installed = await lab.csms.call(
        identity, calls.InstallCertificate(certificate_type=ROOT_NAME[version], certificate=root.pem)
    )
    assert installed.status == "Accepted"
    kind: Any = ROOT_NAME[version] if v16 else [ROOT_NAME[version]]
    listed = await lab.csms.call(identity, calls.GetInstalledCertificateIds(certificate_type=kind))
    assert listed.status == "Accepted"
    if v16:
        (hash_data,) = listed.certificate_hash_data
    else:
        (entry,) = listed.certificate_hash_data_chain
        assert entry["certificate_type"] == "CSMSRootCertificate"
        hash_data = entry["certificate_hash_data"]
    assert hash_data["serial_number"] == format(root.certificate.serial_number, "x")

    # The charger's record: the public certificate, nothing secret.
    (change,) = recorded(lab, charger, ChargePoint.CertificatesChanged)
    assert [i["use"] for i in change.installed] == ["CSMSRootCertificate"]
    assert x509.load_pem_x509_certificate(change.installed[0]["pem"].encode()) == root.certificate

    not_a_ca = await lab.csms.call(
        identity, calls.InstallCertificate(certificate_type=ROOT_NAME[version], certificate="not a PEM")
    )
    assert not_a_ca.status == "Rejected"
    deleted = await lab.csms.call(identity, calls.DeleteCertificate(certificate_hash_data=hash_data))
    assert deleted.status == "Accepted"
    again = await lab.csms.call(identity, calls.DeleteCertificate(certificate_hash_data=hash_data))
    assert again.status == "NotFound"
    listed = await lab.csms.call(identity, calls.GetInstalledCertificateIds(certificate_type=kind))
    assert listed.status == "NotFound"
    assert len(recorded(lab, charger, ChargePoint.CertificatesChanged)) == 2  # refusals record nothing


# --- SignCertificate → CertificateSigned ------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_triggered_csr_is_signed_by_the_csms_and_the_chain_is_kept(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-SIGN-{version.value}"
    charger = await booted(lab, version, identity)
    # (2.0.1: SecurityCtrlr.OrganizationName; a long wait: no second SignCertificate under load)
    await configure(lab, version, identity, CpoName="Acme CPO", CertSigningWaitMinimum="3600")

    assert await trigger_signing(lab, version, identity) == "Accepted"
    await lab.csms.wait_for(lambda: lab.csms.signed)
    assert lab.csms.signed == [(identity, "Accepted")]
    (request,) = lab.csms.messages(identity, "SignCertificate")
    csr = x509.load_pem_x509_csr(request.payload["csr"].encode())
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == identity
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Acme CPO"
    if version is OcppVersion.V201:
        assert request.payload["certificate_type"] == "ChargingStationCertificate"

    station = lab.station(charger)
    held = station.cp.certificates
    assert (held.key_generation, held.pending_use) == (1, None)
    leaf = x509.load_pem_x509_certificate((held.station_chain or "").encode())
    assert leaf.public_key() == csr.public_key()
    changed = recorded(lab, charger, ChargePoint.CertificatesChanged)
    assert changed[-1].key_generation == 1 and changed[-1].station_chain == held.station_chain
    assert "PRIVATE KEY" not in repr(changed) + repr(recorded(lab, charger, ChargePoint.CsrPending))
    assert not lab.csms.messages(identity, "SecurityEventNotification")

    # A renewal: a new key (the next generation).
    assert await trigger_signing(lab, version, identity) == "Accepted"
    await lab.csms.wait_for(lambda: len(lab.csms.signed) == 2)
    assert lab.csms.signed[-1] == (identity, "Accepted")
    assert station.cp.certificates.key_generation == 2
    second = x509.load_pem_x509_csr(
        lab.csms.messages(identity, "SignCertificate")[-1].payload["csr"].encode()
    )
    assert second.public_key() != csr.public_key()


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_chain_for_another_key_is_rejected_with_a_security_event(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-TAMPER-{version.value}"
    charger = await booted(lab, version, identity)
    await configure(lab, version, identity, CertSigningWaitMinimum="3600")
    lab.csms.behaviour.tamper_signed = True
    assert await trigger_signing(lab, version, identity) == "Accepted"
    await lab.csms.wait_for(lambda: lab.csms.messages(identity, "SecurityEventNotification"))
    assert lab.csms.signed == [(identity, "Rejected")]
    (event,) = lab.csms.messages(identity, "SecurityEventNotification")
    assert event.payload["type"] == INVALID_EVENT[version]
    assert "not for the key of our CSR" in event.payload["tech_info"]
    held = lab.station(charger).cp.certificates
    assert held.station_chain is None and held.pending_generation == 1  # still waiting for a good one


@pytest.mark.parametrize("version", VERSIONS)
async def test_sign_certificate_is_sent_again_until_its_repeats_run_out(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-RETRY-{version.value}"
    charger = await booted(lab, version, identity)
    await configure(lab, version, identity, CertSigningWaitMinimum="2", CertSigningRepeatTimes="2")
    lab.csms.behaviour.send_signed = False
    assert await trigger_signing(lab, version, identity) == "Accepted"
    await lab.csms.wait_for(lambda: len(lab.csms.messages(identity, "SignCertificate")) == 3)
    requests = lab.csms.messages(identity, "SignCertificate")
    assert len({r.payload["csr"] for r in requests}) == 1  # the same CSR each time
    pending = await until(lambda: recorded(lab, charger, ChargePoint.CsrPending)[1:])  # given up
    assert len(lab.csms.messages(identity, "SignCertificate")) == 3
    pending = recorded(lab, charger, ChargePoint.CsrPending)
    assert [(p.use, p.key_generation) for p in pending] == [("ChargingStationCertificate", 1), (None, None)]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_sign_certificate_the_csms_fails_is_sent_again_and_then_signed(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-FAILSIGN-{version.value}"
    charger = await booted(lab, version, identity)
    # The default wait, 60 s (0.6 s here): time enough for the CertificateSigned after the second try.
    lab.csms.behaviour.failing_actions["SignCertificate"] = 1  # CALLERROR InternalError
    assert await trigger_signing(lab, version, identity) == "Accepted"
    await lab.csms.wait_for(lambda: lab.csms.signed)
    assert lab.csms.signed == [(identity, "Accepted")]
    requests = lab.csms.messages(identity, "SignCertificate")
    assert len(requests) == 2 and requests[0].payload["csr"] == requests[1].payload["csr"]
    assert lab.station(charger).cp.certificates.key_generation == 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_certificate_signed_nobody_asked_for_is_rejected_with_a_security_event(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-UNASKED-{version.value}"
    charger = await booted(lab, version, identity)
    chain = CertificateAuthority.create().pem
    request: Any = (
        call16.CertificateSigned(certificate_chain=chain)
        if version is OcppVersion.V16
        else call201.CertificateSigned(certificate_chain=chain)
    )
    answer = await lab.csms.call(identity, request)
    assert answer.status == "Rejected"
    (event,) = await lab.csms.wait_for(lambda: lab.csms.messages(identity, "SecurityEventNotification"))
    assert event.payload["type"] == INVALID_EVENT[version]
    assert "no certificate signing request is pending" in event.payload["tech_info"]
    assert not recorded(lab, charger, ChargePoint.CertificatesChanged)


async def test_extended_trigger_message_triggers_the_messages_of_trigger_message(lab: Lab) -> None:
    await booted(lab, OcppVersion.V16, "CP-EXT")
    before = len(lab.csms.messages("CP-EXT", "Heartbeat"))
    answer = await lab.csms.call("CP-EXT", call16.ExtendedTriggerMessage(requested_message="Heartbeat"))
    assert answer.status == "Accepted"
    await lab.csms.wait_for(lambda: len(lab.csms.messages("CP-EXT", "Heartbeat")) > before)
    log = await lab.csms.call(
        "CP-EXT", call16.ExtendedTriggerMessage(requested_message="LogStatusNotification")
    )
    assert log.status == "NotImplemented"


async def test_a_v2g_certificate_is_signed_and_listed_as_the_v2g_chain(lab: Lab) -> None:
    charger = await booted(lab, OcppVersion.V201, "CS-V2G")
    await configure(lab, OcppVersion.V201, "CS-V2G", CertSigningWaitMinimum="3600")
    trigger = call201.TriggerMessage(requested_message="SignV2GCertificate")
    assert (await lab.csms.call("CS-V2G", trigger)).status == "Accepted"
    await lab.csms.wait_for(lambda: lab.csms.signed)
    assert lab.csms.signed == [("CS-V2G", "Accepted")]
    (request,) = lab.csms.messages("CS-V2G", "SignCertificate")
    assert request.payload["certificate_type"] == "V2GCertificate"
    listed = await lab.csms.call(
        "CS-V2G", call201.GetInstalledCertificateIds(certificate_type=["V2GCertificateChain"])
    )
    assert listed.status == "Accepted"
    (entry,) = listed.certificate_hash_data_chain
    assert entry["certificate_type"] == "V2GCertificateChain"
    held = lab.station(charger).cp.certificates
    assert held.station_chain is None and held.pending_use is None  # not the charging station certificate


async def test_a_csr_pending_at_a_bridge_restart_is_asked_for_again_and_its_answer_accepted(
    context: Context,
) -> None:
    async with restartable_lab(context) as (lab, restart):
        charger = await booted(lab, OcppVersion.V201, "CS-RESTART")
        await configure(lab, OcppVersion.V201, "CS-RESTART", CertSigningWaitMinimum="3600")
        lab.csms.behaviour.send_signed = False
        assert await trigger_signing(lab, OcppVersion.V201, "CS-RESTART") == "Accepted"
        await lab.csms.wait_for(lambda: lab.csms.messages("CS-RESTART", "SignCertificate"))
        await restart()
        lab.csms.behaviour.send_signed = True
        await lab.csms.wait_for(lambda: lab.csms.signed)
        assert lab.csms.signed == [("CS-RESTART", "Accepted")]
        first, again = lab.csms.messages("CS-RESTART", "SignCertificate")
        assert first.payload["csr"] == again.payload["csr"]  # the same key, derived again
        assert lab.station(charger).cp.certificates.key_generation == 1
