"""What a charger holds of its certificates, as recorded on its ChargePoint (events CertificatesChanged,
CsrPending): the CA certificates a CSMS installed (public: their PEM), its own signed chain, and which
generation of its key that chain and a pending CSR are for. The private key is never recorded: it is
derived again from the charger's identity and the generation (ocpp_bridge.core.certificates.keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InstalledPem(BaseModel):
    model_config = ConfigDict(frozen=True)

    use: str  # ocpp_bridge.core.certificates.store.CertificateUse (2.0.1 name)
    pem: str


class HeldCertificates(BaseModel):
    model_config = ConfigDict(frozen=True)

    installed: tuple[InstalledPem, ...] = ()
    station_chain: str | None = None  # our signed chain, leaf first
    key_generation: int | None = None  # the generation of the key of station_chain's leaf
    pending_use: str | None = None  # a SignCertificate sent and not yet answered by a CertificateSigned
    pending_generation: int | None = None
    pending_organization: str = ""  # the O of that CSR

    @property
    def next_generation(self) -> int:
        """The generation of the key for a new CSR: each renewal gets a new key."""
        return max(self.key_generation or 0, self.pending_generation or 0) + 1
