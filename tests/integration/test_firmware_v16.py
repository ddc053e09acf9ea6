"""OCPP 1.6 Firmware Management against the test CSMS and a file server on loopback: UpdateFirmware's whole
progression with a real download, the reboot and the new version in the next BootNotification (also after
a restart of the bridge), the retries of a failed download, GetDiagnostics with a real upload of the log,
and the failures the fail-firmware / fail-upload commands inject."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call

from domain.chargepoint import ChargePoint
from domain.commands import FailFirmware, FailUpload
from gateway.context import Context
from ocpp_bridge.lab.csms import Behaviour, Received
from tests.file_server import FileServer, file_server
from tests.integration.test_bridge_v201 import restartable_lab
from tests.integration.v16_support import booted_charger, label, ledger_until, mark, recorded, settled
from tests.lab import SPEED, Lab, running_lab
from tests.signing import NOT_A_CERTIFICATE, signed

CP = "CP-1"
IMAGE = b"\x7fELF ocpp-ledger 0.2 firmware image"
PATH = "/firmware/ocpp-ledger-0.2.bin"


@pytest.fixture
def files() -> Iterator[FileServer]:
    with file_server() as server:
        server.files[PATH] = IMAGE
        yield server


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def step(message: Received) -> str:
    p = message.payload
    if message.action.endswith("StatusNotification") and message.action != "StatusNotification":
        request = "" if p.get("request_id") is None else f" {p['request_id']}"
        return f"{message.action.removesuffix('StatusNotification')} {p['status']}{request}"
    if message.action == "SecurityEventNotification":
        return f"Security {p['type']}"
    if message.action == "BootNotification":
        return f"Boot {p.get('firmware_version')}"
    return label(message)


def steps(lab: Lab, position: int) -> list[str]:
    return [step(m) for m in lab.csms.messages(CP)[position:] if m.action not in ("Heartbeat", "MeterValues")]


async def until(lab: Lab, position: int, last: str, timeout: float = 15.0) -> list[str]:
    await lab.csms.wait_for(lambda: last in steps(lab, position), timeout)
    return steps(lab, position)


def now() -> str:
    return datetime.now(UTC).isoformat()


async def test_update_firmware_downloads_installs_reboots_and_boots_with_the_new_version(
    context: Context, files: FileServer
) -> None:
    async with restartable_lab(context) as (lab, restart):
        charger = await booted_charger(lab)
        at = mark(lab, CP)
        answer = await lab.csms.call(CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=now()))
        assert answer is not None
        assert await until(lab, at, "Firmware Installed") == [
            "Firmware Downloading",
            "Firmware Downloaded",
            "Firmware Installing",
            "Boot ocpp-ledger-0.2",
            "Status 0 Available",
            "Status 1 Available",
            "Status 2 Available",
            "Firmware Installed",
        ]
        assert [r.path for r in files.got("GET")] == [PATH]
        (installed,) = recorded(lab, charger, ChargePoint.FirmwareInstalled)
        assert installed.version == "ocpp-ledger-0.2"
        (rebooting,) = [
            e for e in recorded(lab, charger, ChargePoint.Disconnected) if e.reason == "rebooting"
        ]
        assert rebooting.retry_in_seconds == 5
        # A new bridge on the same ledger: the charger boots with what it installed, and reports no
        # update again.
        await restart()
        await lab.csms.wait_for(lambda: len(lab.csms.messages(CP, "BootNotification")) == 3)
        assert lab.csms.messages(CP, "BootNotification")[-1].payload["firmware_version"] == "ocpp-ledger-0.2"
        at = mark(lab, CP)
        await lab.booted(CP)
        await settled(lab, CP)
        assert "Firmware Installed" not in steps(lab, at)


async def test_an_update_a_bridge_restart_cut_short_starts_again_after_the_boot(
    context: Context, files: FileServer
) -> None:
    async with restartable_lab(context) as (lab, restart):
        charger = await booted_charger(lab)
        retrieve = lab.clock.now() + timedelta(seconds=150)  # 1.5 s: the restart comes first
        await lab.csms.call(
            CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=retrieve.isoformat())
        )
        await ledger_until(lab, lambda: recorded(lab, charger, ChargePoint.FirmwareUpdateRequested) or None)
        await restart()
        at = mark(lab, CP)
        assert await until(lab, at, "Firmware Installed") == [
            "Boot ocpp-ledger 0.1",
            "Status 0 Available",
            "Status 1 Available",
            "Status 2 Available",
            "Firmware Downloading",
            "Firmware Downloaded",
            "Firmware Installing",
            "Boot ocpp-ledger-0.2",
            "Status 0 Available",
            "Status 1 Available",
            "Status 2 Available",
            "Firmware Installed",
        ]
        assert lab.clock.now() >= retrieve
        assert [r.path for r in files.got("GET")] == [PATH]


async def test_a_status_the_csms_refuses_is_not_sent_again_and_the_update_goes_on(
    context: Context, files: FileServer
) -> None:
    async with running_lab(context, Behaviour(failing_actions={"FirmwareStatusNotification": 1})) as lab:
        charger = await booted_charger(lab)
        at = mark(lab, CP)
        await lab.csms.call(CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=now()))
        steps_seen = await until(lab, at, "Firmware Installed")
        # The CSMS answered the first (Downloading) with CALLERROR: not sent again, the charger went on.
        assert steps_seen[:4] == [
            "Firmware Downloading",
            "Firmware Downloaded",
            "Firmware Installing",
            "Boot ocpp-ledger-0.2",
        ]
        errors = [f for f in recorded(lab, charger, ChargePoint.FrameRecorded) if f.message_type == 4]
        assert len(errors) == 1
        statuses = [e.status for e in recorded(lab, charger, ChargePoint.FirmwareStatusChanged)]
        assert statuses == ["Downloading", "Downloaded", "Installing", "Installed"]


async def test_a_dropped_connection_does_not_stop_an_update(lab: Lab, files: FileServer) -> None:
    charger = await booted_charger(lab)
    retrieve = lab.clock.now() + timedelta(seconds=100)  # 1 s: the connection drops first
    at = mark(lab, CP)
    await lab.csms.call(
        CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=retrieve.isoformat())
    )
    await lab.csms.drop(CP)
    await lab.csms.wait_for(lambda: len(lab.csms.messages(CP, "BootNotification")) == 2)
    assert (await until(lab, at, "Firmware Installed"))[-5:] == [
        "Boot ocpp-ledger-0.2",
        "Status 0 Available",
        "Status 1 Available",
        "Status 2 Available",
        "Firmware Installed",
    ]
    assert len(recorded(lab, charger, ChargePoint.FirmwareInstalled)) == 1


async def test_the_download_waits_for_the_retrieve_date(lab: Lab, files: FileServer) -> None:
    await booted_charger(lab)
    at = mark(lab, CP)
    retrieve = lab.clock.now() + timedelta(seconds=60)  # simulated: 0.6 s at the lab's speed
    await lab.csms.call(
        CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=retrieve.isoformat())
    )
    answered = asyncio.get_running_loop().time()
    await until(lab, at, "Firmware Downloaded")
    (downloading,) = [m for m in lab.csms.messages(CP)[at:] if step(m) == "Firmware Downloading"]
    assert downloading.at - answered >= 0.9 * 60 / SPEED
    assert [r.path for r in files.got("GET")] == [PATH]


async def test_a_failed_download_is_retried_then_reported_download_failed(
    lab: Lab, files: FileServer
) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    missing = files.url + "/firmware/missing.bin"  # 404
    await lab.csms.call(
        CP, call.UpdateFirmware(location=missing, retrieve_date=now(), retries=3, retry_interval=10)
    )
    assert await until(lab, at, "Firmware DownloadFailed") == [
        "Firmware Downloading",
        "Firmware DownloadFailed",
    ]
    assert [r.path for r in files.got("GET")] == ["/firmware/missing.bin"] * 3
    assert recorded(lab, charger, ChargePoint.FirmwareInstalled) == []
    assert lab.csms.messages(CP, "BootNotification")[-1].payload["firmware_version"] == "ocpp-ledger 0.1"


async def test_injected_failures_fail_the_download_then_the_installation(lab: Lab, files: FileServer) -> None:
    charger = await booted_charger(lab)
    armed = await lab.run(charger, FailFirmware(stage="download", times=2))
    assert (armed["status"], armed["result"]["status"]) == ("completed", "Armed")
    at = mark(lab, CP)
    await lab.csms.call(CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=now(), retries=2))
    assert await until(lab, at, "Firmware DownloadFailed") == [
        "Firmware Downloading",
        "Firmware DownloadFailed",
    ]
    assert files.got("GET") == []  # both tries were taken by the injected failure

    await lab.run(charger, FailFirmware(stage="install"))
    at = mark(lab, CP)
    await lab.csms.call(CP, call.UpdateFirmware(location=files.url + PATH, retrieve_date=now()))
    assert await until(lab, at, "Firmware InstallationFailed") == [
        "Firmware Downloading",
        "Firmware Downloaded",
        "Firmware Installing",
        "Firmware InstallationFailed",
    ]
    assert recorded(lab, charger, ChargePoint.FirmwareInstalled) == []
    (injected, _) = recorded(lab, charger, ChargePoint.FailureInjected)
    assert (injected.stage, injected.times, injected.command_id is not None) == ("download", 2, True)


async def test_get_diagnostics_uploads_the_log_and_answers_its_file_name(lab: Lab, files: FileServer) -> None:
    charger = await booted_charger(lab)
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.GetDiagnostics(location=files.url + "/uploads"))
    assert answer.file_name.startswith("CP-1-diagnostics-")
    assert await until(lab, at, "Diagnostics Uploaded") == ["Diagnostics Uploading", "Diagnostics Uploaded"]
    (upload,) = files.got("POST")
    assert (upload.path, upload.file_name) == ("/uploads", answer.file_name)
    text = upload.body.decode()
    assert text.startswith("# DiagnosticsLog of CP-1")
    assert "frame cp_to_csms" in text
    assert '"BootNotification"' in text  # the boot this charger made is in its log
    assert "GetDiagnostics" in text  # and the call that asked for it
    statuses = [e.status for e in recorded(lab, charger, ChargePoint.UploadStatusChanged)]
    assert statuses == ["Uploading", "Uploaded"]


async def test_a_failed_upload_is_retried_and_an_injected_one_reported_upload_failed(
    lab: Lab, files: FileServer
) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, FailUpload(times=1))
    at = mark(lab, CP)
    await lab.csms.call(CP, call.GetDiagnostics(location=files.url + "/uploads", retries=2, retry_interval=5))
    assert await until(lab, at, "Diagnostics Uploaded") == ["Diagnostics Uploading", "Diagnostics Uploaded"]
    assert len(files.got("POST")) == 1  # the first try failed, the retry went through

    await lab.run(charger, FailUpload(times=1))
    at = mark(lab, CP)
    await lab.csms.call(CP, call.GetDiagnostics(location="ftp://127.0.0.1/uploads"))  # no FTP here
    assert await until(lab, at, "Diagnostics UploadFailed") == [
        "Diagnostics Uploading",
        "Diagnostics UploadFailed",
    ]


async def test_a_triggered_firmware_status_is_idle_once_an_update_has_ended(
    lab: Lab, files: FileServer
) -> None:
    await booted_charger(lab)
    await lab.csms.call(CP, call.UpdateFirmware(location=files.url + "/nothing.bin", retrieve_date=now()))
    await until(lab, 0, "Firmware DownloadFailed")
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, call.TriggerMessage(requested_message="FirmwareStatusNotification"))
    assert answer.status == "Accepted"
    assert await until(lab, at, "Firmware Idle") == ["Firmware Idle"]


# --- the security whitepaper: SignedUpdateFirmware and GetLog -------------------------------------------


def signed_update(url: str, request_id: int, certificate: str, signature: str) -> call.SignedUpdateFirmware:
    return call.SignedUpdateFirmware(
        request_id=request_id,
        firmware={
            "location": url,
            "retrieve_date_time": now(),
            "signing_certificate": certificate,
            "signature": signature,
        },
    )


async def test_signed_update_firmware_verifies_the_signature_installs_and_reboots(
    lab: Lab, files: FileServer
) -> None:
    charger = await booted_charger(lab)
    certificate, signature = signed(IMAGE)
    refused = await lab.csms.call(CP, signed_update(files.url + PATH, 1, NOT_A_CERTIFICATE, signature))
    assert refused.status == "InvalidCertificate"
    at = mark(lab, CP)
    answer = await lab.csms.call(CP, signed_update(files.url + PATH, 4, certificate, signature))
    assert answer.status == "Accepted"
    assert await until(lab, at, "Security FirmwareUpdated") == [
        "SignedFirmware Downloading 4",
        "SignedFirmware Downloaded 4",
        "SignedFirmware SignatureVerified 4",
        "SignedFirmware Installing 4",
        "SignedFirmware InstallRebooting 4",
        "Boot ocpp-ledger-0.2",
        "Status 0 Available",
        "Status 1 Available",
        "Status 2 Available",
        "SignedFirmware Installed 4",
        "Security FirmwareUpdated",
    ]
    at = mark(lab, CP)
    forged = signed(b"another image")[1]
    await lab.csms.call(CP, signed_update(files.url + PATH, 5, certificate, forged))
    assert await until(lab, at, "Security InvalidFirmwareSignature") == [
        "SignedFirmware Downloading 5",
        "SignedFirmware Downloaded 5",
        "SignedFirmware InvalidSignature 5",
        "Security InvalidFirmwareSignature",
    ]
    assert len(recorded(lab, charger, ChargePoint.FirmwareInstalled)) == 1
    at = mark(lab, CP)
    await lab.csms.call(CP, call.TriggerMessage(requested_message="FirmwareStatusNotification"))
    assert await until(lab, at, "Firmware Idle") == ["Firmware Idle"]  # a signed update is not its to tell


async def test_get_log_uploads_the_log_and_reports_it_with_its_request_id(
    lab: Lab, files: FileServer
) -> None:
    charger = await booted_charger(lab)
    await lab.run(charger, FailUpload(times=1))
    at = mark(lab, CP)
    answer = await lab.csms.call(
        CP,
        call.GetLog(
            log={"remote_location": files.url + "/logs"},
            log_type="SecurityLog",
            request_id=21,
            retries=1,
            retry_interval=5,
        ),
    )
    assert answer.status == "Accepted"
    assert answer.filename.startswith("CP-1-SecurityLog-")
    assert await until(lab, at, "Log Uploaded 21") == ["Log Uploading 21", "Log Uploaded 21"]
    (upload,) = files.got("POST")
    assert upload.file_name == answer.filename
    assert "BootAnswered status=Accepted" in upload.body.decode()
