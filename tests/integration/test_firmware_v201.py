"""OCPP 2.0.1 blocks L and N against the test CSMS and a file server on loopback: UpdateFirmware's whole
progression with a real download, the reboot (reason FirmwareUpdate) and the new version in the next
BootNotification (also after a restart of the bridge), its answers (InvalidCertificate, AcceptedCanceled),
retries and injected failures; GetLog with a real upload; SetNetworkProfile; Publish/UnpublishFirmware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.v201 import call

from domain.chargepoint import ChargePoint
from domain.commands import FailFirmware, FailUpload
from gateway.context import Context
from ocpp_bridge.lab.csms import Received
from tests.file_server import FileServer, file_server
from tests.integration.test_bridge_v201 import CS, boot, describe, mark, restartable_lab
from tests.integration.v16_support import recorded
from tests.lab import SPEED, Lab, running_lab
from tests.signing import NOT_A_CERTIFICATE

IMAGE = b"\x7fELF ocpp-ledger 0.3 firmware image"
PATH = "/firmware/ocpp-ledger-0.3.bin"


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
    if message.action in ("FirmwareStatusNotification", "LogStatusNotification"):
        return f"{message.action.removesuffix('StatusNotification')} {p['status']} {p.get('request_id')}"
    if message.action == "SecurityEventNotification":
        return f"Security {p['type']}"
    if message.action == "BootNotification":
        return f"Boot {p['reason']} {p['charging_station'].get('firmware_version')}"
    return describe(message)


def steps(lab: Lab, position: int) -> list[str]:
    return [step(m) for m in lab.csms.messages(CS)[position:] if m.action not in ("Heartbeat", "MeterValues")]


async def until(lab: Lab, position: int, last: str, timeout: float = 15.0) -> list[str]:
    await lab.csms.wait_for(lambda: last in steps(lab, position), timeout)
    return steps(lab, position)


def update(url: str, request_id: int = 1, **image: Any) -> call.UpdateFirmware:
    retries = image.pop("retries", None)
    interval = image.pop("retry_interval", None)
    when = datetime.now(UTC).isoformat()
    return call.UpdateFirmware(
        request_id=request_id,
        firmware={"location": url, "retrieve_date_time": image.pop("retrieve_date_time", when), **image},
        retries=retries,
        retry_interval=interval,
    )


async def test_update_firmware_progresses_reboots_and_boots_with_the_new_version(
    context: Context, files: FileServer
) -> None:
    async with restartable_lab(context) as (lab, restart):
        charger = await boot(lab)
        at = mark(lab)
        answer = await lab.csms.call(CS, update(files.url + PATH, request_id=42))
        assert answer.status == "Accepted"
        assert await until(lab, at, "Security FirmwareUpdated") == [
            "Firmware Downloading 42",
            "Firmware Downloaded 42",
            "Firmware Installing 42",
            "Firmware InstallRebooting 42",
            "Boot FirmwareUpdate ocpp-ledger-0.3",
            "Status:1:Available",
            "Event:Connector.AvailabilityState=Available",
            "Status:2:Available",
            "Event:Connector.AvailabilityState=Available",
            "Firmware Installed 42",
            "Security FirmwareUpdated",
        ]
        assert [r.path for r in files.got("GET")] == [PATH]
        (installed,) = recorded(lab, charger, ChargePoint.FirmwareInstalled)
        assert (installed.version, installed.request_id) == ("ocpp-ledger-0.3", 42)
        await restart()
        await lab.csms.wait_for(lambda: len(lab.csms.messages(CS, "BootNotification")) == 3)
        rebooted = lab.csms.messages(CS, "BootNotification")[-1].payload
        assert (rebooted["reason"], rebooted["charging_station"]["firmware_version"]) == (
            "PowerUp",
            "ocpp-ledger-0.3",
        )


async def test_scheduled_download_and_install_are_reported_and_waited_for(
    lab: Lab, files: FileServer
) -> None:
    await boot(lab)
    at = mark(lab)
    soon = lab.clock.now() + timedelta(seconds=30)
    later = lab.clock.now() + timedelta(seconds=60)
    await lab.csms.call(
        CS,
        update(files.url + PATH, 5, retrieve_date_time=soon.isoformat(), install_date_time=later.isoformat()),
    )
    answered = asyncio.get_running_loop().time()
    assert (await until(lab, at, "Firmware InstallRebooting 5"))[:5] == [
        "Firmware DownloadScheduled 5",
        "Firmware Downloading 5",
        "Firmware Downloaded 5",
        "Firmware InstallScheduled 5",
        "Firmware Installing 5",
    ]
    arrived = {step(m): m.at - answered for m in lab.csms.messages(CS)[at:]}
    assert arrived["Firmware Downloading 5"] >= 0.9 * 30 / SPEED  # simulated seconds at the lab's speed
    assert arrived["Firmware Installing 5"] >= 0.9 * 60 / SPEED


async def test_the_answers_invalid_certificate_and_accepted_canceled(lab: Lab, files: FileServer) -> None:
    await boot(lab)
    refused = await lab.csms.call(CS, update(files.url + PATH, 1, signing_certificate=NOT_A_CERTIFICATE))
    assert refused.status == "InvalidCertificate"
    later = (lab.clock.now() + timedelta(hours=1)).isoformat()
    at = mark(lab)
    first = await lab.csms.call(CS, update(files.url + PATH, 2, retrieve_date_time=later))
    assert first.status == "Accepted"
    await until(lab, at, "Firmware DownloadScheduled 2")
    second = await lab.csms.call(CS, update(files.url + PATH, 3))
    assert second.status == "AcceptedCanceled"  # the scheduled update gave way to this one
    assert (await until(lab, at, "Firmware Installed 3"))[:2] == [
        "Firmware DownloadScheduled 2",
        "Firmware Downloading 3",
    ]


async def test_retries_and_injected_failures(lab: Lab, files: FileServer) -> None:
    charger = await boot(lab)
    at = mark(lab)
    missing = files.url + "/firmware/missing.bin"
    await lab.csms.call(CS, update(missing, 7, retries=2, retry_interval=5))
    assert await until(lab, at, "Firmware DownloadFailed 7") == [
        "Firmware Downloading 7",
        "Firmware DownloadFailed 7",
    ]
    assert len(files.got("GET")) == 3  # the first try and two retries

    armed = await lab.run(charger, FailFirmware(stage="install"))
    assert armed["result"]["status"] == "Armed"
    at = mark(lab)
    await lab.csms.call(CS, update(files.url + PATH, 8))
    assert await until(lab, at, "Firmware InstallationFailed 8") == [
        "Firmware Downloading 8",
        "Firmware Downloaded 8",
        "Firmware Installing 8",
        "Firmware InstallationFailed 8",
    ]
    assert recorded(lab, charger, ChargePoint.FirmwareInstalled) == []


async def test_get_log_uploads_the_log_of_the_window_and_reports_it(lab: Lab, files: FileServer) -> None:
    charger = await boot(lab)
    at = mark(lab)
    answer = await lab.csms.call(
        CS,
        call.GetLog(log={"remote_location": files.url + "/logs"}, log_type="DiagnosticsLog", request_id=11),
    )
    assert answer.status == "Accepted"
    assert await until(lab, at, "Log Uploaded 11") == ["Log Uploading 11", "Log Uploaded 11"]
    (upload,) = files.got("POST")
    assert upload.file_name == answer.filename
    assert upload.body.decode().startswith("# DiagnosticsLog of CS-1")
    assert '"GetLog"' in upload.body.decode()

    security = await lab.csms.call(
        CS,
        call.GetLog(
            log={"remote_location": files.url + "/logs", "oldest_timestamp": lab.clock.now().isoformat()},
            log_type="SecurityLog",
            request_id=12,
        ),
    )
    assert security.status == "Accepted"
    await until(lab, at, "Log Uploaded 12")
    text = files.got("POST")[1].body.decode()
    assert text.startswith("# SecurityLog of CS-1")
    assert "frame" not in text  # a security log holds no frames
    assert "UploadStatusChanged" not in text

    await lab.run(charger, FailUpload(times=2))
    at = mark(lab)
    await lab.csms.call(
        CS,
        call.GetLog(
            log={"remote_location": files.url + "/logs"},
            log_type="DiagnosticsLog",
            request_id=13,
            retries=1,
            retry_interval=5,
        ),
    )
    assert await until(lab, at, "Log UploadFailure 13") == ["Log Uploading 13", "Log UploadFailure 13"]
    assert len(files.got("POST")) == 2


async def test_set_network_profile_stores_a_fitting_profile_and_rejects_others(lab: Lab) -> None:
    charger = await boot(lab)
    profile = {
        "ocpp_version": "OCPP20",
        "ocpp_transport": "JSON",
        "ocpp_csms_url": "wss://csms.example/ocpp",
        "message_timeout": 30,
        "security_profile": 2,
        "ocpp_interface": "Wired0",
    }
    stored = await lab.csms.call(CS, call.SetNetworkProfile(configuration_slot=2, connection_data=profile))
    assert stored.status == "Accepted"
    plain = {**profile, "ocpp_csms_url": "ws://csms.example/ocpp"}
    refused = await lab.csms.call(CS, call.SetNetworkProfile(configuration_slot=2, connection_data=plain))
    assert refused.status == "Rejected"
    assert "securityProfile 2" in refused.status_info["additional_info"]
    nowhere = await lab.csms.call(CS, call.SetNetworkProfile(configuration_slot=9, connection_data=profile))
    assert nowhere.status == "Rejected"
    (event,) = recorded(lab, charger, ChargePoint.NetworkProfileStored)
    assert (event.slot, event.connection_data["ocpp_csms_url"]) == (2, "wss://csms.example/ocpp")
    assert lab.station(charger).cp.network_profiles == {2: profile}


async def test_publish_and_unpublish_firmware_are_not_supported_with_the_reason(lab: Lab) -> None:
    await boot(lab)
    for request in (
        call.PublishFirmware(location="http://127.0.0.1/fw.bin", checksum="0" * 32, request_id=1),
        call.UnpublishFirmware(checksum="0" * 32),
    ):
        with pytest.raises(NotSupportedError) as refused:
            await lab.csms.call(CS, request)
        assert "not a local controller" in refused.value.details["cause"]
