"""What a charge point records of its firmware, its diagnostics and log uploads, the network profiles
the CSMS stored in it, and the failures a test injected into them (issue 11, items 2 and 8).

A base of the ChargePoint aggregate: its state survives a restart of the bridge like the rest (the
installed firmware version is what the next BootNotification reports). Its defaults are class
attributes, so a ChargePoint recorded before these events existed has them too; every change replaces
a value, never mutates a shared one. Each event applies itself and is triggered as the aggregate's own
class of it (the ChargePoint redefines the event classes of its bases, under the same topics).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.aggregates import topic

# Where a firmware update ends (1.6 and 2.0.1 statuses): at any other, an update is under way.
FIRMWARE_ENDS = frozenset(
    {
        "Idle",
        "Installed",
        "DownloadFailed",
        "InstallationFailed",
        "InvalidSignature",
        "InstallVerificationFailed",
    }
)


class FirmwareRecord(Aggregate):
    # Declared for the type checker only: annotated attributes would become fields of the aggregate's
    # dataclass (and of its constructor).
    if TYPE_CHECKING:
        firmware_version: str | None  # installed by an UpdateFirmware; None: the simulator's own
        firmware_status: str  # the last FirmwareStatusNotification status
        firmware_request_id: int | None  # 2.0.1: the UpdateFirmware it belongs to
        firmware_installed_unreported: bool  # Installed is reported after the reboot's boot
        firmware_pending: dict[str, Any] | None  # the update under way, to resume after a restart
        upload_status: str  # the last Diagnostics/LogStatusNotification status
        upload_request_id: int | None
        injected_failures: Mapping[str, int]  # stage (download, install, upload) → tries left to fail
        network_profiles: Mapping[int, dict[str, Any]]  # 2.0.1 configuration slot → connectionData
    firmware_version = None
    firmware_status = "Idle"
    firmware_request_id = None
    firmware_installed_unreported = False
    firmware_pending = None
    upload_status = "Idle"
    upload_request_id = None
    injected_failures = MappingProxyType({})
    network_profiles = MappingProxyType({})

    class FirmwareStatusChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.FirmwareStatusChanged")
        status: str
        request_id: int | None

        def apply(self, aggregate: Any) -> None:
            aggregate.firmware_status = self.status
            aggregate.firmware_request_id = self.request_id
            if self.status == "Installed":
                aggregate.firmware_installed_unreported = False
            if self.status in FIRMWARE_ENDS:
                aggregate.firmware_pending = None

    def firmware_status_changed(self, status: str, request_id: int | None) -> None:
        self.trigger_event(type(self).FirmwareStatusChanged, status=status, request_id=request_id)

    class FirmwareUpdateRequested(Aggregate.Event):
        """The CSMS asked for an update (it replaces one under way); `update` is what it asked for, as
        ocpp_bridge.core.firmware records it."""

        TOPIC = topic("ChargePoint.FirmwareUpdateRequested")
        update: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.firmware_pending = self.update

    def firmware_update_requested(self, update: dict[str, Any]) -> None:
        self.trigger_event(type(self).FirmwareUpdateRequested, update=update)

    class FirmwareInstalled(Aggregate.Event):
        """The image is installed: it runs from the reboot that follows."""

        TOPIC = topic("ChargePoint.FirmwareInstalled")
        version: str
        request_id: int | None

        def apply(self, aggregate: Any) -> None:
            aggregate.firmware_version = self.version
            aggregate.firmware_installed_unreported = True
            aggregate.firmware_pending = None

    def firmware_installed(self, version: str, request_id: int | None) -> None:
        self.trigger_event(type(self).FirmwareInstalled, version=version, request_id=request_id)

    class UploadStatusChanged(Aggregate.Event):
        TOPIC = topic("ChargePoint.UploadStatusChanged")
        status: str
        request_id: int | None

        def apply(self, aggregate: Any) -> None:
            aggregate.upload_status = self.status
            aggregate.upload_request_id = self.request_id

    def upload_status_changed(self, status: str, request_id: int | None) -> None:
        self.trigger_event(type(self).UploadStatusChanged, status=status, request_id=request_id)

    class FailureInjected(Aggregate.Event):
        """The next `times` tries of this stage fail (the fail-firmware and fail-upload commands)."""

        TOPIC = topic("ChargePoint.FailureInjected")
        stage: str
        times: int
        command_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            aggregate.injected_failures = {**aggregate.injected_failures, self.stage: self.times}

    def failure_injected(self, stage: str, times: int, command_id: UUID | None) -> None:
        self.trigger_event(type(self).FailureInjected, stage=stage, times=times, command_id=command_id)

    class InjectedFailureUsed(Aggregate.Event):
        TOPIC = topic("ChargePoint.InjectedFailureUsed")
        stage: str

        def apply(self, aggregate: Any) -> None:
            left = aggregate.injected_failures.get(self.stage, 0) - 1
            kept = {k: v for k, v in aggregate.injected_failures.items() if k != self.stage}
            aggregate.injected_failures = {**kept, self.stage: left} if left > 0 else kept

    def injected_failure_used(self, stage: str) -> None:
        self.trigger_event(type(self).InjectedFailureUsed, stage=stage)

    class NetworkProfileStored(Aggregate.Event):
        """2.0.1 SetNetworkProfile: kept in its slot, for a reboot to use (we keep our ws_url)."""

        TOPIC = topic("ChargePoint.NetworkProfileStored")
        slot: int
        connection_data: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.network_profiles = {**aggregate.network_profiles, self.slot: self.connection_data}

    def network_profile_stored(self, slot: int, connection_data: dict[str, Any]) -> None:
        self.trigger_event(type(self).NetworkProfileStored, slot=slot, connection_data=connection_data)
