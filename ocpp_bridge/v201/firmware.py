"""OCPP 2.0.1 firmware and diagnostics (blocks L and N) and SetNetworkProfile (B09): UpdateFirmware with
FirmwareStatusNotification [DownloadScheduled →] Downloading → Downloaded [→ SignatureVerified]
[→ InstallScheduled] → Installing → InstallRebooting, the reboot (BootNotification reason FirmwareUpdate,
the new version), then Installed; GetLog with LogStatusNotification Uploading → Uploaded / UploadFailure.
PublishFirmware / UnpublishFirmware are a local controller's: answered NotSupported (ocpp_bridge.
unsupported)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ocpp.v201 import call

from ocpp_bridge.runtime.maintenance import Maintenance
from ocpp_bridge.v201.firmware_answers import network_profile_answer
from ocpp_bridge.v201.session import V201Session


class V201Firmware(Maintenance, V201Session):
    def firmware_notification(self, status: str) -> Any:
        return call.FirmwareStatusNotification(status=status, request_id=self.cp.firmware_request_id)

    def upload_notification(self, status: str) -> Any:
        return call.LogStatusNotification(status=status, request_id=self.cp.upload_request_id)

    def rebooting_for_firmware(self) -> None:
        self.boot_reason = "FirmwareUpdate"

    async def report_all(self) -> None:
        await super().report_all()
        await self.report_maintenance()

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
