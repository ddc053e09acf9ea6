"""OCPP 2.0.1 answers of blocks L and B that need no I/O: UpdateFirmware's status, SetNetworkProfile's."""

from __future__ import annotations

from typing import Any

from ocpp_bridge.core.firmware import certificate_readable

NETWORK_SLOTS = range(1, 5)  # the configuration slots this station has (NetworkConfigurationPriority)


def update_firmware_answer(signing_certificate: str | None, busy: bool) -> str:
    """InvalidCertificate for a signing certificate that is no X.509 certificate (L01.FR.02), else
    AcceptedCanceled when an update under way is cancelled for this one (L01.FR.24), else Accepted.
    RevokedCertificate is never answered: the station holds no revocation list (no CRL, no OCSP)."""
    if signing_certificate is not None and not certificate_readable(signing_certificate):
        return "InvalidCertificate"
    return "AcceptedCanceled" if busy else "Accepted"


def network_profile_answer(
    slot: int, connection_data: dict[str, Any], security_profile: int
) -> tuple[str, str]:
    """Accepted or Rejected, and why (B09): a slot the station has, OCPP 2.0.1 over JSON, a ws(s) URL
    that fits the profile's security (2 and 3 need TLS), never a lower security profile (B09.FR.04)."""
    url = str(connection_data.get("ocpp_csms_url", ""))
    profile = int(connection_data.get("security_profile", 0))
    if slot not in NETWORK_SLOTS:
        return "Rejected", f"configurationSlot {slot}: this station has slots 1 to {NETWORK_SLOTS[-1]}"
    if connection_data.get("ocpp_version") != "OCPP20":
        return "Rejected", "this station speaks OCPP 2.0.1 (ocppVersion OCPP20) only"
    if connection_data.get("ocpp_transport") != "JSON":
        return "Rejected", "this station speaks OCPP-J only (ocppTransport JSON)"
    if profile < security_profile:
        return "Rejected", f"securityProfile {profile} is lower than the current {security_profile}"
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("ws", "wss") or (profile >= 2 and scheme != "wss"):
        return "Rejected", f"ocppCsmsUrl {url!r} does not suit securityProfile {profile}"
    return "Accepted", ""
