"""The values a ChargePoint aggregate holds: one connector's state, a local authorization list entry, and a
transaction message waiting for delivery. Frozen, so the aggregate (and the charger core reading it) only
ever replaces them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class ConnectorState(BaseModel):
    """One connector (on OCPP 2.0.1: one EVSE with connector 1)."""

    model_config = ConfigDict(frozen=True)

    connector_id: int
    status: str = "Available"
    error_code: str = "NoError"
    plugged: bool = False
    ev_requesting: bool = True
    fault: str | None = None
    operative: bool = True
    offered_power_w: float | None = None  # power update from the API
    limit_w: float | None = None  # charging profile from the CSMS
    energy_wh: int = 0  # the energy register: monotone, whole Wh
    power_w: float = 0.0
    soc: float | None = None
    transaction_id: str | None = None
    id_tag: str | None = None
    meter_start_wh: int | None = None
    started_at: str | None = None  # simulated clock, ISO-8601
    session_command_id: UUID | None = None
    seq_no: int = 0  # OCPP 2.0.1 TransactionEvent sequence number
    ev_max_power_w: float | None = None
    ev_target_soc: float | None = None  # the EV's charge limit, percent (the ev-target-soc command)
    stop_authorized: bool = False  # OCPP 2.0.1: stop authorized; the transaction ends when the EV leaves
    finishing: bool = False  # a transaction ended with the cable still in (OCPP 1.6 Finishing)
    limit_purpose: str | None = None  # the purpose of the profile behind limit_w (a TxProfile ends with it)
    # OCPP 2.0.1
    reported_charging_state: str | None = None  # the last chargingState sent in the transaction
    scheduled_operative: bool | None = None  # a ChangeAvailability Scheduled until the transaction ends
    fault_event_id: int | None = None  # the eventId of the NotifyEvent that raised the fault
    pre_authorized: str | None = (
        None  # an id token authorized before the cable (TxStartPoint PowerPathClosed)
    )


class LocalListEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id_tag: str
    status: str
    expiry_date: str | None = None
    parent_id_tag: str | None = None


class QueuedMessage(BaseModel):
    """A transaction message waiting for delivery: queued offline, behind another, or after a try failed."""

    model_config = ConfigDict(frozen=True)

    number: int  # per charge point, in queueing order
    connector_id: int
    action: str  # the ocpp library's call class: StopTransaction, MeterValues, TransactionEvent, ...
    payload: dict[str, Any]  # its fields (snake_case, as the library names them)
    attempts: int = 0  # tries that failed (a CALLERROR or no answer); a dropped line is not one


class InstalledProfile(BaseModel):
    """A charging profile the CSMS set, kept until cleared or its transaction ends."""

    model_config = ConfigDict(frozen=True)

    evse_id: int
    purpose: str
    record: str | None = None  # the profile itself, as ocpp_bridge.core.smart_charging records it
