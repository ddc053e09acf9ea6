"""Read-model rows to public HTTP models, in bulk (one query for the runtime of a whole page)."""

from __future__ import annotations

from typing import Any

from gateway.models.chargers import ChargerResponse, ChargerStatusResponse, charger_public, charger_status
from infra.sql import Cursor
from projections.charger_status import charger_runtime

CHARGER_READ_MODELS = ("chargers", "charger_status")


def chargers_public(cur: Cursor, rows: list[dict[str, Any]]) -> list[ChargerResponse]:
    runtime = charger_runtime(cur, [r["id"] for r in rows])
    return [charger_public(r, runtime.get(r["id"])) for r in rows]


def charger_status_of(cur: Cursor, row: dict[str, Any]) -> ChargerStatusResponse:
    return charger_status(row, charger_runtime(cur, [row["id"]]).get(row["id"]))
