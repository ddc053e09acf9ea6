"""CertificateSigned: accept the chain that answers our CSR, or reject it with the security event."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from .events import SecurityEvent
from .keys import SigningUse
from .pem import issued_by, load_chain
from .store import CertificateStore, CertificateUse, InstalledCertificate


class SignedStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


@dataclass(frozen=True)
class PendingCsr:
    """A SignCertificate we sent and whose answer we wait for."""

    use: SigningUse
    key_pem: str
    csr_pem: str


@dataclass(frozen=True)
class SignedOutcome:
    status: SignedStatus
    reason: str  # why it was rejected ("" when accepted): 2.0.1 statusInfo.additionalInfo
    security_event: SecurityEvent | None  # to send after the answer (InvalidChargingStationCertificate)


def _subject(name: x509.Name) -> tuple[list[str], list[str]]:
    def values(oid: x509.ObjectIdentifier) -> list[str]:
        return [str(a.value) for a in name.get_attributes_for_oid(oid)]

    return values(NameOID.COMMON_NAME), values(NameOID.ORGANIZATION_NAME)


def _chain_problem(
    chain_pem: str, pending: PendingCsr | None, now: datetime, roots: Sequence[x509.Certificate]
) -> str:
    if pending is None:
        return "no certificate signing request is pending"
    chain = load_chain(chain_pem)
    if not chain:
        return "the certificate chain is not PEM-encoded X.509"
    leaf = chain[0]
    csr = x509.load_pem_x509_csr(pending.csr_pem.encode())
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(serialization.Encoding.DER, public) != csr.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        return "the certificate is not for the key of our CSR"
    if _subject(leaf.subject) != _subject(csr.subject):
        return "the certificate's subject (CN, O) is not our CSR's"
    if now > leaf.not_valid_after_utc:
        return "the certificate has expired"
    for child, parent in itertools.pairwise(chain):
        if not issued_by(child, parent):
            return f"{child.subject.rfc4514_string()} is not signed by the next certificate of the chain"
    if roots and not any(issued_by(chain[-1], r) or chain[-1] == r for r in roots):
        return "the chain does not lead to an installed root certificate"
    return ""


def certificate_signed(
    store: CertificateStore,
    chain_pem: str,
    pending: PendingCsr | None,
    now: datetime,
    *,
    require_root: bool = False,
    max_chain_size: int | None = None,
) -> tuple[CertificateStore, SignedOutcome]:
    """CertificateSigned (1.6 whitepaper, 2.0.1 A02/A03): accept the chain that answers our pending CSR.

    Rejected (with InvalidChargingStationCertificate — 1.6 InvalidChargePointCertificate) when there is
    no pending CSR, the chain is unreadable, its leaf is not for our key or our subject, it has expired
    or a link of the chain does not verify; with `require_root`, also when it does not lead to an
    installed CSMS root (V2G: V2G root); with `max_chain_size`, when the chain is longer (1.6
    CertificateSignedMaxChainSize, 2.0.1 MaxCertificateChainSize). A leaf not yet valid is accepted: it
    is used from notBefore.
    A V2G chain is listed as V2GCertificateChain; a station chain replaces the previous one.
    """
    root_use = (
        CertificateUse.V2G_ROOT if pending and pending.use is SigningUse.V2G else CertificateUse.CSMS_ROOT
    )
    roots = store.certificates(root_use) if require_root else []
    problem = _chain_problem(chain_pem, pending, now, roots)
    if max_chain_size is not None and len(chain_pem) > max_chain_size:  # CertificateSignedMaxChainSize
        problem = f"the chain is longer than {max_chain_size} characters"
    if require_root and not roots and not problem:
        problem = f"no {root_use} is installed to verify the chain"
    if problem or pending is None:
        return store, SignedOutcome(
            SignedStatus.REJECTED, problem, SecurityEvent.INVALID_CHARGING_STATION_CERTIFICATE
        )
    normalized = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in load_chain(chain_pem))
    if pending.use is SigningUse.V2G:
        kept = tuple(e for e in store.installed if e.use is not CertificateUse.V2G_CHAIN)
        updated = replace(
            store, installed=(*kept, InstalledCertificate(CertificateUse.V2G_CHAIN, normalized))
        )
    else:
        updated = replace(store, station_chain=normalized, station_key=pending.key_pem)
    return updated, SignedOutcome(SignedStatus.ACCEPTED, "", None)
