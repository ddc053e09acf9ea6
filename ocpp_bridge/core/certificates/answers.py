"""Each CSMS-initiated certificate call of both versions, from the handler's keyword arguments (as the
`ocpp` library passes them) to the new store and the answer's fields, plus the charger's own requests
(SignCertificate, and the SecurityEventNotification a rejected CertificateSigned is followed by).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.clock import iso
from domain.protocol import OcppVersion

from .events import security_event_notification
from .hashing import CertificateHashData
from .keys import SigningUse, build_csr, derive_key, sign_certificate_payload
from .signed import PendingCsr, SignedStatus, certificate_signed
from .store import CertificateStore, DeleteStatus, InstallStatus, use_from_name


def install_certificate(
    store: CertificateStore, version: OcppVersion, now: datetime, certificate_type: str, certificate: str
) -> tuple[CertificateStore, dict[str, Any]]:
    """InstallCertificate answer fields: Accepted, Rejected (invalid, or a use this version lacks), Failed."""
    use = use_from_name(certificate_type, version)
    if use is None:
        return store, {"status": InstallStatus.REJECTED.value}
    updated, status = store.install(use, certificate, now)
    return updated, {"status": status.value}


def get_installed_certificate_ids(
    store: CertificateStore, version: OcppVersion, certificate_type: str | Sequence[str] | None = None
) -> dict[str, Any]:
    """GetInstalledCertificateIds answer fields. 1.6 asks for one type (required); 2.0.1 for a list or all."""
    names = [certificate_type] if isinstance(certificate_type, str) else list(certificate_type or [])
    uses = [u for u in (use_from_name(n, version) for n in names) if u is not None]
    found = store.installed_ids(uses if names else None)
    if not found:
        return {"status": "NotFound"}
    if version is OcppVersion.V16:
        return {"status": "Accepted", "certificate_hash_data": [i.hash_data.payload() for i in found]}
    return {"status": "Accepted", "certificate_hash_data_chain": [i.v201_payload() for i in found]}


def delete_certificate(
    store: CertificateStore,
    certificate_hash_data: Mapping[str, Any],
    in_use: Sequence[CertificateHashData] = (),
) -> tuple[CertificateStore, dict[str, Any]]:
    """DeleteCertificate answer fields: Accepted, NotFound, or Failed (`in_use`, our own certificate)."""
    try:
        target = CertificateHashData.from_payload(certificate_hash_data)
    except ValueError:
        return store, {"status": DeleteStatus.FAILED.value}
    updated, status = store.delete(target, in_use)
    return updated, {"status": status.value}


def start_signing(
    seed: bytes,
    identity: str,
    organization: str,
    version: OcppVersion,
    use: SigningUse = SigningUse.CHARGING_STATION,
) -> tuple[PendingCsr, dict[str, Any]]:
    """A new key and CSR (after 1.6 ExtendedTriggerMessage SignChargePointCertificate / 2.0.1 TriggerMessage
    SignChargingStationCertificate, or a renewal): what to remember, and the SignCertificate request."""
    key = derive_key(seed)
    csr = build_csr(key, identity, organization)
    return PendingCsr(use, key, csr), sign_certificate_payload(csr, version, use)


def certificate_signed_answer(
    store: CertificateStore,
    version: OcppVersion,
    now: datetime,
    pending: PendingCsr | None,
    certificate_chain: str,
    certificate_type: str | None = None,
    *,
    require_root: bool = False,
    max_chain_size: int | None = None,
) -> tuple[CertificateStore, dict[str, Any], dict[str, Any] | None]:
    """CertificateSigned: the new store, the answer fields, and the SecurityEventNotification request to
    send after the answer when it was rejected (None when accepted)."""
    wanted = SigningUse(certificate_type) if certificate_type in {u.value for u in SigningUse} else None
    if pending is not None and wanted is not None and wanted is not pending.use:
        pending = None  # a chain of another kind than we asked for answers nothing we asked
    updated, outcome = certificate_signed(
        store, certificate_chain, pending, now, require_root=require_root, max_chain_size=max_chain_size
    )
    answer: dict[str, Any] = {"status": outcome.status.value}
    if outcome.status is SignedStatus.ACCEPTED or outcome.security_event is None:
        return updated, answer, None
    if version is OcppVersion.V201:
        answer["status_info"] = {"reason_code": "InvalidCertificate", "additional_info": outcome.reason[:512]}
    event = security_event_notification(outcome.security_event, iso(now), version, outcome.reason)
    return updated, answer, event
