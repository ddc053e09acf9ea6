"""A charger's certificates, with real ones: a throwaway CA made here signs what our CSR asks for.

OCPP 1.6 security whitepaper edition 2 (SignCertificate, CertificateSigned, InstallCertificate,
GetInstalledCertificateIds, DeleteCertificate, SecurityEventNotification); OCPP 2.0.1 A02/A03, M03-M05.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from domain.protocol import OcppVersion
from ocpp_bridge.core.certificates.events import (
    SECURITY_EVENTS,
    SecurityEvent,
    event_name,
    security_event_notification,
)
from ocpp_bridge.core.certificates.hashing import CertificateHashData, HashAlgorithm, hash_data
from ocpp_bridge.core.certificates.keys import (
    SigningUse,
    build_csr,
    derive_key,
    sign_certificate_payload,
    sign_retry_delay,
)
from ocpp_bridge.core.certificates.signed import PendingCsr, SignedStatus, certificate_signed
from ocpp_bridge.core.certificates.store import (
    CertificateStore,
    CertificateUse,
    DeleteStatus,
    InstallStatus,
    use_from_name,
    use_name,
)

from .certificate_cases import NOW, YEAR, Key, issue, name, pem, root, signed_leaf
from .schemas import assert_conforms

V16, V201 = OcppVersion.V16, OcppVersion.V201


@pytest.fixture(scope="module")
def ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    return root()


@pytest.fixture(scope="module")
def pending() -> PendingCsr:
    key = derive_key(b"CP-1/1")
    return PendingCsr(SigningUse.CHARGING_STATION, key, build_csr(key, "CP-1", "Lab CPO"))


# --- key and CSR ----------------------------------------------------------------------------------


def test_the_key_is_a_function_of_the_seed() -> None:
    assert derive_key(b"CP-1/1") == derive_key(b"CP-1/1")
    assert derive_key(b"CP-1/1") != derive_key(b"CP-1/2")
    key = serialization.load_pem_private_key(derive_key(b"CP-1/1").encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"


def test_the_csr_names_the_charge_point_and_the_organization_and_is_signed_by_our_key(
    pending: PendingCsr,
) -> None:
    csr = x509.load_pem_x509_csr(pending.csr_pem.encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP-1"
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Lab CPO"
    key = serialization.load_pem_private_key(pending.key_pem.encode(), password=None)
    assert csr.public_key() == key.public_key()
    assert isinstance(csr.signature_hash_algorithm, hashes.SHA256)


def test_the_csr_is_reproducible_from_the_same_key(pending: PendingCsr) -> None:
    assert build_csr(pending.key_pem, "CP-1", "Lab CPO") == pending.csr_pem
    assert build_csr(pending.key_pem, "CP-2", "Lab CPO") != pending.csr_pem


@pytest.mark.parametrize(("identity", "organization"), [("", "Lab CPO"), ("CP-1", "")])
def test_a_csr_needs_both_names(identity: str, organization: str) -> None:
    with pytest.raises(ValueError, match="CSR needs"):
        build_csr(derive_key(b"x"), identity, organization)


@pytest.mark.parametrize("version", [V16, V201])
def test_sign_certificate_conforms_to_the_schema(pending: PendingCsr, version: OcppVersion) -> None:
    payload = sign_certificate_payload(pending.csr_pem, version, SigningUse.CHARGING_STATION)
    assert ("certificate_type" in payload) is (version is V201)
    assert_conforms("SignCertificate", payload, version)


# --- certificateHashData --------------------------------------------------------------------------


def test_hash_data_are_the_ocsp_cert_id_of_the_certificate(ca: tuple[x509.Certificate, Key]) -> None:
    """issuerNameHash, issuerKeyHash, serialNumber as RFC 6960 defines them (checked by an OCSP request)."""
    leaf = signed_leaf(
        PendingCsr(SigningUse.CHARGING_STATION, derive_key(b"a"), build_csr(derive_key(b"a"), "A", "O")), ca
    )
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca[0], hashes.SHA256()).build()
    data = hash_data(leaf, ca[0])
    assert data.hash_algorithm is HashAlgorithm.SHA256
    assert data.issuer_name_hash == request.issuer_name_hash.hex()
    assert data.issuer_key_hash == request.issuer_key_hash.hex()
    assert int(data.serial_number, 16) == request.serial_number


def test_a_root_is_hashed_with_its_own_name_and_key(ca: tuple[x509.Certificate, Key]) -> None:
    request = ocsp.OCSPRequestBuilder().add_certificate(ca[0], ca[0], hashes.SHA384()).build()
    data = hash_data(ca[0], algorithm=HashAlgorithm.SHA384)
    assert (data.issuer_name_hash, data.issuer_key_hash) == (
        request.issuer_name_hash.hex(),
        request.issuer_key_hash.hex(),
    )


def test_an_rsa_root_is_hashed_too() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = issue(name("RSA Root"), key.public_key(), key=key)
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, hashes.SHA256()).build()
    assert hash_data(certificate).issuer_key_hash == request.issuer_key_hash.hex()


def test_the_serial_number_is_hex_without_leading_zeros() -> None:
    certificate, _ = root(serial=0x0ABC)
    assert hash_data(certificate).serial_number == "abc"


def test_hash_data_compare_regardless_of_case_and_leading_zeros() -> None:
    data = CertificateHashData(HashAlgorithm.SHA256, "ab" * 32, "cd" * 32, "1f")
    assert data.same_certificate(CertificateHashData(HashAlgorithm.SHA256, "AB" * 32, "CD" * 32, "001F"))
    assert not data.same_certificate(replace(data, serial_number="2f"))
    assert not data.same_certificate(replace(data, hash_algorithm=HashAlgorithm.SHA384))


def test_hash_data_read_from_a_payload_and_written_back() -> None:
    payload = {
        "hash_algorithm": "SHA512",
        "issuer_name_hash": "aa",
        "issuer_key_hash": "bb",
        "serial_number": "1",
    }
    assert CertificateHashData.from_payload(payload).payload() == payload
    with pytest.raises(ValueError, match="certificateHashData"):
        CertificateHashData.from_payload({**payload, "hash_algorithm": "MD5"})
    with pytest.raises(ValueError, match="certificateHashData"):
        CertificateHashData.from_payload({"hash_algorithm": "SHA256"})


# --- InstallCertificate, GetInstalledCertificateIds, DeleteCertificate ----------------------------


def test_certificate_uses_are_spelled_per_version() -> None:
    assert use_name(CertificateUse.CSMS_ROOT, V16) == "CentralSystemRootCertificate"
    assert use_name(CertificateUse.CSMS_ROOT, V201) == "CSMSRootCertificate"
    assert use_from_name("CentralSystemRootCertificate", V16) is CertificateUse.CSMS_ROOT
    assert use_from_name("CSMSRootCertificate", V16) is None
    assert use_from_name("V2GRootCertificate", V16) is None
    assert use_from_name("V2GRootCertificate", V201) is CertificateUse.V2G_ROOT
    assert use_from_name("ManufacturerRootCertificate", V16) is CertificateUse.MANUFACTURER_ROOT


def test_a_ca_certificate_is_installed_once_and_listed_by_its_use(ca: tuple[x509.Certificate, Key]) -> None:
    store, status = CertificateStore().install(CertificateUse.CSMS_ROOT, pem(ca[0]), NOW)
    assert status is InstallStatus.ACCEPTED
    again, status = store.install(CertificateUse.CSMS_ROOT, pem(ca[0]), NOW)
    assert status is InstallStatus.ACCEPTED
    assert len(again.installed) == 1
    ids = again.installed_ids([CertificateUse.CSMS_ROOT])
    assert [(i.use, i.hash_data) for i in ids] == [(CertificateUse.CSMS_ROOT, hash_data(ca[0]))]
    assert again.installed_ids([CertificateUse.MANUFACTURER_ROOT]) == []  # NotFound


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda ca: pem(
                signed_leaf(
                    PendingCsr(SigningUse.V2G, derive_key(b"l"), build_csr(derive_key(b"l"), "L", "O")), ca
                )
            ),
            "a leaf",
        ),
        (lambda ca: pem(root(not_after=NOW - timedelta(seconds=1))[0]), "expired"),
        (lambda ca: pem(root(not_before=NOW + timedelta(days=1))[0]), "not yet valid"),
        (lambda ca: pem(root(ca=False)[0]), "not a CA"),
        (lambda ca: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "garbage"),
        (lambda ca: pem(ca[0], root()[0]), "two certificates"),
    ],
)
def test_what_is_not_a_valid_ca_certificate_is_rejected(ca, make, why) -> None:
    store, status = CertificateStore().install(CertificateUse.MANUFACTURER_ROOT, make(ca), NOW)
    assert status is InstallStatus.REJECTED, why
    assert store.installed == ()


def test_our_own_chain_cannot_be_installed_as_a_root(ca: tuple[x509.Certificate, Key]) -> None:
    assert CertificateStore().install(CertificateUse.V2G_CHAIN, pem(ca[0]), NOW)[1] is InstallStatus.REJECTED


def test_a_full_store_fails_the_install() -> None:
    store = CertificateStore(capacity=1)
    store, first = store.install(CertificateUse.CSMS_ROOT, pem(root()[0]), NOW)
    store, second = store.install(CertificateUse.CSMS_ROOT, pem(root()[0]), NOW)
    assert (first, second) == (InstallStatus.ACCEPTED, InstallStatus.FAILED)
    assert len(store.installed) == 1


def three_roots() -> tuple[CertificateStore, list[x509.Certificate]]:
    store = CertificateStore()
    roots = [root("CSMS Root")[0], root("Manufacturer Root")[0], root("V2G Root")[0]]
    for use, certificate in zip(
        (CertificateUse.CSMS_ROOT, CertificateUse.MANUFACTURER_ROOT, CertificateUse.V2G_ROOT),
        roots,
        strict=True,
    ):
        store, status = store.install(use, pem(certificate), NOW)
        assert status is InstallStatus.ACCEPTED
    return store, roots


def test_installed_ids_are_listed_for_the_uses_asked_and_conform_to_both_schemas() -> None:
    store, roots = three_roots()
    everything = store.installed_ids()
    assert [i.use for i in everything] == [
        CertificateUse.CSMS_ROOT,
        CertificateUse.MANUFACTURER_ROOT,
        CertificateUse.V2G_ROOT,
    ]
    two = store.installed_ids([CertificateUse.V2G_ROOT, CertificateUse.CSMS_ROOT])
    assert [i.hash_data for i in two] == [hash_data(roots[0]), hash_data(roots[2])]
    assert_conforms(
        "GetInstalledCertificateIds",
        {"status": "Accepted", "certificate_hash_data_chain": [i.v201_payload() for i in everything]},
        V201,
        response=True,
    )
    ids16 = store.installed_ids([CertificateUse.CSMS_ROOT])
    assert_conforms(
        "GetInstalledCertificateIds",
        {"status": "Accepted", "certificate_hash_data": [i.hash_data.payload() for i in ids16]},
        V16,
        response=True,
    )


def test_a_certificate_is_deleted_by_its_hash_data_in_any_hash_algorithm() -> None:
    store, roots = three_roots()
    target = hash_data(roots[1], algorithm=HashAlgorithm.SHA384)
    store, status = store.delete(target)
    assert status is DeleteStatus.ACCEPTED
    assert [i.use for i in store.installed_ids()] == [CertificateUse.CSMS_ROOT, CertificateUse.V2G_ROOT]
    assert store.delete(target) == (store, DeleteStatus.NOT_FOUND)


def test_the_root_that_secures_the_csms_connection_cannot_be_deleted() -> None:
    store, roots = three_roots()
    in_use = store.hash_of(CertificateUse.CSMS_ROOT, pem(roots[0]))
    assert in_use == hash_data(roots[0])
    assert store.delete(hash_data(roots[0]), in_use=[in_use]) == (store, DeleteStatus.FAILED)
    assert store.hash_of(CertificateUse.MANUFACTURER_ROOT, pem(roots[0])) is None


# --- CertificateSigned ----------------------------------------------------------------------------


def test_the_chain_that_answers_our_csr_is_accepted_and_becomes_our_certificate(
    ca, pending: PendingCsr
) -> None:
    leaf = signed_leaf(pending, ca)
    store, outcome = certificate_signed(CertificateStore(), pem(leaf, ca[0]), pending, NOW)
    assert (outcome.status, outcome.reason, outcome.security_event) == (SignedStatus.ACCEPTED, "", None)
    assert store.station_chain == pem(leaf, ca[0])


def test_our_own_certificate_cannot_be_deleted(ca, pending: PendingCsr) -> None:
    leaf = signed_leaf(pending, ca)
    store, _ = certificate_signed(CertificateStore(), pem(leaf, ca[0]), pending, NOW)
    assert store.delete(hash_data(leaf, ca[0])) == (store, DeleteStatus.FAILED)


def test_a_leaf_that_is_not_valid_yet_is_accepted_for_later(ca, pending: PendingCsr) -> None:
    leaf = signed_leaf(pending, ca, not_before=NOW + timedelta(days=2))
    assert certificate_signed(CertificateStore(), pem(leaf), pending, NOW)[1].status is SignedStatus.ACCEPTED


def other_csr(identity: str = "CP-1", seed: bytes = b"someone else") -> PendingCsr:
    key = derive_key(seed)
    return PendingCsr(SigningUse.CHARGING_STATION, key, build_csr(key, identity, "Lab CPO"))


@pytest.mark.parametrize(
    ("chain", "problem"),
    [
        (lambda ca, p: pem(signed_leaf(other_csr(), ca)), "not for the key of our CSR"),
        (
            lambda ca, p: pem(
                issue(
                    name("CP-9", "Lab CPO"),
                    x509.load_pem_x509_csr(p.csr_pem.encode()).public_key(),
                    ca,
                    ca=False,
                )
            ),
            "subject",
        ),
        (
            lambda ca, p: pem(
                signed_leaf(p, ca, not_after=NOW - timedelta(minutes=1), not_before=NOW - YEAR)
            ),
            "expired",
        ),
        (lambda ca, p: pem(signed_leaf(p, ca), root("Stranger")[0]), "not signed by the next certificate"),
        (lambda ca, p: "garbage", "not PEM-encoded"),
    ],
)
def test_a_chain_that_is_not_ours_is_rejected_with_the_security_event(
    ca, pending: PendingCsr, chain, problem
) -> None:
    store, outcome = certificate_signed(CertificateStore(), chain(ca, pending), pending, NOW)
    assert outcome.status is SignedStatus.REJECTED
    assert problem in outcome.reason
    assert outcome.security_event is SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE
    assert store.station_chain is None


def test_a_certificate_nobody_asked_for_is_rejected(ca, pending: PendingCsr) -> None:
    _, outcome = certificate_signed(CertificateStore(), pem(signed_leaf(pending, ca)), None, NOW)
    assert (outcome.status, outcome.reason) == (
        SignedStatus.REJECTED,
        "no certificate signing request is pending",
    )


def test_with_root_checking_the_chain_must_lead_to_an_installed_csms_root(ca, pending: PendingCsr) -> None:
    chain = pem(signed_leaf(pending, ca))
    _, outcome = certificate_signed(CertificateStore(), chain, pending, NOW, require_root=True)
    assert outcome.status is SignedStatus.REJECTED
    assert "CSMSRootCertificate" in outcome.reason
    other, _ = CertificateStore().install(CertificateUse.CSMS_ROOT, pem(root("Other Root")[0]), NOW)
    assert "installed root" in certificate_signed(other, chain, pending, NOW, require_root=True)[1].reason
    trusted, _ = CertificateStore().install(CertificateUse.CSMS_ROOT, pem(ca[0]), NOW)
    assert (
        certificate_signed(trusted, chain, pending, NOW, require_root=True)[1].status is SignedStatus.ACCEPTED
    )


def test_a_v2g_chain_is_listed_with_its_sub_ca(ca) -> None:
    key = derive_key(b"CP-1/v2g")
    pending = PendingCsr(SigningUse.V2G, key, build_csr(key, "CP-1", "Lab CPO"))
    sub_key = ec.generate_private_key(ec.SECP256R1())
    sub = issue(name("V2G Sub-CA"), sub_key.public_key(), ca)
    leaf = signed_leaf(pending, (sub, sub_key))
    store, outcome = certificate_signed(CertificateStore(), pem(leaf, sub), pending, NOW)
    assert outcome.status is SignedStatus.ACCEPTED
    assert store.station_chain is None
    [entry] = store.installed_ids([CertificateUse.V2G_CHAIN])
    assert entry.hash_data == hash_data(leaf, sub)
    assert entry.children == (
        hash_data(sub),
    )  # its issuer (the root) is not installed: hashed as self-issued
    assert_conforms(
        "GetInstalledCertificateIds",
        {"status": "Accepted", "certificate_hash_data_chain": [entry.v201_payload()]},
        V201,
        response=True,
    )


# --- security events ------------------------------------------------------------------------------


def test_the_rejection_event_is_spelled_per_version() -> None:
    event = SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE
    assert event_name(event, V201) == "InvalidChargingStationCertificate"
    assert event_name(event, V16) == "InvalidChargePointCertificate"
    assert event_name(SecurityEvent.INVALID_CSMS_CERTIFICATE, V16) == "InvalidCentralSystemCertificate"
    assert (
        event_name(SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CSMS, V16) == "FailedToAuthenticateAtCentralSystem"
    )
    assert event_name(SecurityEvent.STARTUP_OF_THE_DEVICE, V16) == "StartupOfTheDevice"
    assert event_name(SecurityEvent.MAINTENANCE_LOGIN_FAILED, V16) is None


@pytest.mark.parametrize("version", [V16, V201])
def test_security_event_notifications_conform_to_the_schema(version: OcppVersion) -> None:
    for event in SecurityEvent:
        payload = security_event_notification(event, "2026-12-04T12:00:00.000Z", version, "x" * 300)
        if payload is None:
            assert version is V16
            continue
        assert len(payload["tech_info"]) == 255
        assert_conforms("SecurityEventNotification", payload, version)


def test_every_event_has_a_rule_and_the_critical_ones_are_those_of_the_specification() -> None:
    assert set(SECURITY_EVENTS) == set(SecurityEvent)
    critical = {e.value for e, rule in SECURITY_EVENTS.items() if rule.critical}
    assert critical == {
        "FirmwareUpdated",
        "SettingSystemTime",
        "StartupOfTheDevice",
        "ResetOrReboot",
        "SecurityLogWasCleared",
        "MemoryExhaustion",
        "TamperDetectionActivated",
        "MaintenanceLoginAccepted",
        "MaintenanceLoginFailed",
    }


# --- what the connection needs (security profiles 2 and 3) ----------------------------------------


def test_security_profile_3_uses_our_chain_and_key_while_the_leaf_is_valid(ca, pending: PendingCsr) -> None:
    leaf = signed_leaf(pending, ca, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    assert CertificateStore().client_identity(NOW) is None
    store, _ = certificate_signed(CertificateStore(), pem(leaf, ca[0]), pending, NOW)
    assert store.client_identity(NOW) == (pem(leaf, ca[0]), pending.key_pem)
    assert store.client_identity(NOW + timedelta(days=31)) is None
    assert store.client_identity(NOW - timedelta(days=2)) is None


def test_the_trust_bundle_holds_the_installed_roots_of_a_use() -> None:
    store, roots = three_roots()
    assert store.trust_bundle() == pem(roots[0])
    assert store.trust_bundle(CertificateUse.V2G_ROOT) == pem(roots[2])
    assert CertificateStore().trust_bundle() == ""


def test_the_root_in_use_is_the_one_that_issued_the_servers_certificate() -> None:
    store, roots = three_roots()
    csms_key = ec.generate_private_key(ec.SECP256R1())
    second_key = ec.generate_private_key(ec.SECP256R1())
    second = issue(name("Second CSMS Root"), second_key.public_key(), key=second_key)
    store, _ = store.install(CertificateUse.CSMS_ROOT, pem(second), NOW)
    server = issue(name("csms.example"), csms_key.public_key(), (second, second_key), ca=False)
    der = server.public_bytes(serialization.Encoding.DER)
    assert store.roots_in_use(der) == [hash_data(second)]
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    unknown = issue(
        name("csms.example"), csms_key.public_key(), (root("Intermediate")[0], stranger_key), ca=False
    )
    assert store.roots_in_use(unknown.public_bytes(serialization.Encoding.DER)) == [
        hash_data(roots[0]),
        hash_data(second),
    ]


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(1, 60), (2, 120), (3, 240), (4, None)],
)
def test_sign_certificate_is_repeated_with_a_doubling_wait(attempt: int, delay: int | None) -> None:
    assert sign_retry_delay(attempt, wait_minimum_s=60, repeat_times=2) == delay


def test_sign_retry_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="attempt"):
        sign_retry_delay(0, 60, 2)


def test_a_chain_longer_than_the_charger_takes_is_rejected(ca, pending: PendingCsr) -> None:
    chain = pem(signed_leaf(pending, ca), ca[0])
    _, outcome = certificate_signed(CertificateStore(), chain, pending, NOW, max_chain_size=len(chain) - 1)
    assert (outcome.status, outcome.reason) == (
        SignedStatus.REJECTED,
        f"the chain is longer than {len(chain) - 1} characters",
    )
    assert (
        certificate_signed(CertificateStore(), chain, pending, NOW, max_chain_size=len(chain))[1].status
        is SignedStatus.ACCEPTED
    )
