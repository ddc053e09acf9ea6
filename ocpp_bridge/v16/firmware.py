"""OCPP 1.6 Firmware Management: UpdateFirmware (FirmwareStatusNotification Downloading → Downloaded →
Installing, the reboot, the new version in the BootNotification, then Installed) and GetDiagnostics
(DiagnosticsStatusNotification Uploading → Uploaded / UploadFailed, the log uploaded to the location);
and the security whitepaper's SignedUpdateFirmware (SignedFirmwareStatusNotification, 2.0.1's
progression) and GetLog (LogStatusNotification). A signed update and a GetLog have a requestId: that is
how the notifications of each are told apart, after a restart too."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from ocpp_bridge.core import diagnostics, firmware
from ocpp_bridge.runtime.maintenance import Maintenance, UploadRequest
from ocpp_bridge.v16.session import V16Session

DEFAULT_TRIES = 1  # the CSMS left the number of tries to us


def tries(retries: int | None) -> int:
    """1.6 "retries": "how many times the Charge Point must try ... before giving up" (tries in all;
    2.0.1 and the security whitepaper count the retries after the first)."""
    return max(1, DEFAULT_TRIES if retries is None else retries)


class V16Firmware(Maintenance, V16Session):
    def firmware_notification(self, status: str) -> Any:
        request_id = self.cp.firmware_request_id
        if request_id is None:
            return call.FirmwareStatusNotification(status=status)
        return call.SignedFirmwareStatusNotification(status=status, request_id=request_id)

    def upload_notification(self, status: str) -> Any:
        request_id = self.cp.upload_request_id
        if request_id is None:
            return call.DiagnosticsStatusNotification(status=status)
        return call.LogStatusNotification(status=status, request_id=request_id)

    async def report_all(self) -> None:
        await super().report_all()
        await self.report_maintenance()

    def update_firmware(
        self,
        location: str,
        retrieve_date: str,
        retries: int | None,
        retry_interval: int | None,
        message_id: str,
    ) -> None:
        """The answer is empty; the update runs after it (a second one replaces an update under way)."""
        update = firmware.FirmwareUpdate(
            location=location,
            retrieve_at=firmware.moment(retrieve_date),
            attempts=tries(retries),
            retry_interval_s=float(retry_interval or 0),
        )
        self.update_in_background(message_id, update, firmware.V16_PROGRESSION)

    def get_diagnostics(
        self,
        location: str,
        retries: int | None,
        retry_interval: int | None,
        start_time: str | None,
        stop_time: str | None,
        message_id: str,
    ) -> str:
        """The file name at once; the upload after the answer."""
        name = diagnostics.file_name(self.identity, "diagnostics", self.clock.now())
        request = UploadRequest(
            location, name, start_time, stop_time, tries(retries), float(retry_interval or 0)
        )
        self.upload_in_background(message_id, diagnostics.DIAGNOSTICS, request)
        return name
