"""OCPP 2.0.1 firmware and diagnostics (blocks L and N) and SetNetworkProfile (B09): UpdateFirmware with
FirmwareStatusNotification [DownloadScheduled →] Downloading → Downloaded [→ SignatureVerified]
[→ InstallScheduled] → Installing → InstallRebooting, the reboot (BootNotification reason FirmwareUpdate,
the new version), then Installed; GetLog with LogStatusNotification Uploading → Uploaded / UploadFailure.
PublishFirmware / UnpublishFirmware are a local controller's: answered NotSupported (ocpp_bridge.
unsupported)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ocpp.v201 import call

from ocpp_bridge.core import diagnostics, firmware
from ocpp_bridge.core.effects import Step
from ocpp_bridge.maintenance import FIRMWARE, UPLOADS, Maintenance, UploadRequest
from ocpp_bridge.v201.firmware_answers import network_profile_answer, update_firmware_answer
from ocpp_bridge.v201.session import V201Session


class V201Firmware(Maintenance, V201Session):
    upload_failed = "UploadFailure"

    def firmware_notification(self, status: str) -> Any:
        return call.FirmwareStatusNotification(status=status, request_id=self.cp.firmware_request_id)

    def upload_notification(self, status: str) -> Any:
        return call.LogStatusNotification(status=status, request_id=self.cp.upload_request_id)

    async def report_all(self) -> None:
        await super().report_all()
        await self.report_maintenance()

    def update_firmware(
        self,
        request_id: int,
        image: dict[str, Any],
        retries: int | None,
        retry_interval: int | None,
        message_id: str,
    ) -> str:
        answer = update_firmware_answer(image.get("signing_certificate"), self.busy_with(FIRMWARE))
        if answer not in ("Accepted", "AcceptedCanceled"):
            return answer
        install_at = image.get("install_date_time")
        update = firmware.FirmwareUpdate(
            location=image["location"],
            retrieve_at=datetime.fromisoformat(image["retrieve_date_time"]),
            attempts=1 + (retries or 0),  # "how many times the Charging Station must retry"
            retry_interval_s=float(retry_interval or 0),
            request_id=request_id,
            install_at=None if install_at is None else datetime.fromisoformat(install_at),
            signature=image.get("signature"),
            signing_certificate=image.get("signing_certificate"),
        )

        async def step() -> Step[str]:
            return firmware.update_firmware(
                self.cp, update, self.clock.now(), self.firmware_notification, firmware.V201_PROGRESSION
            )

        async def done(last: str) -> None:
            if last == "Installed":
                self.boot_reason = "FirmwareUpdate"
                self.reboot()  # the BootNotification after it carries the new version, then Installed

        self.run_in_background(FIRMWARE, message_id, step, done)
        return answer

    def get_log(
        self,
        log: dict[str, Any],
        log_type: str,
        request_id: int,
        retries: int | None,
        retry_interval: int | None,
        message_id: str,
    ) -> tuple[str, str]:
        """Accepted (AcceptedCanceled when an upload under way is cancelled for it) and the file name."""
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

    def set_network_profile(self, slot: int, connection_data: dict[str, Any]) -> tuple[str, str]:
        """Stored in its slot (it is used after a reboot; the simulator keeps connecting to its ws_url)."""
        status, why = network_profile_answer(slot, connection_data, self.security_profile())
        if status == "Accepted":
            self.cp.network_profile_stored(slot, connection_data)
            self.record()
        return status, why

    def security_profile(self) -> int:
        """The profile the station connects with now: 1 Basic auth, 2 Basic auth over TLS, 0 neither."""
        settings = self.charger.settings
        tls = urlsplit(settings.ws_url).scheme == "wss"
        if settings.basic_auth_password is None:
            return 0
        return 2 if tls else 1
