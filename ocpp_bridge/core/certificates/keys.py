"""The charger's key (derived from its seed), its CSR (deterministic ECDSA), the SignCertificate request."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from domain.protocol import OcppVersion


class SigningUse(StrEnum):
    """2.0.1 CertificateSigningUseEnumType; 1.6 signs the charge point certificate only."""

    CHARGING_STATION = "ChargingStationCertificate"
    V2G = "V2GCertificate"


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def derive_key(seed: bytes) -> str:
    """A P-256 private key (PKCS#8 PEM) that is a function of `seed`: the same seed, the same key.

    2.0.1 A00.FR.5xx and the 1.6 whitepaper accept ECDSA on secp256r1. Use a seed that includes a
    generation number so that a renewal (a new SignCertificate) gets a new key.
    """
    value = (
        int.from_bytes(hashlib.sha256(b"ocpp-ledger charger key\0" + seed).digest()) % (_P256_ORDER - 1) + 1
    )
    key = ec.derive_private_key(value, ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def _private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the charger's key must be an elliptic-curve key")
    return key


def build_csr(key_pem: str, identity: str, organization: str) -> str:
    """A PEM CSR for SignCertificate: subject CN = identity, O = organization, signed with SHA-256."""
    if not identity or not organization:
        raise ValueError("a CSR needs the charge point identity (CN) and the organization name (O)")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, identity),
        ]
    )
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(_private_key(key_pem), hashes.SHA256(), ecdsa_deterministic=True)
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def sign_certificate_payload(csr_pem: str, version: OcppVersion, use: SigningUse) -> dict[str, Any]:
    """SignCertificate request fields (2.0.1 names the use; 1.6 has only the charge point certificate)."""
    if version is OcppVersion.V16:
        return {"csr": csr_pem}
    return {"csr": csr_pem, "certificate_type": use.value}


def sign_retry_delay(attempt: int, wait_minimum_s: int, repeat_times: int) -> int | None:
    """Seconds to wait for CertificateSigned after SignCertificate attempt number `attempt` (from 1)
    before sending it again, or None when no attempt is left (2.0.1 A02/A03: SecurityCtrlr
    CertSigningWaitMinimum, doubled after each attempt, CertSigningRepeatTimes repeats)."""
    if attempt < 1 or wait_minimum_s < 0 or repeat_times < 0:
        raise ValueError("attempt counts from 1; the wait and the repeats cannot be negative")
    if attempt > repeat_times + 1:
        return None
    return wait_minimum_s << (attempt - 1)  # doubled after each attempt
