"""Builders for the certificate tests: a throwaway CA and the certificates a CSMS would issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ocpp_bridge.core.certificates.signed import PendingCsr

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
YEAR = timedelta(days=365)

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def name(common: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if organization:
        parts.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def issue(
    subject: x509.Name,
    public_key: object,
    issuer: tuple[x509.Certificate, Key] | None = None,
    *,
    key: Key | None = None,
    ca: bool = True,
    not_before: datetime = NOW - YEAR,
    not_after: datetime = NOW + YEAR,
    serial: int | None = None,
) -> x509.Certificate:
    signer_name, signer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    assert signer_key is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_name)
        .public_key(public_key)  # type: ignore[arg-type]  # a key object from cryptography
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(signer_key, hashes.SHA256())


def root(common: str = "Lab Root CA", **kw: object) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    return issue(name(common), key.public_key(), key=key, **kw), key  # type: ignore[arg-type]


def pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def signed_leaf(pending: PendingCsr, issuer: tuple[x509.Certificate, Key], **kw: object) -> x509.Certificate:
    """What a CSMS does with our CSR: a certificate for its subject and key, signed by its CA."""
    csr = x509.load_pem_x509_csr(pending.csr_pem.encode())
    return issue(csr.subject, csr.public_key(), issuer, ca=False, **kw)  # type: ignore[arg-type]
