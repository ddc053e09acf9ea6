"""OCPP facts the domain decides with: versions, field limits and enumerations per version.

Plain data, copied from the OCPP 1.6J and 2.0.1 specifications (not from a protocol library), so that the
domain can refuse a command that cannot apply to a charger's version before anything reaches the wire.
"""

from __future__ import annotations

from enum import StrEnum


class OcppVersion(StrEnum):
    V16 = "OCPP1.6"
    V201 = "OCPP2.0.1"

    @property
    def wire(self) -> str:
        """The lower-case spelling used in command objects and as the WebSocket subprotocol."""
        return {"OCPP1.6": "ocpp1.6", "OCPP2.0.1": "ocpp2.0.1"}[self.value]

    @property
    def id_tag_max_length(self) -> int:
        # 1.6 idTag is CiString20; 2.0.1 idToken.idToken is string(36).
        return 20 if self is OcppVersion.V16 else 36


ID_TAG_MAX_LENGTH = 36


class StopReason(StrEnum):
    """Union of OCPP 1.6 StopTransaction.reason and 2.0.1 transactionInfo.stoppedReason."""

    DE_AUTHORIZED = "DeAuthorized"
    EMERGENCY_STOP = "EmergencyStop"
    ENERGY_LIMIT_REACHED = "EnergyLimitReached"
    EV_DISCONNECTED = "EVDisconnected"
    GROUND_FAULT = "GroundFault"
    HARD_RESET = "HardReset"
    IMMEDIATE_RESET = "ImmediateReset"
    LOCAL = "Local"
    LOCAL_OUT_OF_CREDIT = "LocalOutOfCredit"
    MASTER_PASS = "MasterPass"  # noqa: S105 - an OCPP stop reason
    OTHER = "Other"
    OVERCURRENT_FAULT = "OvercurrentFault"
    POWER_LOSS = "PowerLoss"
    POWER_QUALITY = "PowerQuality"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOC_LIMIT_REACHED = "SOCLimitReached"
    SOFT_RESET = "SoftReset"
    STOPPED_BY_EV = "StoppedByEV"
    TIME_LIMIT_REACHED = "TimeLimitReached"
    TIMEOUT = "Timeout"
    UNLOCK_COMMAND = "UnlockCommand"


_ONLY_16 = {StopReason.HARD_RESET, StopReason.SOFT_RESET, StopReason.UNLOCK_COMMAND}
_SHARED = {
    StopReason.DE_AUTHORIZED,
    StopReason.EMERGENCY_STOP,
    StopReason.EV_DISCONNECTED,
    StopReason.LOCAL,
    StopReason.OTHER,
    StopReason.POWER_LOSS,
    StopReason.REBOOT,
    StopReason.REMOTE,
}
STOP_REASONS: dict[OcppVersion, frozenset[StopReason]] = {
    OcppVersion.V16: frozenset(_SHARED | _ONLY_16),
    OcppVersion.V201: frozenset(set(StopReason) - _ONLY_16),
}


class FaultType(StrEnum):
    """OCPP 1.6 ChargePointErrorCode without NoError; mapped to device-model events on 2.0.1."""

    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    INTERNAL_ERROR = "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict"
    OTHER_ERROR = "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    OVER_VOLTAGE = "OverVoltage"
    POWER_METER_FAILURE = "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure"
    RESET_FAILURE = "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage"
    WEAK_SIGNAL = "WeakSignal"


# Names other clients use for a fault (OCPPLAB's docstrings send "OverCurrent"), lower-cased: the error code
# without its "Failure" or "Error" suffix, and a few synonyms.
_FAULT_SYNONYMS = {
    "groundfault": FaultType.GROUND_FAILURE,
    "overtemperature": FaultType.HIGH_TEMPERATURE,
    "overheating": FaultType.HIGH_TEMPERATURE,
    "evcommunication": FaultType.EV_COMMUNICATION_ERROR,
}
FAULT_NAMES: dict[str, FaultType] = {
    **{f.value.lower(): f for f in FaultType},
    **{f.value.lower().removesuffix("failure").removesuffix("error"): f for f in FaultType},
    **_FAULT_SYNONYMS,
}


def fault_type_named(name: str) -> FaultType | None:
    """The OCPP 1.6 error code a fault name stands for (case-insensitive), or None if it names none."""
    return FAULT_NAMES.get(name.strip().lower())


class AuthorizationStatus(StrEnum):
    """OCPP 1.6 AuthorizationStatus (the subset 2.0.1 shares for local-list entries)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
