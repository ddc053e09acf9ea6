"""A diagnostics or log upload, as a step (1.6 GetDiagnostics 5.9, 2.0.1 GetLog N01), and the log file.

The file is the charger's own record for the time asked for, as text: one line per recorded event,
the OCPP frames as they went over the wire, oldest first. The security log (2.0.1 SecurityLog) holds
the events a security log is about: connections, boots, configuration and firmware. The step reports
Uploading, uploads (with retries) and reports how it ended.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.chargepoint import ChargePoint
from domain.clock import iso
from ocpp_bridge.core.effects import Answered, Effect, Result, SendCall, Step, Upload, Wait
from ocpp_bridge.core.firmware import UPLOAD, attempt

DIAGNOSTICS, SECURITY = "DiagnosticsLog", "SecurityLog"
SECURITY_EVENTS = frozenset(
    {
        "Connected",
        "Disconnected",
        "BootAnswered",
        "ConfigurationChanged",
        "FirmwareStatusChanged",
        "FirmwareInstalled",
        "NetworkProfileStored",
    }
)
_NOT_SHOWN = frozenset({"originator_id", "originator_version", "timestamp"})


@dataclass(frozen=True)
class LogUpload:
    url: str
    file_name: str
    body: bytes
    attempts: int = 1
    retry_interval_s: float = 0.0
    request_id: int | None = None  # 2.0.1


def file_name(identity: str, kind: str, at: datetime) -> str:
    """What the upload is called (the answer's fileName / filename): who, what and when."""
    return f"{identity}-{kind}-{at.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.log"


def log_line(event: Any) -> tuple[datetime, str]:
    """A recorded event as a log line: its time, its text (a frame as it went over the wire)."""
    name = type(event).__name__
    at = event.timestamp
    if name == "FrameRecorded":
        return at, f"{iso(at)} frame {event.direction} {event.raw}"
    fields = {k: v for k, v in vars(event).items() if k not in _NOT_SHOWN}
    shown = " ".join(f"{k}={v}" for k, v in fields.items())
    return at, f"{iso(at)} {name} {shown}".rstrip()


def log_text(
    identity: str,
    kind: str,
    events: Iterable[Any],
    oldest: datetime | None = None,
    latest: datetime | None = None,
) -> bytes:
    """The log file: a header, then each event of the window [oldest, latest] (either open) as a line."""
    lines = []
    for event in events:
        if kind == SECURITY and type(event).__name__ not in SECURITY_EVENTS:
            continue
        at, text = log_line(event)
        if (oldest is not None and at < oldest) or (latest is not None and at > latest):
            continue
        lines.append(text)
    window = f"{'' if oldest is None else iso(oldest)}..{'' if latest is None else iso(latest)}"
    header = f"# {kind} of {identity}, {window}, {len(lines)} events"
    return ("\n".join([header, *lines]) + "\n").encode()


def upload_log(cp: ChargePoint, upload: LogUpload, notification: Callable[[str], Any]) -> Step[str]:
    """Uploading, the upload with its retries, then Uploaded or its failure (failed_status); returns the
    last status. `notification(status)` is the version's Diagnostics/LogStatusNotification payload."""

    def report(status: str) -> Generator[Effect, Result, None]:
        cp.upload_status_changed(status, upload.request_id)
        yield SendCall(notification(status))

    yield from report("Uploading")
    for n in range(1, upload.attempts + 1):
        result = yield from attempt(cp, UPLOAD, Upload(upload.url, upload.file_name, upload.body))
        if isinstance(result, Answered):
            yield from report("Uploaded")
            return "Uploaded"
        if n < upload.attempts:
            yield Wait(upload.retry_interval_s)
    failed = failed_status(upload.request_id)
    yield from report(failed)
    return failed


UPLOAD_ENDS = frozenset({"Idle", "Uploaded", "UploadFailed", "UploadFailure", "AcceptedCanceled"})


def upload_status_now(status: str) -> str:
    """What a triggered Diagnostics/LogStatusNotification says: Idle unless an upload is under way."""
    return "Idle" if status in UPLOAD_ENDS else status


def failed_status(request_id: int | None) -> str:
    """How a failed upload is reported: UploadFailure for a GetLog (it has a requestId: 2.0.1, and the
    1.6 security whitepaper's), UploadFailed for a 1.6 GetDiagnostics."""
    return "UploadFailed" if request_id is None else "UploadFailure"


def interrupted_upload(status: str, request_id: int | None) -> str | None:
    """After a restart that cut an upload short: the failure to report."""
    return None if status in UPLOAD_ENDS else failed_status(request_id)
