"""OCPP 2.0.1 answers that need no I/O: SetNetworkProfile's (B09). UpdateFirmware's is shared with 1.6
SignedUpdateFirmware (ocpp_bridge.core.firmware)."""

from __future__ import annotations

from typing import Any

NETWORK_SLOTS = range(1, 5)  # the configuration slots this station has (NetworkConfigurationPriority)


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
