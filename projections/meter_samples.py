"""Read model of meter samples: what each connector's meter said, per transaction, for the lab's charts
(power, energy and SoC of a session over time)."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from infra.sql import Cursor, Row
from projections.runner import Projection, handles


class MeterSamplesProjection(Projection):
    name = "meter_samples"
    tables = ("meter_samples",)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS meter_samples ("
            "position BIGINT PRIMARY KEY, charge_point_id TEXT NOT NULL, connector_id INTEGER NOT NULL, "
            "transaction_id TEXT, sampled_at TEXT NOT NULL, energy_wh BIGINT NOT NULL, "
            "power_w DOUBLE PRECISION NOT NULL, soc DOUBLE PRECISION, voltage_v DOUBLE PRECISION, "
            "current_a DOUBLE PRECISION)"
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS meter_samples_tx ON meter_samples (charge_point_id, transaction_id, position)"
        )

    @handles(ChargePoint.MeterSampled)
    def meter_sampled(self, e: Any, cur: Cursor, position: int) -> None:
        cur.defer(
            "INSERT INTO meter_samples (position, charge_point_id, connector_id, transaction_id, sampled_at, "
            "energy_wh, power_w, soc, voltage_v, current_a) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                position,
                str(e.originator_id),
                e.connector_id,
                e.transaction_id,
                e.sampled_at,
                e.energy_wh,
                e.power_w,
                e.soc,
                e.voltage_v,
                e.current_a,
            ],
        )


def session_samples(cur: Cursor, charge_point_id: str, transaction_id: str, limit: int = 10_000) -> list[Row]:
    """The samples of one transaction, oldest first (the most recent `limit` of them)."""
    rows = cur.execute(
        "SELECT position, connector_id, sampled_at, energy_wh, power_w, soc, voltage_v, current_a "
        "FROM meter_samples WHERE charge_point_id = %s AND transaction_id = %s ORDER BY position DESC LIMIT %s",
        [charge_point_id, transaction_id, limit],
    ).fetchall()
    return rows[::-1]
