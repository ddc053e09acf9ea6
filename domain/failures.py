"""Why a command the ledger accepted could not be carried out by its charger: one code per reason.

The bridge fails a command with one of these (ChargePoint.CommandFailed records its value); the gateway
maps each to an HTTP status in one table (gateway/outcomes.py). Recorded failures keep their string
value, so recordings made before this enum existed read the same.
"""

from __future__ import annotations

from enum import StrEnum


class FailureCode(StrEnum):
    # The charger's state does not allow the command (422 at the gateway: asking again cannot change it).
    CHARGER_NOT_CONNECTED = "charger_not_connected"
    CONNECTOR_NOT_FOUND = "connector_not_found"
    CONNECTOR_UNAVAILABLE = "connector_unavailable"
    ALREADY_PLUGGED = "already_plugged"
    NOT_PLUGGED = "not_plugged"
    TRANSACTION_RUNNING = "transaction_running"
    NO_TRANSACTION = "no_transaction"
    NO_FAULT = "no_fault"
    METER_START_BELOW_REGISTER = "meter_start_below_register"
    ID_TAG_REJECTED = "id_tag_rejected"
    CONNECTOR_RESERVED = "connector_reserved"  # reserved for another id tag (ReserveNow)
    NOT_SUPPORTED = "not_supported"
    INVALID_MESSAGE = "invalid_message"  # what the command would send breaks its OCPP schema
    # The CSMS failed: it answered CALLERROR (502) or did not answer in time (504).
    CSMS_ERROR = "csms_error"
    CSMS_TIMEOUT = "csms_timeout"
    # The bridge stopped while the command ran (503), or a bug (500).
    INTERRUPTED = "interrupted"
    INTERNAL_ERROR = "internal_error"
