"""The CA certificates a CSMS installs: InstallCertificate, GetInstalledCertificateIds, DeleteCertificate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from domain.protocol import OcppVersion

from .hashing import CertificateHashData, HashAlgorithm, hash_data
from .pem import is_ca, issued_by, load_chain, valid_at

_V16 = OcppVersion.V16


class CertificateUse(StrEnum):
    """What a CA certificate is for (2.0.1 names; 1.6 knows the first two)."""

    CSMS_ROOT = "CSMSRootCertificate"  # 1.6 CentralSystemRootCertificate: verifies the CSMS's TLS server
    MANUFACTURER_ROOT = "ManufacturerRootCertificate"  # verifies signed firmware
    V2G_ROOT = "V2GRootCertificate"
    MO_ROOT = "MORootCertificate"
    V2G_CHAIN = "V2GCertificateChain"  # listing only: our ISO 15118 certificate from CertificateSigned


_USE_NAMES_V16 = {CertificateUse.CSMS_ROOT: "CentralSystemRootCertificate"}


def use_name(use: CertificateUse, version: OcppVersion) -> str:
    return _USE_NAMES_V16.get(use, use.value) if version is _V16 else use.value


def use_from_name(name: str, version: OcppVersion) -> CertificateUse | None:
    """The use a version's wire name means; None if that version does not have it."""
    uses = (
        (CertificateUse.CSMS_ROOT, CertificateUse.MANUFACTURER_ROOT)
        if version is _V16
        else tuple(CertificateUse)
    )
    return next((u for u in uses if use_name(u, version) == name), None)


class InstallStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"  # not a valid CA certificate (unreadable, expired, not a CA, wrong use)
    FAILED = "Failed"  # valid, but the store is full


class DeleteStatus(StrEnum):
    ACCEPTED = "Accepted"
    FAILED = "Failed"  # the certificate may not go (it secures the CSMS connection / is our own)
    NOT_FOUND = "NotFound"


# The configuration of a charger with certificates: (1.6 key, default, kind, read-only, 2.0.1 component,
# variable), in the shape of core.configuration.Key (1.6 security whitepaper; 2.0.1 SecurityCtrlr).
SECURITY_KEYS: tuple[tuple[str, str, str, bool, str, str], ...] = (
    ("CpoName", "", "str", False, "SecurityCtrlr", "OrganizationName"),  # the O of our CSR
    ("SecurityProfile", "1", "int", False, "SecurityCtrlr", "SecurityProfile"),  # 2.0.1: read-only
    ("CertificateStoreMaxLength", "20", "int", True, "SecurityCtrlr", "CertificateEntries"),
    ("CertificateSignedMaxChainSize", "10000", "int", True, "SecurityCtrlr", "MaxCertificateChainSize"),
    (
        "AdditionalRootCertificateCheck",
        "false",
        "bool",
        True,
        "SecurityCtrlr",
        "AdditionalRootCertificateCheck",
    ),
    ("CertSigningWaitMinimum", "60", "int", False, "SecurityCtrlr", "CertSigningWaitMinimum"),
    ("CertSigningRepeatTimes", "3", "int", False, "SecurityCtrlr", "CertSigningRepeatTimes"),
)


@dataclass(frozen=True)
class InstalledCertificate:
    use: CertificateUse
    pem: str  # one certificate; for V2G_CHAIN the whole chain, leaf first


@dataclass(frozen=True)
class InstalledIds:
    """One entry of GetInstalledCertificateIds (2.0.1 CertificateHashDataChainType)."""

    use: CertificateUse
    hash_data: CertificateHashData
    children: tuple[CertificateHashData, ...] = ()  # the sub-CAs of a V2G chain

    def v201_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "certificate_type": self.use.value,
            "certificate_hash_data": self.hash_data.payload(),
        }
        if self.children:
            out["child_certificate_hash_data"] = [c.payload() for c in self.children]
        return out


@dataclass(frozen=True)
class CertificateStore:
    """The certificates a charger holds: installed CA certificates and its own signed chains."""

    installed: tuple[InstalledCertificate, ...] = ()
    station_chain: str | None = None  # our ChargingStationCertificate chain, leaf first
    station_key: str | None = None  # the private key (PEM) of that chain's leaf
    capacity: int = 20  # 1.6 CertificateStoreMaxLength / 2.0.1 SecurityCtrlr.CertificateEntries

    def certificates(self, use: CertificateUse) -> list[x509.Certificate]:
        return [c for e in self.installed if e.use is use for c in load_chain(e.pem)[:1]]

    def _issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        if issued_by(certificate, certificate):
            return None  # self-signed
        for entry in self.installed:
            for candidate in load_chain(entry.pem):
                if issued_by(certificate, candidate):
                    return candidate
        return None  # an issuer we do not hold: hashed as if self-issued

    def _hash(self, entry: InstalledCertificate, algorithm: HashAlgorithm) -> CertificateHashData:
        chain = load_chain(entry.pem)
        issuer = chain[1] if len(chain) > 1 else self._issuer_of(chain[0])
        return hash_data(chain[0], issuer, algorithm)

    def install(self, use: CertificateUse, pem: str, now: datetime) -> tuple[CertificateStore, InstallStatus]:
        """InstallCertificate (1.6 whitepaper, 2.0.1 M05): a valid CA certificate, once per certificate."""
        chain = load_chain(pem)
        if use is CertificateUse.V2G_CHAIN or len(chain) != 1:
            return self, InstallStatus.REJECTED
        certificate = chain[0]
        if not is_ca(certificate) or not valid_at(certificate, now):
            return self, InstallStatus.REJECTED
        normalized = certificate.public_bytes(serialization.Encoding.PEM).decode()
        kept = tuple(e for e in self.installed if not (e.use is use and e.pem == normalized))
        if len(kept) >= self.capacity:
            return self, InstallStatus.FAILED
        return replace(self, installed=(*kept, InstalledCertificate(use, normalized))), InstallStatus.ACCEPTED

    def installed_ids(self, uses: Iterable[CertificateUse] | None = None) -> list[InstalledIds]:
        """GetInstalledCertificateIds: the certificates of the uses asked for (None: all); empty: NotFound."""
        wanted = set(CertificateUse) if uses is None else set(uses)
        out: list[InstalledIds] = []
        for entry in self.installed:
            if entry.use in wanted:
                chain = load_chain(entry.pem)
                children = tuple(
                    hash_data(c, chain[n + 2] if n + 2 < len(chain) else self._issuer_of(c))
                    for n, c in enumerate(chain[1:])
                )
                out.append(InstalledIds(entry.use, self._hash(entry, HashAlgorithm.SHA256), children))
        return out

    def delete(
        self, target: CertificateHashData, in_use: Sequence[CertificateHashData] = ()
    ) -> tuple[CertificateStore, DeleteStatus]:
        """DeleteCertificate (2.0.1 M04): Failed for a certificate the CSMS connection relies on (`in_use`)
        and for our own certificate (which is replaced by a new CertificateSigned, never deleted)."""
        if any(target.same_certificate(u) for u in in_use):
            return self, DeleteStatus.FAILED
        own = load_chain(self.station_chain or "")
        if own and target.same_certificate(
            hash_data(own[0], own[1] if len(own) > 1 else None, target.hash_algorithm)
        ):
            return self, DeleteStatus.FAILED
        for entry in self.installed:
            if entry.use is not CertificateUse.V2G_CHAIN and self._hash(
                entry, target.hash_algorithm
            ).same_certificate(target):
                return replace(
                    self, installed=tuple(e for e in self.installed if e is not entry)
                ), DeleteStatus.ACCEPTED
        return self, DeleteStatus.NOT_FOUND

    def hash_of(self, use: CertificateUse, pem: str) -> CertificateHashData | None:
        """The hash data of an installed certificate (e.g. the CSMS root that verified the TLS connection)."""
        for entry in self.installed:
            if entry.use is use and load_chain(entry.pem)[:1] == load_chain(pem)[:1]:
                return self._hash(entry, HashAlgorithm.SHA256)
        return None

    def trust_bundle(self, use: CertificateUse = CertificateUse.CSMS_ROOT) -> str:
        """The installed certificates of a use as one PEM text (e.g. `ssl` cadata to verify the CSMS)."""
        return "".join(e.pem for e in self.installed if e.use is use)

    def roots_in_use(self, server_certificate_der: bytes) -> list[CertificateHashData]:
        """The CSMS roots the current TLS connection relies on, for DeleteCertificate's `in_use`.

        The one that issued the server's certificate; if none did directly (an intermediate we cannot
        see), every CSMS root: a real charger would rather refuse than cut itself off from its CSMS.
        """
        server = x509.load_der_x509_certificate(server_certificate_der)
        roots = [e for e in self.installed if e.use is CertificateUse.CSMS_ROOT]
        direct = [e for e in roots if issued_by(server, load_chain(e.pem)[0])]
        return [self._hash(e, HashAlgorithm.SHA256) for e in (direct or roots)]

    def client_identity(self, now: datetime) -> tuple[str, str] | None:
        """Security profile 3: our certificate chain and key (PEM) for the TLS client, when valid at `now`."""
        chain = load_chain(self.station_chain or "")
        if not chain or self.station_key is None or not valid_at(chain[0], now):
            return None
        return self.station_chain or "", self.station_key
