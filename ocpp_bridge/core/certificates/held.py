"""Between what a ChargePoint records of its certificates (domain.certificates.HeldCertificates: public
PEM and key generations) and the store the answers work on (the private keys derived again)."""

from __future__ import annotations

from typing import Any

from domain.certificates import HeldCertificates

from .keys import SigningUse, build_csr, derive_key
from .signed import PendingCsr
from .store import CertificateStore, CertificateUse, InstalledCertificate


def key_seed(identity: str, generation: int) -> bytes:
    """The seed of the charger's key of this generation (a renewal is the next generation)."""
    return f"{identity}\0station key\0{generation}".encode()


def store_of(held: HeldCertificates, identity: str, capacity: int = 20) -> CertificateStore:
    key = None
    if held.station_chain is not None and held.key_generation is not None:
        key = derive_key(key_seed(identity, held.key_generation))
    return CertificateStore(
        installed=tuple(InstalledCertificate(CertificateUse(i.use), i.pem) for i in held.installed),
        station_chain=held.station_chain,
        station_key=key,
        capacity=capacity,
    )


def pending_of(held: HeldCertificates, identity: str) -> PendingCsr | None:
    """The CSR we wait for an answer to, rebuilt (the same key and, deterministic, the same CSR)."""
    if held.pending_use is None or held.pending_generation is None:
        return None
    key = derive_key(key_seed(identity, held.pending_generation))
    return PendingCsr(SigningUse(held.pending_use), key, build_csr(key, identity, held.pending_organization))


def recorded(store: CertificateStore, held: HeldCertificates, accepted: PendingCsr | None) -> dict[str, Any]:
    """The CertificatesChanged fields for a new store (an accepted CSR's generation becomes the chain's)."""
    generation = held.key_generation
    if accepted is not None and accepted.use is SigningUse.CHARGING_STATION:
        generation = held.pending_generation
    return {
        "installed": [{"use": e.use.value, "pem": e.pem} for e in store.installed],
        "station_chain": store.station_chain,
        "key_generation": generation,
    }
