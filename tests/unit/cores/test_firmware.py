"""The firmware update step: what a charger reports at each stage, when it waits, how it retries a
download, what an injected failure does, and what it records (the version the next boot reports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from domain.chargepoint import ChargePoint
from ocpp_bridge.core.effects import Download, Effect, Result, SendCall, Wait
from ocpp_bridge.core.firmware import (
    DOWNLOAD,
    INSTALL,
    V16_PROGRESSION,
    V201_PROGRESSION,
    FirmwareUpdate,
    Progression,
    certificate_readable,
    firmware_version,
    moment,
    recorded,
    resumed,
    update_firmware,
)
from tests.signing import NOT_A_CERTIFICATE, signed
from tests.unit.cores.charger import charge_point
from tests.unit.cores.drive import CALLERROR, TIMEOUT, drive, ok

NOW = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8080/firmware/ocpp-ledger-0.2.bin"
IMAGE = b"\x7fELF firmware image"


def status(name: str) -> SendCall:
    return SendCall(("FirmwareStatusNotification", name))


def notification(name: str) -> tuple[str, str]:
    return ("FirmwareStatusNotification", name)


def run(
    cp: ChargePoint,
    update: FirmwareUpdate,
    answers: Sequence[Result],
    progression: Progression = V16_PROGRESSION,
) -> tuple[list[Effect], str]:
    return drive(update_firmware(cp, update, NOW, notification, progression), answers)


def test_a_1_6_update_downloads_installs_and_records_the_new_version() -> None:
    cp = charge_point()
    effects, last = run(cp, FirmwareUpdate(URL, NOW), [ok(), ok(IMAGE), ok(), ok()])
    assert effects == [status("Downloading"), Download(URL), status("Downloaded"), status("Installing")]
    assert last == "Installed"  # reported after the reboot, with the new version in the boot
    assert (cp.firmware_version, cp.firmware_installed_unreported) == ("ocpp-ledger-0.2", True)
    assert cp.firmware_status == "Installing"


def test_the_download_waits_for_the_retrieve_date_on_simulated_time() -> None:
    cp = charge_point()
    later = FirmwareUpdate(URL, NOW + timedelta(minutes=10))
    effects, _ = run(cp, later, [ok(), ok(IMAGE), ok(), ok()])
    assert effects[:2] == [Wait(600.0), status("Downloading")]


def test_a_failed_download_is_retried_after_the_interval_then_reported_failed() -> None:
    cp = charge_point()
    update = FirmwareUpdate(URL, NOW, attempts=3, retry_interval_s=30.0)
    effects, last = run(cp, update, [ok(), CALLERROR, TIMEOUT, CALLERROR, ok()])
    assert effects == [
        status("Downloading"),
        Download(URL),
        Wait(30.0),
        Download(URL),
        Wait(30.0),
        Download(URL),
        status("DownloadFailed"),
    ]
    assert (last, cp.firmware_status, cp.firmware_version) == ("DownloadFailed", "DownloadFailed", None)


def test_a_retry_that_succeeds_goes_on_to_install() -> None:
    cp = charge_point()
    update = FirmwareUpdate(URL, NOW, attempts=2, retry_interval_s=5.0)
    effects, last = run(cp, update, [ok(), CALLERROR, ok(IMAGE), ok(), ok()])
    assert effects[1:4] == [Download(URL), Wait(5.0), Download(URL)]
    assert last == "Installed"


def test_an_injected_download_failure_takes_the_next_tries_without_a_download() -> None:
    cp = charge_point()
    cp.failure_injected(DOWNLOAD, 1, None)
    update = FirmwareUpdate(URL, NOW, attempts=2, retry_interval_s=5.0)
    effects, last = run(cp, update, [ok(), ok(IMAGE), ok(), ok()])
    assert effects[:3] == [status("Downloading"), Wait(5.0), Download(URL)]  # the first try failed
    assert last == "Installed"
    assert cp.injected_failures == {}  # used up


def test_an_injected_install_failure_reports_installation_failed_and_keeps_the_version() -> None:
    cp = charge_point()
    cp.failure_injected(INSTALL, 1, None)
    effects, last = run(cp, FirmwareUpdate(URL, NOW), [ok(), ok(IMAGE), ok(), ok(), ok()])
    assert effects[-2:] == [status("Installing"), status("InstallationFailed")]
    assert (last, cp.firmware_version) == ("InstallationFailed", None)
    assert not cp.firmware_installed_unreported


def test_installation_waits_until_no_transaction_runs() -> None:
    cp = charge_point()
    cp.transaction_started(1, "T1", "TAG", 0, NOW.isoformat(), "Accepted", None, None, None)
    step = update_firmware(cp, FirmwareUpdate(URL, NOW), NOW, notification)
    effects = [step.send(None), step.send(None), step.send(ok(IMAGE)), step.send(ok())]
    assert effects[-1] == Wait(5.0)
    cp.transaction_stopped(1, "T1", 10, "Local", NOW.isoformat(), None)
    assert step.send(None) == status("Installing")


def test_2_0_1_reports_scheduled_stages_signature_and_reboot() -> None:
    pem, signature = signed(IMAGE)
    update = FirmwareUpdate(
        URL,
        NOW + timedelta(seconds=60),
        request_id=7,
        install_at=NOW + timedelta(seconds=100),
        signature=signature,
        signing_certificate=pem,
    )
    cp = charge_point()
    effects, last = run(cp, update, [ok()] * 2 + [ok(IMAGE)] + [ok()] * 5, V201_PROGRESSION)
    assert effects == [
        status("DownloadScheduled"),
        Wait(60.0),
        status("Downloading"),
        Download(URL),
        status("Downloaded"),
        status("SignatureVerified"),
        status("InstallScheduled"),
        Wait(40.0),  # the install date counts from now, not from the end of the download wait
        status("Installing"),
        status("InstallRebooting"),
    ]
    assert (last, cp.firmware_request_id) == ("Installed", 7)

    forged = FirmwareUpdate(URL, NOW, signature=signed(b"another image")[1], signing_certificate=pem)
    effects, last = run(charge_point(), forged, [ok(), ok(IMAGE), ok(), ok()], V201_PROGRESSION)
    assert effects[-1] == status("InvalidSignature")
    assert last == "InvalidSignature"
    step = update_firmware(
        charge_point(), forged, NOW, notification, V201_PROGRESSION, lambda kind, at: ("Security", kind, at)
    )
    effects, _ = drive(step, [ok(), ok(IMAGE), ok(), ok(), ok()])
    assert effects[-2:] == [
        status("InvalidSignature"),
        SendCall(("Security", "InvalidFirmwareSignature", NOW)),
    ]
    assert certificate_readable(pem)
    assert not certificate_readable(NOT_A_CERTIFICATE)


def test_an_update_under_way_is_on_record_to_start_again_after_a_restart() -> None:
    update = FirmwareUpdate(URL, NOW, attempts=3, retry_interval_s=5.0, request_id=9, install_at=NOW)
    cp = charge_point()
    cp.firmware_update_requested(recorded(update, V201_PROGRESSION))
    cp.firmware_status_changed("Downloading", 9)
    assert cp.firmware_pending is not None
    assert resumed(cp.firmware_pending) == (update, V201_PROGRESSION)
    cp.firmware_status_changed("DownloadFailed", 9)  # it ended: nothing to start again
    assert cp.firmware_pending is None
    assert resumed(recorded(FirmwareUpdate(URL, NOW), V16_PROGRESSION)) == (
        FirmwareUpdate(URL, NOW),
        V16_PROGRESSION,
    )


def test_the_state_survives_a_restart() -> None:
    cp = charge_point()
    cp.failure_injected(INSTALL, 2, None)
    run(cp, FirmwareUpdate(URL, NOW), [ok(), ok(IMAGE), ok(), ok(), ok()])
    cp.firmware_installed("v2", None)
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, ChargePoint)
    assert (rebuilt.firmware_version, rebuilt.firmware_status, rebuilt.injected_failures) == (
        "v2",
        "InstallationFailed",
        {INSTALL: 1},
    )


def test_a_date_without_an_offset_is_utc() -> None:
    assert moment("2026-12-04T04:00:00") == moment("2026-12-04T04:00:00Z") == NOW


@pytest.mark.parametrize(
    ("location", "version"),
    [
        (URL, "ocpp-ledger-0.2"),
        ("https://files.example/fw/fw-1.2.3", "fw-1.2.3"),
        ("ftp://host/images/v4.img?token=x", "v4"),
        ("http://host/", "unknown"),
    ],
)
def test_the_version_an_image_installs_is_its_file_name(location: str, version: str) -> None:
    assert firmware_version(location) == version
