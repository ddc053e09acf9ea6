"""Certificate calls of a CSMS, answered from the handler's arguments: valid answers and follow-ups."""

from __future__ import annotations

import pytest
from cryptography import x509

from domain.protocol import OcppVersion
from ocpp_bridge.core.certificates.answers import (
    certificate_signed_answer,
    delete_certificate,
    get_installed_certificate_ids,
    install_certificate,
    start_signing,
)
from ocpp_bridge.core.certificates.hashing import hash_data
from ocpp_bridge.core.certificates.keys import SigningUse
from ocpp_bridge.core.certificates.store import CertificateStore

from .certificate_cases import NOW, pem, root, signed_leaf
from .schemas import assert_conforms

V16, V201 = OcppVersion.V16, OcppVersion.V201
ROOT_NAME = {V16: "CentralSystemRootCertificate", V201: "CSMSRootCertificate"}


@pytest.mark.parametrize("version", [V16, V201])
def test_a_csms_installs_lists_and_deletes_a_root(version: OcppVersion) -> None:
    certificate, _ = root()
    store, answer = install_certificate(
        CertificateStore(), version, NOW, ROOT_NAME[version], pem(certificate)
    )
    assert answer == {"status": "Accepted"}
    assert_conforms("InstallCertificate", answer, version, response=True)
    asked = ROOT_NAME[version] if version is V16 else [ROOT_NAME[version]]
    listed = get_installed_certificate_ids(store, version, asked)
    assert listed["status"] == "Accepted"
    assert_conforms("GetInstalledCertificateIds", listed, version, response=True)
    target = hash_data(certificate).payload()
    assert delete_certificate(store, target, in_use=[hash_data(certificate)])[1] == {"status": "Failed"}
    store, deleted = delete_certificate(store, target)
    assert deleted == {"status": "Accepted"}
    assert_conforms("DeleteCertificate", deleted, version, response=True)
    assert delete_certificate(store, target)[1] == {"status": "NotFound"}
    missing = get_installed_certificate_ids(store, version, asked)
    assert missing == {"status": "NotFound"}
    assert_conforms("GetInstalledCertificateIds", missing, version, response=True)


def test_16_knows_no_v2g_roots_and_2_0_1_lists_everything_when_asked_nothing() -> None:
    certificate, _ = root()
    assert install_certificate(CertificateStore(), V16, NOW, "V2GRootCertificate", pem(certificate))[1] == {
        "status": "Rejected"
    }
    store, _ = install_certificate(CertificateStore(), V201, NOW, "V2GRootCertificate", pem(certificate))
    everything = get_installed_certificate_ids(store, V201)
    assert [c["certificate_type"] for c in everything["certificate_hash_data_chain"]] == [
        "V2GRootCertificate"
    ]


def test_malformed_hash_data_cannot_be_deleted() -> None:
    assert delete_certificate(CertificateStore(), {"hash_algorithm": "MD5"})[1] == {"status": "Failed"}


@pytest.mark.parametrize("version", [V16, V201])
def test_sign_then_certificate_signed_accepted(version: OcppVersion) -> None:
    pending, request = start_signing(b"CP-1/1", "CP-1", "Lab CPO", version)
    assert_conforms("SignCertificate", request, version)
    ca = root()
    chain = pem(signed_leaf(pending, ca), ca[0])
    store, answer, event = certificate_signed_answer(CertificateStore(), version, NOW, pending, chain)
    assert (answer, event) == ({"status": "Accepted"}, None)
    assert_conforms("CertificateSigned", answer, version, response=True)
    assert store.client_identity(NOW) is not None


@pytest.mark.parametrize(
    ("version", "event"),
    [(V16, "InvalidChargePointCertificate"), (V201, "InvalidChargingStationCertificate")],
)
def test_a_rejected_chain_is_followed_by_the_security_event(version: OcppVersion, event: str) -> None:
    pending, _ = start_signing(b"CP-1/1", "CP-1", "Lab CPO", version)
    stranger, _ = start_signing(b"someone", "CP-1", "Lab CPO", version)
    chain = pem(signed_leaf(stranger, root()))
    store, answer, notification = certificate_signed_answer(CertificateStore(), version, NOW, pending, chain)
    assert answer["status"] == "Rejected"
    assert_conforms("CertificateSigned", answer, version, response=True)
    assert notification is not None
    assert notification["type"] == event
    assert "key of our CSR" in notification["tech_info"]
    assert_conforms("SecurityEventNotification", notification, version)
    assert store.station_chain is None


def test_201_a_chain_of_another_kind_than_asked_is_rejected() -> None:
    pending, _ = start_signing(b"CP-1/1", "CP-1", "Lab CPO", V201, SigningUse.CHARGING_STATION)
    chain = pem(signed_leaf(pending, root()))
    _, answer, notification = certificate_signed_answer(
        CertificateStore(), V201, NOW, pending, chain, "V2GCertificate"
    )
    assert answer["status"] == "Rejected"
    assert notification is not None
    x509.load_pem_x509_certificates(chain.encode())  # the chain itself was fine: only its kind was not
