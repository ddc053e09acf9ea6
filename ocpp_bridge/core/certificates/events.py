"""Security events (2.0.1 appendix "Security events", 1.6 security whitepaper): names and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.protocol import OcppVersion

_V16 = OcppVersion.V16


class SecurityEvent(StrEnum):
    """The security events of 2.0.1 appendix "Security events" / the 1.6 whitepaper, by 2.0.1 name."""

    FIRMWARE_UPDATED = "FirmwareUpdated"
    FAILED_TO_AUTHENTICATE_AT_CSMS = "FailedToAuthenticateAtCsms"
    CSMS_FAILED_TO_AUTHENTICATE = "CsmsFailedToAuthenticate"
    SETTING_SYSTEM_TIME = "SettingSystemTime"
    STARTUP_OF_THE_DEVICE = "StartupOfTheDevice"
    RESET_OR_REBOOT = "ResetOrReboot"
    SECURITY_LOG_WAS_CLEARED = "SecurityLogWasCleared"
    RECONFIGURATION_OF_SECURITY_PARAMETERS = "ReconfigurationOfSecurityParameters"
    MEMORY_EXHAUSTION = "MemoryExhaustion"
    INVALID_MESSAGES = "InvalidMessages"
    ATTEMPTED_REPLAY_ATTACKS = "AttemptedReplayAttacks"
    TAMPER_DETECTION_ACTIVATED = "TamperDetectionActivated"
    INVALID_FIRMWARE_SIGNATURE = "InvalidFirmwareSignature"
    INVALID_FIRMWARE_SIGNING_CERTIFICATE = "InvalidFirmwareSigningCertificate"
    INVALID_CSMS_CERTIFICATE = "InvalidCsmsCertificate"
    INVALID_CHARGING_STATION_CERTIFICATE = "InvalidChargingStationCertificate"
    INVALID_TLS_VERSION = "InvalidTLSVersion"
    INVALID_TLS_CIPHER_SUITE = "InvalidTLSCipherSuite"
    MAINTENANCE_LOGIN_ACCEPTED = "MaintenanceLoginAccepted"  # 2.0.1 only
    MAINTENANCE_LOGIN_FAILED = "MaintenanceLoginFailed"  # 2.0.1 only


@dataclass(frozen=True)
class SecurityEventRule:
    critical: bool  # queued while offline and delivered (a SecurityEventNotification), else log only
    when: str  # what makes a charger report it


_E = SecurityEvent
SECURITY_EVENTS: Mapping[SecurityEvent, SecurityEventRule] = {
    _E.FIRMWARE_UPDATED: SecurityEventRule(True, "a new firmware was installed (after the reboot)"),
    _E.FAILED_TO_AUTHENTICATE_AT_CSMS: SecurityEventRule(
        False, "the CSMS refused our credentials or client certificate"
    ),
    _E.CSMS_FAILED_TO_AUTHENTICATE: SecurityEventRule(False, "the CSMS could not prove who it is"),
    _E.SETTING_SYSTEM_TIME: SecurityEventRule(
        True, "the clock was set (e.g. from a BootNotification answer)"
    ),
    _E.STARTUP_OF_THE_DEVICE: SecurityEventRule(True, "every power-up"),
    _E.RESET_OR_REBOOT: SecurityEventRule(True, "a Reset or reboot (techInfo: who asked)"),
    _E.SECURITY_LOG_WAS_CLEARED: SecurityEventRule(True, "the security log was cleared"),
    _E.RECONFIGURATION_OF_SECURITY_PARAMETERS: SecurityEventRule(
        False, "security settings changed: SecurityProfile, basic-auth password, certificates"
    ),
    _E.MEMORY_EXHAUSTION: SecurityEventRule(True, "flash or RAM is full"),
    _E.INVALID_MESSAGES: SecurityEventRule(False, "messages that are invalid or not allowed were received"),
    _E.ATTEMPTED_REPLAY_ATTACKS: SecurityEventRule(False, "a replayed message was received"),
    _E.TAMPER_DETECTION_ACTIVATED: SecurityEventRule(True, "the tamper sensor was triggered"),
    _E.INVALID_FIRMWARE_SIGNATURE: SecurityEventRule(False, "a signed firmware's signature did not verify"),
    _E.INVALID_FIRMWARE_SIGNING_CERTIFICATE: SecurityEventRule(
        False, "a firmware signing certificate is invalid"
    ),
    _E.INVALID_CSMS_CERTIFICATE: SecurityEventRule(False, "the CSMS's TLS certificate did not verify"),
    _E.INVALID_CHARGING_STATION_CERTIFICATE: SecurityEventRule(
        False, "a CertificateSigned chain was rejected"
    ),
    _E.INVALID_TLS_VERSION: SecurityEventRule(False, "the CSMS offered TLS below 1.2"),
    _E.INVALID_TLS_CIPHER_SUITE: SecurityEventRule(False, "the CSMS offered only cipher suites not allowed"),
    _E.MAINTENANCE_LOGIN_ACCEPTED: SecurityEventRule(True, "a local maintenance login succeeded"),
    _E.MAINTENANCE_LOGIN_FAILED: SecurityEventRule(True, "a local maintenance login failed"),
}

_EVENT_NAMES_V16 = {
    _E.FAILED_TO_AUTHENTICATE_AT_CSMS: "FailedToAuthenticateAtCentralSystem",
    _E.CSMS_FAILED_TO_AUTHENTICATE: "CentralSystemFailedToAuthenticate",
    _E.INVALID_CSMS_CERTIFICATE: "InvalidCentralSystemCertificate",
    _E.INVALID_CHARGING_STATION_CERTIFICATE: "InvalidChargePointCertificate",
}
_ONLY_V201 = frozenset({_E.MAINTENANCE_LOGIN_ACCEPTED, _E.MAINTENANCE_LOGIN_FAILED})


def event_name(event: SecurityEvent, version: OcppVersion) -> str | None:
    """The event's `type` in the version's SecurityEventNotification; None if that version lacks it."""
    if version is not _V16:
        return event.value
    return None if event in _ONLY_V201 else _EVENT_NAMES_V16.get(event, event.value)


def security_event_notification(
    event: SecurityEvent, timestamp: str, version: OcppVersion, tech_info: str | None = None
) -> dict[str, Any] | None:
    """SecurityEventNotification request fields (snake_case), None if the version has no such event."""
    name = event_name(event, version)
    if name is None:
        return None
    payload: dict[str, Any] = {"type": name, "timestamp": timestamp}
    if tech_info:
        payload["tech_info"] = tech_info[:255]
    return payload
