"""What both versions' firmware updates and log uploads share in the shell: each runs as a task of its
own (an update waits for its retrieve date, retries and installs for minutes; commands go on meanwhile),
after the answer to the CSMS's call has gone; the log file is made from the charger's stored events; after
a boot, an installed image is reported Installed, an update a restart cut short starts again and an upload
it cut short is reported failed; 2.0.1 UpdateFirmware and GetLog, which the 1.6 security whitepaper
copies; and the fail-firmware / fail-upload commands (issue 11 item 8).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, ClassVar

from ocpp.routing import on
from ocpp.v201.enums import Action  # GetLog: the same action on 1.6 (security whitepaper)

from domain.clock import iso
from domain.commands import CommandType, FailFirmware, FailUpload
from domain.outcomes import GenericOutcome, Outcome
from ocpp_bridge.core import diagnostics, firmware
from ocpp_bridge.core.diagnostics import interrupted_upload, upload_status_now
from ocpp_bridge.core.effects import Step
from ocpp_bridge.core.errors import CommandError
from ocpp_bridge.core.firmware import INSTALL, UPLOAD, firmware_status_now
from ocpp_bridge.runtime.station import Station
from ocpp_bridge.runtime.station_connection import CommandHandler

FIRMWARE, UPLOADS = "firmware", "upload"


@dataclass(frozen=True)
class UploadRequest:
    """A GetDiagnostics / GetLog: where to, under which name, the window, the retries."""

    url: str
    file_name: str
    oldest: str | None
    latest: str | None
    attempts: int
    retry_interval_s: float
    request_id: int | None = None


class Maintenance(Station):
    """Firmware updates and log uploads as background tasks, one of each kind at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._maintenance: dict[str, asyncio.Task[Any]] = {}

    def running(self, kind: str) -> bool:
        task = self._maintenance.get(kind)
        return task is not None and not task.done()

    def busy_with(self, kind: str) -> bool:
        """An update (or upload) is under way: its task runs and has not reported how it ended."""
        if not self.running(kind):
            return False
        if kind == FIRMWARE:
            return firmware_status_now(self.cp.firmware_status) != "Idle"
        return upload_status_now(self.cp.upload_status) != "Idle"

    def run_in_background(
        self,
        kind: str,
        message_id: str | None,
        step: Callable[[], Awaitable[Step[str]]],
        done: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Run the step `step()` makes in a task of its own, once our answer to the CSMS call
        `message_id` (if any) has gone (one of this kind already running is cancelled: the CSMS asked
        again), and hand how it ended to `done`."""
        previous = self._maintenance.pop(kind, None)
        if previous is not None:
            previous.cancel()
        connection = self.connection

        async def run() -> None:
            if message_id is not None and connection is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(connection.answered(message_id), self.settings.response_timeout)
            last = await self.run_step(await step())
            if done is not None:
                await done(last)

        task = asyncio.create_task(run(), name=f"{self.identity}-{kind}")
        self._maintenance[kind] = task
        # Cancelled with the station; the finished ones are let go.
        self._tasks = [t for t in self._tasks if not t.done()] + [task]

    def update_in_background(
        self, message_id: str | None, update: firmware.FirmwareUpdate, progression: firmware.Progression
    ) -> None:
        """Run the update (on record, to resume after a restart); once installed, reboot (the
        BootNotification after it carries the new version, then Installed is reported)."""
        self.cp.firmware_update_requested(firmware.recorded(update, progression))
        self.record()

        signed = progression is firmware.V201_PROGRESSION

        async def step() -> Step[str]:
            return firmware.update_firmware(
                self.cp,
                update,
                self.clock.now(),
                self.firmware_notification,
                progression,
                self.security_notification if signed else None,
            )

        async def done(last: str) -> None:
            if last == "Installed":
                self.rebooting_for_firmware()
                self.reboot()

        self.run_in_background(FIRMWARE, message_id, step, done)

    def signed_update_firmware(
        self,
        request_id: int,
        image: dict[str, Any],
        retries: int | None,
        retry_interval: int | None,
        message_id: str,
    ) -> str:
        """2.0.1 UpdateFirmware and the 1.6 security whitepaper's SignedUpdateFirmware (the same): the
        answer, and the update after it with 2.0.1's progression."""
        answer = firmware.update_firmware_answer(image.get("signing_certificate"), self.busy_with(FIRMWARE))
        if answer in ("Accepted", "AcceptedCanceled"):
            update = firmware.signed_update(request_id, image, retries, retry_interval)
            self.update_in_background(message_id, update, firmware.V201_PROGRESSION)
        return answer

    def rebooting_for_firmware(self) -> None:
        """What a version does before the reboot that runs a new image (2.0.1: the boot's reason)."""

    def upload_in_background(self, message_id: str, kind: str, request: UploadRequest) -> None:
        """Make the log file of the window asked for, then upload it (Uploading → Uploaded / failed)."""

        async def step() -> Step[str]:
            body = await self.log_file(kind, request.oldest, request.latest)
            upload = diagnostics.LogUpload(
                request.url,
                request.file_name,
                body,
                attempts=request.attempts,
                retry_interval_s=request.retry_interval_s,
                request_id=request.request_id,
            )
            return diagnostics.upload_log(self.cp, upload, self.upload_notification)

        self.run_in_background(UPLOADS, message_id, step)

    def get_log(
        self,
        log: dict[str, Any],
        log_type: str,
        request_id: int,
        retries: int | None,
        retry_interval: int | None,
        message_id: str,
    ) -> tuple[str, str]:
        """2.0.1 GetLog, and the 1.6 security whitepaper's (the same): Accepted (AcceptedCanceled when an
        upload under way is cancelled for it) and the file name."""
        answer = "AcceptedCanceled" if self.busy_with(UPLOADS) else "Accepted"
        kind = diagnostics.SECURITY if log_type == "SecurityLog" else diagnostics.DIAGNOSTICS
        name = diagnostics.file_name(self.identity, kind, self.clock.now())
        request = UploadRequest(
            log["remote_location"],
            name,
            log.get("oldest_timestamp"),
            log.get("latest_timestamp"),
            1 + (retries or 0),
            float(retry_interval or 0),
            request_id,
        )
        self.upload_in_background(message_id, kind, request)
        return answer, name

    async def log_file(self, kind: str, oldest: str | None, latest: str | None) -> bytes:
        """The charger's recorded events in the window, oldest first, as text."""
        await self.durable()  # everything observed so far is in the store
        events = await asyncio.to_thread(lambda: list(self.writer.ledger.events.get(self.cp.id)))
        return diagnostics.log_text(self.identity, kind, events, _moment(oldest), _moment(latest))

    async def report_maintenance(self) -> None:
        """After a boot: Installed for the image this boot runs; an update a restart cut short starts
        again, an upload it cut short is reported failed."""
        with contextlib.suppress(CommandError):
            await self._report_maintenance()

    async def _report_maintenance(self) -> None:
        cp = self.cp
        if cp.firmware_installed_unreported:
            await self.send_status(FIRMWARE, "Installed", cp.firmware_request_id)
            if cp.firmware_request_id is not None:  # a signed update: a security event (2.0.1 L01.FR.31)
                await self.call(self.security_notification("FirmwareUpdated", self.clock.now()))
        elif not self.running(FIRMWARE) and cp.firmware_pending is not None:
            # A restart cut the update short: it starts again (the download from the start), as a
            # charger does after a power cut.
            self.update_in_background(None, *firmware.resumed(cp.firmware_pending))
        if not self.running(UPLOADS) and (
            failed := interrupted_upload(cp.upload_status, cp.upload_request_id)
        ):
            await self.send_status(UPLOADS, failed, cp.upload_request_id)

    async def send_status(self, kind: str, status: str, request_id: int | None) -> None:
        if kind == FIRMWARE:
            self.cp.firmware_status_changed(status, request_id)
            payload = self.firmware_notification(status)
        else:
            self.cp.upload_status_changed(status, request_id)
            payload = self.upload_notification(status)
        self.record()
        await self.call(payload)

    # --- what each version says -------------------------------------------------------------------------

    def firmware_notification(self, status: str) -> Any:
        raise NotImplementedError

    def upload_notification(self, status: str) -> Any:
        raise NotImplementedError

    def security_notification(self, kind: str, at: datetime) -> Any:
        return self.calls.SecurityEventNotification(type=kind, timestamp=iso(at), tech_info=None)

    # --- failures a test injects ----------------------------------------------------------------------

    async def cmd_fail_firmware(self, payload: FailFirmware) -> Outcome:
        self.cp.failure_injected(payload.stage, payload.times, self.current_command)
        doing = "download tries" if payload.stage != INSTALL else "installations"
        return GenericOutcome(status="Armed", msg=f"the next {payload.times} firmware {doing} fail")

    async def cmd_fail_upload(self, payload: FailUpload) -> Outcome:
        self.cp.failure_injected(UPLOAD, payload.times, self.current_command)
        return GenericOutcome(status="Armed", msg=f"the next {payload.times} upload tries fail")


MAINTENANCE_COMMANDS: dict[CommandType, CommandHandler] = {
    CommandType.FAIL_FIRMWARE: Maintenance.cmd_fail_firmware,
    CommandType.FAIL_UPLOAD: Maintenance.cmd_fail_upload,
}


def _moment(value: str | None) -> datetime | None:
    return None if value is None else firmware.moment(value)


class LogRoutes:
    """The GetLog route both versions' clients share (2.0.1's and the 1.6 security whitepaper's, the
    same message); `results` is the version's call_result module."""

    station: Any
    results: ClassVar[ModuleType]

    @on(Action.get_log)
    def on_get_log(
        self,
        log: dict[str, Any],
        log_type: str,
        request_id: int,
        call_unique_id: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        **_: Any,
    ) -> Any:
        status, name = self.station.get_log(
            log, log_type, request_id, retries, retry_interval, call_unique_id
        )
        return self.results.GetLog(status=status, filename=name)
