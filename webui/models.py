"""What the lab's own JSON routes answer (the page also reads the gateway's API as it is)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Me(BaseModel):
    role: str
    organization: str | None


class Organizations(BaseModel):
    data: list[str]


class FleetLocation(BaseModel):
    id: str
    name: str
    city: str | None = None
    country: str | None = None


class FleetConnector(BaseModel):
    connector_id: int
    status: str | None = None
    error_code: str | None = None
    plugged: bool = False
    transaction_id: str | None = None
    energy_wh: int | None = None
    power_w: float | None = None
    soc: float | None = None
    fault: str | None = None


class FleetCharger(BaseModel):
    id: str
    identity: str
    name: str | None
    model: str
    ocpp_version: str
    location_id: str | None
    running: bool
    attached: bool
    connected: bool
    boot_status: str | None
    charger_fault: str | None
    last_seen_at: str | None
    connectors: list[FleetConnector]


class Fleet(BaseModel):
    locations: list[FleetLocation]
    chargers: list[FleetCharger]


class Frame(BaseModel):
    position: int
    direction: str
    message_type: int | None
    message_id: str | None
    action: str | None
    message: str
    command_id: str | None
    timestamp: str


class FramePage(BaseModel):
    data: list[Frame]
    has_older: bool


class Session(BaseModel):
    transaction_id: str
    connector_id: int
    id_tag: str | None
    started_at: str
    stopped_at: str | None
    meter_start_wh: int
    meter_stop_wh: int | None
    stop_reason: str | None
    command_id: str | None


class Sessions(BaseModel):
    data: list[Session]


class Sample(BaseModel):
    position: int
    connector_id: int
    sampled_at: str
    energy_wh: int
    power_w: float
    soc: float | None
    voltage_v: float | None
    current_a: float | None


class Samples(BaseModel):
    data: list[Sample]


class ChargerStats(BaseModel):
    charger_id: str
    identity: str
    location_id: str | None
    sessions: int
    energy_kwh: float
    faults: int


class PerCharger(BaseModel):
    data: list[ChargerStats]


class ErrorBucket(BaseModel):
    start: str
    count: int
    actions: dict[str, int]


class CsmsErrorsOverTime(BaseModel):
    bucket_seconds: int
    data: list[ErrorBucket]


class TimelineEntry(BaseModel):
    position: int
    text: str
    style: str


class ChainBreak(BaseModel):
    line: int
    reason: str


class Inspection(BaseModel):
    header: dict[str, Any]
    intact: bool
    broken: ChainBreak | None
    timeline: list[TimelineEntry]
    truncated: bool


class RecordingPair(BaseModel):
    before: str
    after: str
    prefix: str = ""


class ExchangeView(BaseModel):
    direction: str
    action: str
    request: Any
    answer: Any


class DiffRow(BaseModel):
    charger: str
    before: ExchangeView | None
    after: ExchangeView | None
    differences: list[dict[str, Any]]


class Comparison(BaseModel):
    same: bool
    differences: list[dict[str, Any]]
    rows: list[DiffRow]
