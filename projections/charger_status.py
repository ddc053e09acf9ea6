"""Read model of what each charger is doing now: runtime (bridge, connection, boot) and connectors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.chargepoint import ChargePoint
from domain.ids import charge_point_id
from infra.sql import Cursor, Row, iso
from projections.runner import Projection, handles

_CONNECTOR_COLUMNS = (
    "status",
    "error_code",
    "plugged",
    "transaction_id",
    "energy_wh",
    "power_w",
    "fault",
    "soc",
)


class ChargerStatusProjection(Projection):
    name = "charger_status"
    tables = ("charge_points", "charge_point_connectors")

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS charge_points ("
            "id TEXT PRIMARY KEY, charger_id TEXT NOT NULL, tenant TEXT NOT NULL, bridge_id TEXT, "
            "ocpp_version TEXT, attached BOOLEAN NOT NULL, provisioned_at TEXT, connected BOOLEAN NOT NULL, "
            "boot_status TEXT, last_seen_at TEXT, charger_fault TEXT, position BIGINT NOT NULL)"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS charge_point_connectors ("
            "charge_point_id TEXT NOT NULL, connector_id INTEGER NOT NULL, status TEXT, "
            "error_code TEXT, plugged BOOLEAN NOT NULL, transaction_id TEXT, energy_wh BIGINT, "
            "power_w DOUBLE PRECISION, fault TEXT, soc DOUBLE PRECISION, "
            "PRIMARY KEY (charge_point_id, connector_id))"
        )

    def _cp(self, cur: Cursor, e: Any, sql: str, params: list[Any], latest: bool = False) -> None:
        """Update the charge point's row; `latest` as in `_connector`."""
        statement, values = f"UPDATE charge_points SET {sql} WHERE id = %s", [*params, str(e.originator_id)]
        if latest:
            cur.defer_latest(statement, e.originator_id, values)
        else:
            cur.execute(statement, values)

    def _connector(self, cur: Cursor, e: Any, connector_id: int, latest: bool = False, **values: Any) -> None:
        """Set these columns of one connector; `latest`: only the batch's last such update of that
        connector counts, so it may be deferred and merged (see Cursor.defer_latest)."""
        assignments = ", ".join(f"{column} = %s" for column in values)
        sql = f"UPDATE charge_point_connectors SET {assignments} WHERE charge_point_id = %s AND connector_id = %s"
        params = [*values.values(), str(e.originator_id), connector_id]
        if latest:
            cur.defer_latest(sql, (e.originator_id, connector_id), params)
        else:
            cur.execute(sql, params)

    @handles(ChargePoint.Observed)
    def charge_point_observed(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO charge_points (id, charger_id, tenant, attached, connected, position) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [str(e.originator_id), str(e.charger_id), e.tenant, False, False, position],
        )
        cur.executemany(
            "INSERT INTO charge_point_connectors (charge_point_id, connector_id, status, error_code, "
            "plugged, energy_wh, power_w) VALUES (%s, %s, 'Available', 'NoError', %s, 0, 0)",
            [[str(e.originator_id), n, False] for n in range(1, e.connector_count + 1)],
        )

    @handles(ChargePoint.Attached)
    def charge_point_attached(self, e: Any, cur: Cursor, position: int) -> None:
        self._cp(
            cur,
            e,
            "bridge_id = %s, ocpp_version = %s, attached = %s, provisioned_at = COALESCE(provisioned_at, %s)",
            [e.bridge_id, e.ocpp_version, True, iso(e.timestamp)],
        )

    @handles(ChargePoint.Detached)
    def charge_point_detached(self, e: Any, cur: Cursor, position: int) -> None:
        self._cp(cur, e, "attached = %s, connected = %s, boot_status = NULL", [False, False])

    @handles(ChargePoint.Connected)
    def charge_point_connected(self, e: Any, cur: Cursor, position: int) -> None:
        self._cp(cur, e, "connected = %s, last_seen_at = %s", [True, iso(e.timestamp)])

    @handles(ChargePoint.Disconnected)
    def charge_point_disconnected(self, e: Any, cur: Cursor, position: int) -> None:
        self._cp(cur, e, "connected = %s, boot_status = NULL", [False])

    @handles(ChargePoint.BootAnswered)
    def boot_answered(self, e: Any, cur: Cursor, position: int) -> None:
        self._cp(cur, e, "boot_status = %s", [e.status])

    @handles(ChargePoint.FrameRecorded)
    def frame_recorded(self, e: Any, cur: Cursor, position: int) -> None:
        if e.direction == "csms_to_cp":  # a sign of life: only the latest of a batch matters
            self._cp(cur, e, "last_seen_at = %s", [iso(e.timestamp)], latest=True)

    @handles(ChargePoint.StatusChanged)
    def status_changed(self, e: Any, cur: Cursor, position: int) -> None:
        if e.connector_id == 0:
            return
        self._connector(cur, e, e.connector_id, status=e.status, error_code=e.error_code)

    @handles(ChargePoint.CablePlugged)
    def cable_plugged(self, e: Any, cur: Cursor, position: int) -> None:
        self._connector(cur, e, e.connector_id, plugged=True)

    @handles(ChargePoint.CableUnplugged)
    def cable_unplugged(self, e: Any, cur: Cursor, position: int) -> None:
        self._connector(cur, e, e.connector_id, plugged=False, soc=None)

    @handles(ChargePoint.TransactionStarted)
    def transaction_started(self, e: Any, cur: Cursor, position: int) -> None:
        self._connector(cur, e, e.connector_id, transaction_id=e.transaction_id, energy_wh=e.meter_start_wh)

    @handles(ChargePoint.TransactionStopped)
    def transaction_stopped(self, e: Any, cur: Cursor, position: int) -> None:
        self._connector(cur, e, e.connector_id, transaction_id=None, energy_wh=e.meter_stop_wh, power_w=0.0)

    @handles(ChargePoint.MeterSampled)
    def meter_sampled(self, e: Any, cur: Cursor, position: int) -> None:
        self._connector(
            cur, e, e.connector_id, latest=True, energy_wh=e.energy_wh, power_w=e.power_w, soc=e.soc
        )

    @handles(ChargePoint.FaultRaised)
    def fault_raised(self, e: Any, cur: Cursor, position: int) -> None:
        if e.connector_id == 0:
            self._cp(cur, e, "charger_fault = %s", [e.fault_type])
        else:
            self._connector(cur, e, e.connector_id, fault=e.fault_type)

    @handles(ChargePoint.FaultCleared)
    def fault_cleared(self, e: Any, cur: Cursor, position: int) -> None:
        if e.connector_id == 0:
            self._cp(cur, e, "charger_fault = NULL", [])
        else:
            self._connector(cur, e, e.connector_id, fault=None)


def charger_runtime(cur: Cursor, charger_ids: list[str]) -> dict[str, tuple[Row, list[Row]]]:
    """(runtime row, connector rows) per charger id, for the chargers a bridge has observed."""
    if not charger_ids:
        return {}
    ids = {str(charge_point_id(UUID(c))): c for c in charger_ids}
    marks = ", ".join(["%s"] * len(ids))
    runtime = {
        r["id"]: r
        for r in cur.execute(f"SELECT * FROM charge_points WHERE id IN ({marks})", list(ids)).fetchall()
    }
    connectors: dict[str, list[Row]] = {}
    for row in cur.execute(
        f"SELECT * FROM charge_point_connectors WHERE charge_point_id IN ({marks}) ORDER BY connector_id",
        list(ids),
    ).fetchall():
        row["plugged"] = bool(row["plugged"])
        connectors.setdefault(row["charge_point_id"], []).append(row)
    result = {}
    for cp_id, row in runtime.items():
        row["attached"], row["connected"] = bool(row["attached"]), bool(row["connected"])
        result[ids[cp_id]] = (row, connectors.get(cp_id, []))
    return result
