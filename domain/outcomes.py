"""What a completed command returns: a typed outcome per kind of command (recorded on
ChargePoint.CommandCompleted, transcoded by name, see domain.ledger)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Outcome(BaseModel):
    """Base of what a completed command returns; each command has its own shape."""

    model_config = ConfigDict(frozen=True)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"kind"})


class GenericOutcome(Outcome):
    kind: str = "generic"
    status: str
    msg: str = ""
    transaction_id: str | None = None
    energy_wh: int | None = None


class ProxyOutcome(Outcome):
    kind: str = "proxy"
    response: dict[str, Any]


class ConfigurationKeyOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    status: str


class ConfigurationOutcome(Outcome):
    kind: str = "configuration"
    status: str
    configured: list[str]
    msg: str
    results: list[ConfigurationKeyOutcome]


class CacheResetOutcome(Outcome):
    kind: str = "cache_reset"
    msg: str
    cleared_entries: int


class LocalListOutcome(Outcome):
    kind: str = "local_list"
    status: str
    list_version: int
    entries_received: int


class ClearLocalListOutcome(Outcome):
    kind: str = "clear_local_list"
    msg: str
    entries_deleted: int


class FaultOutcome(Outcome):
    kind: str = "fault"
    msg: str
    fault_type: str | None
    evse_id: int | None
    connector_id: int
    status: str


OUTCOME_TYPES: tuple[type[Outcome], ...] = (
    GenericOutcome,
    ProxyOutcome,
    ConfigurationOutcome,
    CacheResetOutcome,
    LocalListOutcome,
    ClearLocalListOutcome,
    FaultOutcome,
)
