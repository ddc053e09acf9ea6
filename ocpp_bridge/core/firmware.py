"""A firmware update, as a step: wait for the retrieve date, download (with retries), verify, install,
and what the charger reports at each stage (1.6 Firmware Management 5.19 / 6.26, 2.0.1 L01).

The step records each status on the ChargePoint and sends its FirmwareStatusNotification; the shell
reboots the charger when it ends with "Installed" (the new version is on record by then: the next
BootNotification carries it, and Installed is reported after that boot, as real chargers do). A failure
injected with the fail-firmware command fails the next tries of its stage as a real failure would.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from domain.chargepoint import ChargePoint
from domain.failures import FailureCode
from domain.firmware import FIRMWARE_ENDS
from ocpp_bridge.core.effects import Answered, Download, Effect, Failed, Result, SendCall, Step, Wait

FIRMWARE_VERSION_MAX = 50  # BootNotification firmwareVersion: CiString50 (1.6) / string(50) (2.0.1)
IDLE_POLL_S = 5.0  # how often a downloaded update looks again whether the transactions have ended
INJECTED = "injected failure (fail-firmware / fail-upload command)"

# The stages a failure can be injected at (the fail-firmware and fail-upload commands).
DOWNLOAD, INSTALL, UPLOAD = "download", "install", "upload"


@dataclass(frozen=True)
class Progression:
    """The statuses of a version beyond 1.6's Downloading, Downloaded, Installing, Installed and the two
    failures (None: the version has no such status)."""

    download_scheduled: str | None = None
    install_scheduled: str | None = None
    signature_verified: str | None = None
    invalid_signature: str | None = None
    install_rebooting: str | None = None


V16_PROGRESSION = Progression()
V201_PROGRESSION = Progression(
    download_scheduled="DownloadScheduled",
    install_scheduled="InstallScheduled",
    signature_verified="SignatureVerified",
    invalid_signature="InvalidSignature",
    install_rebooting="InstallRebooting",
)


@dataclass(frozen=True)
class FirmwareUpdate:
    """What the CSMS asked for. `attempts`: tries of the download in all (the first and its retries)."""

    location: str
    retrieve_at: datetime
    attempts: int = 1
    retry_interval_s: float = 0.0
    request_id: int | None = None  # 2.0.1
    install_at: datetime | None = None  # 2.0.1 installDateTime
    signature: str | None = None  # 2.0.1: base64 of the image's signature
    signing_certificate: str | None = None  # 2.0.1: PEM of the certificate that signed it


def moment(text: str) -> datetime:
    """An OCPP dateTime; one without an offset is read as UTC (as OCPP's are meant)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def signed_update(
    request_id: int, image: dict[str, Any], retries: int | None, retry_interval: int | None
) -> FirmwareUpdate:
    """The update a 2.0.1 UpdateFirmware or a 1.6 SignedUpdateFirmware asks for (the same fields):
    `retries` counts the tries after the first ("how many times [it] must retry")."""
    install_at = image.get("install_date_time")
    return FirmwareUpdate(
        location=image["location"],
        retrieve_at=moment(image["retrieve_date_time"]),
        attempts=1 + (retries or 0),
        retry_interval_s=float(retry_interval or 0),
        request_id=request_id,
        install_at=None if install_at is None else moment(install_at),
        signature=image.get("signature"),
        signing_certificate=image.get("signing_certificate"),
    )


def recorded(update: FirmwareUpdate, progression: Progression) -> dict[str, Any]:
    """The update as the ChargePoint records it (FirmwareUpdateRequested), to resume after a restart."""
    fields = dataclasses.asdict(update)
    for key in ("retrieve_at", "install_at"):
        fields[key] = None if fields[key] is None else fields[key].isoformat()
    return {**fields, "signed": progression is V201_PROGRESSION}


def resumed(record: dict[str, Any]) -> tuple[FirmwareUpdate, Progression]:
    """The update a restart cut short, and its progression."""
    fields = {k: v for k, v in record.items() if k != "signed"}
    for key in ("retrieve_at", "install_at"):
        fields[key] = None if fields[key] is None else datetime.fromisoformat(fields[key])
    return FirmwareUpdate(**fields), V201_PROGRESSION if record["signed"] else V16_PROGRESSION


def firmware_version(location: str) -> str:
    """The version an image installs: its file name without the extension (a charger reads it from
    the image; ours are named for it, e.g. .../ocpp-ledger-0.2.bin installs "ocpp-ledger-0.2")."""
    path = PurePosixPath(urlsplit(location).path)
    # An extension is letters (.bin, .img); "fw-1.2.3" keeps its last number.
    name = path.stem if path.suffix[1:].isalpha() else path.name
    return (name or "unknown")[:FIRMWARE_VERSION_MAX]


def signature_valid(image: bytes, signature: str, certificate_pem: str | None) -> bool:
    """Whether `signature` (base64) is the certificate's key's signature of the image, SHA-256 with
    RSA PKCS#1 v1.5 or ECDSA (2.0.1 L01.FR.03)."""
    if certificate_pem is None:
        return False
    try:
        key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
        raw = base64.b64decode(signature, validate=True)
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, image, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, image, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (ValueError, binascii.Error, InvalidSignature):
        return False
    return True


def certificate_readable(certificate_pem: str) -> bool:
    """Whether a signing certificate is an X.509 certificate in PEM at all (else InvalidCertificate)."""
    try:
        x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError:
        return False
    return True


def update_firmware_answer(signing_certificate: str | None, busy: bool) -> str:
    """InvalidCertificate for a signing certificate that is no X.509 certificate (L01.FR.02), else
    AcceptedCanceled when an update under way is cancelled for this one (L01.FR.24), else Accepted.
    RevokedCertificate is never answered: the station holds no revocation list (no CRL, no OCSP)."""
    if signing_certificate is not None and not certificate_readable(signing_certificate):
        return "InvalidCertificate"
    return "AcceptedCanceled" if busy else "Accepted"


def injected(cp: ChargePoint, stage: str) -> bool:
    """Whether a failure injected at this stage takes the try now due (and is used up by it)."""
    if cp.injected_failures.get(stage, 0) > 0:
        cp.injected_failure_used(stage)
        return True
    return False


def attempt(cp: ChargePoint, stage: str, effect: Effect) -> Generator[Effect, Result, Result]:
    """One try of a transfer, unless a failure injected at its stage takes it."""
    if injected(cp, stage):
        return Failed(FailureCode.CSMS_ERROR, INJECTED)
    return (yield effect)


class _Moment:
    """Where simulated time is, from the step's start and the waits it asked for (no clock reads)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def until(self, moment: datetime | None) -> float:
        return 0.0 if moment is None else max(0.0, (moment - self.now).total_seconds())

    def wait(self, seconds: float) -> Wait:
        self.now += timedelta(seconds=seconds)
        return Wait(seconds)


def update_firmware(
    cp: ChargePoint,
    update: FirmwareUpdate,
    now: datetime,
    notification: Callable[[str], Any],
    progression: Progression = V16_PROGRESSION,
    security_event: Callable[[str, datetime], Any] | None = None,
) -> Step[str]:
    """The whole progression; returns the last status ("Installed": the shell reboots the charger).
    `notification(status)` is the version's FirmwareStatusNotification payload for a status;
    `security_event(type, at)` its SecurityEventNotification, for a signed update (L01.FR.03: an
    invalid signature is a security event; FirmwareUpdated follows the boot, from the shell)."""

    def report(status: str) -> Generator[Effect, Result, None]:
        cp.firmware_status_changed(status, update.request_id)
        yield SendCall(notification(status))  # a status the CSMS failed to take is not sent again

    clock = _Moment(now)
    wait = clock.until(update.retrieve_at)
    if wait > 0:
        if progression.download_scheduled:
            yield from report(progression.download_scheduled)
        yield clock.wait(wait)
    yield from report("Downloading")
    image: bytes | None = None
    for n in range(1, update.attempts + 1):
        result = yield from attempt(cp, DOWNLOAD, Download(update.location))
        if isinstance(result, Answered):
            image = bytes(result.payload)
            break
        if n < update.attempts:
            yield clock.wait(update.retry_interval_s)
    if image is None:
        yield from report("DownloadFailed")
        return "DownloadFailed"
    yield from report("Downloaded")
    if update.signature is not None and progression.signature_verified and progression.invalid_signature:
        if not signature_valid(image, update.signature, update.signing_certificate):
            yield from report(progression.invalid_signature)
            if security_event is not None:
                yield SendCall(security_event("InvalidFirmwareSignature", clock.now))
            return progression.invalid_signature
        yield from report(progression.signature_verified)
    wait = clock.until(update.install_at)
    if wait > 0:
        if progression.install_scheduled:
            yield from report(progression.install_scheduled)
        yield clock.wait(wait)
    # A charger installs once no transaction is running (2.0.1 L01.FR.06; 1.6 leaves it to the charger).
    while any(c.transaction_id is not None for c in cp.connectors.values()):
        yield clock.wait(IDLE_POLL_S)
    yield from report("Installing")
    if injected(cp, INSTALL):
        yield from report("InstallationFailed")
        return "InstallationFailed"
    cp.firmware_installed(firmware_version(update.location), update.request_id)
    if progression.install_rebooting:
        yield from report(progression.install_rebooting)
    return "Installed"


def firmware_status_now(status: str) -> str:
    """What a triggered FirmwareStatusNotification says: Idle unless an update is under way (1.6 4.5,
    2.0.1 L01.FR.25 / F06)."""
    return "Idle" if status in FIRMWARE_ENDS else status
