"""What a ChargePoint records of its certificates, and the store the answers work on: the private key is
never recorded, only its generation; the same identity and generation give the same key and CSR again,
so a CertificateSigned is checked against the CSR sent before a restart."""

from __future__ import annotations

from domain.certificates import HeldCertificates
from domain.protocol import OcppVersion
from ocpp_bridge.core.certificates import answers
from ocpp_bridge.core.certificates.held import key_seed, pending_of, recorded, store_of
from ocpp_bridge.core.certificates.keys import SigningUse
from tests.unit.cores.certificate_cases import NOW, pem, root, signed_leaf
from tests.unit.cores.charger import charge_point


def sent_csr(generation: int = 1) -> tuple[HeldCertificates, str]:
    """A charger that sent SignCertificate for its key of this generation: its record and the CSR."""
    _, payload = answers.start_signing(
        key_seed("CP-1", generation), "CP-1", "Acme", OcppVersion.V201, SigningUse.CHARGING_STATION
    )
    held = HeldCertificates(
        pending_use="ChargingStationCertificate", pending_generation=generation, pending_organization="Acme"
    )
    return held, payload["csr"]


def test_the_pending_csr_is_rebuilt_exactly_from_the_record() -> None:
    held, csr = sent_csr()
    pending = pending_of(held, "CP-1")
    assert pending is not None and pending.csr_pem == csr
    assert pending_of(HeldCertificates(), "CP-1") is None


def test_each_renewal_is_a_new_generation_and_a_new_key() -> None:
    assert HeldCertificates().next_generation == 1
    assert HeldCertificates(key_generation=1, pending_generation=2).next_generation == 3
    first, second = sent_csr(1)[1], sent_csr(2)[1]
    assert first != second


def test_an_accepted_chain_is_recorded_as_public_pem_and_the_generation_of_its_key() -> None:
    held, _ = sent_csr()
    pending = pending_of(held, "CP-1")
    assert pending is not None
    ca = root()
    chain = pem(signed_leaf(pending, ca), ca[0])
    store, answer, event = answers.certificate_signed_answer(
        store_of(held, "CP-1"), OcppVersion.V201, NOW, pending, chain
    )
    assert (answer, event) == ({"status": "Accepted"}, None)
    fields = recorded(store, held, pending)
    assert fields["key_generation"] == 1 and fields["station_chain"].startswith("-----BEGIN CERTIFICATE")
    assert "PRIVATE KEY" not in repr(fields)
    # ... and the store rebuilt from that record has the key back (for the TLS client certificate).
    kept = HeldCertificates(station_chain=fields["station_chain"], key_generation=1)
    assert store_of(kept, "CP-1").station_key == pending.key_pem


def test_the_certificate_events_rebuild_the_same_record() -> None:
    cp = charge_point()
    cp.csr_pending("ChargingStationCertificate", 1, "Acme")
    cp.certificates_changed([{"use": "CSMSRootCertificate", "pem": pem(root()[0])}], None, None)
    cp.csr_pending(None, None)
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.certificates == cp.certificates
    assert [e.use.value for e in store_of(cp.certificates, "CP-1").installed] == ["CSMSRootCertificate"]
