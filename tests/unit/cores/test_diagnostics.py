"""The diagnostics / log upload step and the log file: what is reported, retried, and what the file holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp_bridge.core.diagnostics import (
    DIAGNOSTICS,
    SECURITY,
    LogUpload,
    file_name,
    interrupted_upload,
    log_text,
    upload_log,
    upload_status_now,
)
from ocpp_bridge.core.effects import Result, SendCall, Upload, Wait
from ocpp_bridge.core.firmware import UPLOAD, firmware_status_now
from tests.unit.cores.charger import charge_point
from tests.unit.cores.drive import CALLERROR, drive, ok

URL = "http://127.0.0.1:8080/uploads"
AT = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)


def notification(name: str) -> tuple[str, str]:
    return ("LogStatusNotification", name)


def status(name: str) -> SendCall:
    return SendCall(notification(name))


def upload(attempts: int = 1, request_id: int | None = 3) -> LogUpload:
    return LogUpload(
        URL, "CP-1.log", b"log\n", attempts=attempts, retry_interval_s=10.0, request_id=request_id
    )


def test_an_upload_reports_uploading_then_uploaded() -> None:
    cp = charge_point()
    effects, last = drive(upload_log(cp, upload(), notification), [ok(), ok(), ok()])
    assert effects == [status("Uploading"), Upload(URL, "CP-1.log", b"log\n"), status("Uploaded")]
    assert (last, cp.upload_status, cp.upload_request_id) == ("Uploaded", "Uploaded", 3)


def test_a_failed_upload_is_retried_then_reported_failed() -> None:
    """UploadFailed: a 1.6 GetDiagnostics (no requestId); a GetLog's failure is UploadFailure."""
    cp = charge_point()
    answers: list[Result] = [ok(), CALLERROR, CALLERROR, ok()]
    effects, last = drive(upload_log(cp, upload(attempts=2, request_id=None), notification), answers)
    sent = Upload(URL, "CP-1.log", b"log\n")
    assert effects == [status("Uploading"), sent, Wait(10.0), sent, status("UploadFailed")]
    assert last == "UploadFailed"


def test_an_injected_upload_failure_fails_the_try_without_sending() -> None:
    cp = charge_point()
    cp.failure_injected(UPLOAD, 1, None)
    effects, last = drive(upload_log(cp, upload(), notification), [ok(), ok()])
    assert effects == [status("Uploading"), status("UploadFailure")]
    assert (last, cp.injected_failures) == ("UploadFailure", {})


def test_the_log_holds_the_window_of_recorded_events_and_the_security_log_only_its_kind() -> None:
    cp = charge_point()
    cp.connected_to("ws://csms/CP-1", "ocpp1.6")
    cp.frame_recorded("cp_to_csms", 2, "m1", "Heartbeat", '[2,"m1","Heartbeat",{}]', None)
    events = cp.collect_events()
    text = log_text("CP-1", DIAGNOSTICS, events).decode()
    assert text.splitlines()[0] == f"# DiagnosticsLog of CP-1, .., {len(events)} events"
    assert 'frame cp_to_csms [2,"m1","Heartbeat",{}]' in text
    security = log_text("CP-1", SECURITY, events).decode().splitlines()
    assert len(security) == 2
    assert "Connected url=ws://csms/CP-1 subprotocol=ocpp1.6" in security[1]
    later = log_text("CP-1", DIAGNOSTICS, events, oldest=events[-1].timestamp + timedelta(seconds=1))
    assert later.decode().splitlines()[1:] == []


def test_the_file_name_says_who_what_and_when() -> None:
    assert file_name("CP-1", "diagnostics", AT) == "CP-1-diagnostics-20261204T040000Z.log"


def test_a_triggered_status_is_the_one_under_way_or_idle_and_a_cut_upload_is_a_failure() -> None:
    assert [upload_status_now(s) for s in ("Uploading", "Uploaded", "UploadFailure", "Idle")] == [
        "Uploading",
        "Idle",
        "Idle",
        "Idle",
    ]
    assert [
        firmware_status_now(s) for s in ("Downloaded", "InstallRebooting", "Installed", "InvalidSignature")
    ] == [
        "Downloaded",
        "InstallRebooting",
        "Idle",
        "Idle",
    ]
    assert (interrupted_upload("Uploading", None), interrupted_upload("Uploading", 4)) == (
        "UploadFailed",
        "UploadFailure",
    )
    assert interrupted_upload("Uploaded", None) is None
