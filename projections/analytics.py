"""Read models for analytics: sessions and faults per charger (with tenant and location), and the queries
behind `ocpp-ledger stats` and GET /analytics. Command latencies come from the commands read model.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.ids import charge_point_id
from infra.sql import Cursor, Database, Row, iso
from projections.runner import Projection, handles


class AnalyticsProjection(Projection):
    name = "analytics"
    tables = ("analytics_chargers", "analytics_sessions", "analytics_faults")

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS analytics_chargers ("
            "charge_point_id TEXT PRIMARY KEY, charger_id TEXT NOT NULL, tenant TEXT NOT NULL, "
            "identity TEXT NOT NULL, location_id TEXT)"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS analytics_sessions ("
            "charge_point_id TEXT NOT NULL, transaction_id TEXT NOT NULL, connector_id INTEGER NOT NULL, "
            "id_tag TEXT, id_tag_status TEXT, started_at TEXT NOT NULL, stopped_at TEXT, "
            "meter_start_wh BIGINT NOT NULL, meter_stop_wh BIGINT, stop_reason TEXT, command_id TEXT, "
            "PRIMARY KEY (charge_point_id, transaction_id))"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS analytics_faults ("
            "position BIGINT PRIMARY KEY, charge_point_id TEXT NOT NULL, connector_id INTEGER NOT NULL, "
            "fault_type TEXT NOT NULL, raised_at TEXT NOT NULL, cleared_at TEXT)"
        )

    @handles(Charger.Registered)
    def charger_registered(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO analytics_chargers (charge_point_id, charger_id, tenant, identity, location_id) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (charge_point_id) DO UPDATE SET "
            "tenant = excluded.tenant, identity = excluded.identity, location_id = excluded.location_id",
            [
                str(charge_point_id(e.originator_id)),
                str(e.originator_id),
                e.tenant,
                e.identity,
                None if e.location_id is None else str(e.location_id),
            ],
        )

    @handles(Charger.Moved)
    def charger_moved(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE analytics_chargers SET location_id = %s WHERE charger_id = %s",
            [None if e.location_id is None else str(e.location_id), str(e.originator_id)],
        )

    @handles(ChargePoint.TransactionStarted)
    def transaction_started(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO analytics_sessions (charge_point_id, transaction_id, connector_id, id_tag, id_tag_status, "
            "started_at, meter_start_wh, command_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (charge_point_id, transaction_id) DO NOTHING",
            [
                str(e.originator_id),
                e.transaction_id,
                e.connector_id,
                e.id_tag,
                e.id_tag_status,
                e.started_at,
                e.meter_start_wh,
                None if e.command_id is None else str(e.command_id),
            ],
        )

    @handles(ChargePoint.TransactionStopped)
    def transaction_stopped(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE analytics_sessions SET stopped_at = %s, meter_stop_wh = %s, stop_reason = %s "
            "WHERE charge_point_id = %s AND transaction_id = %s",
            [e.stopped_at, e.meter_stop_wh, e.reason, str(e.originator_id), e.transaction_id],
        )

    @handles(ChargePoint.FaultRaised)
    def fault_raised(self, e: Any, cur: Cursor, position: int) -> None:
        cur.defer(
            "INSERT INTO analytics_faults (position, charge_point_id, connector_id, fault_type, raised_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [position, str(e.originator_id), e.connector_id, e.fault_type, iso(e.timestamp)],
        )

    @handles(ChargePoint.FaultCleared)
    def fault_cleared(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE analytics_faults SET cleared_at = %s WHERE charge_point_id = %s AND connector_id = %s "
            "AND cleared_at IS NULL",
            [iso(e.timestamp), str(e.originator_id), e.connector_id],
        )


# --- queries ------------------------------------------------------------------------------------------


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "p99_ms": at(0.99),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def _scope(
    prefix: str, tenant: str, location_id: str | None, charger_id: str | None
) -> tuple[str, list[Any]]:
    where, params = f"{prefix}tenant = %s", [tenant]
    if location_id:
        where += f" AND {prefix}location_id = %s"
        params.append(location_id)
    if charger_id:
        where += f" AND {prefix}charger_id = %s"
        params.append(charger_id)
    return where, params


def command_stats(
    cur: Cursor,
    tenant: str,
    location_id: str | None = None,
    charger_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    where, params = _scope("", tenant, location_id, charger_id)
    if since:
        where += " AND queued_at >= %s"
        params.append(since)
    if until:
        where += " AND queued_at < %s"
        params.append(until)
    by_type: dict[str, dict[str, int]] = {}
    for row in cur.execute(
        f"SELECT event_type, status, COUNT(*) AS n FROM commands WHERE {where} GROUP BY event_type, status",
        params,
    ).fetchall():
        by_type.setdefault(row["event_type"], {})[row["status"]] = int(row["n"])
    rows = cur.execute(
        f"SELECT queued_at, dispatched_at, first_answer_at, completed_at, error FROM commands WHERE {where}",
        params,
    ).fetchall()
    stages: dict[str, list[float]] = {
        "queued_to_dispatched": [],
        "dispatched_to_first_answer": [],
        "dispatched_to_completed": [],
        "queued_to_completed": [],
    }
    errors: dict[str, int] = {}
    for r in rows:
        for name, (a, b) in {
            "queued_to_dispatched": ("queued_at", "dispatched_at"),
            "dispatched_to_first_answer": ("dispatched_at", "first_answer_at"),
            "dispatched_to_completed": ("dispatched_at", "completed_at"),
            "queued_to_completed": ("queued_at", "completed_at"),
        }.items():
            seconds = _seconds(r[a], r[b])
            if seconds is not None:
                stages[name].append(seconds)
        if r["error"]:
            code = _error_code(r["error"])
            errors[code] = errors.get(code, 0) + 1
    return {
        "by_type": by_type,
        "total": sum(sum(v.values()) for v in by_type.values()),
        "latency": {name: _percentiles(values) for name, values in stages.items()},
        "failures": errors,
    }


def _error_code(error: str) -> str:
    import json

    try:
        return str(json.loads(error).get("code", "unknown"))
    except ValueError:
        return "unknown"


def session_stats(
    cur: Cursor,
    tenant: str,
    location_id: str | None = None,
    charger_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    where, params = _scope("c.", tenant, location_id, charger_id)
    if since:
        where += " AND s.started_at >= %s"
        params.append(since)
    if until:
        where += " AND s.started_at < %s"
        params.append(until)
    rows = cur.execute(
        "SELECT s.* FROM analytics_sessions s JOIN analytics_chargers c ON c.charge_point_id = s.charge_point_id "
        f"WHERE {where}",
        params,
    ).fetchall()
    finished = [r for r in rows if r["stopped_at"] is not None]
    energy = [(r["meter_stop_wh"] - r["meter_start_wh"]) for r in finished]
    durations = [d for d in (_seconds(r["started_at"], r["stopped_at"]) for r in finished) if d is not None]
    reasons: dict[str, int] = {}
    for r in finished:
        reasons[r["stop_reason"]] = reasons.get(r["stop_reason"], 0) + 1
    return {
        "count": len(rows),
        "running": len(rows) - len(finished),
        "finished": len(finished),
        "energy_kwh": round(sum(energy) / 1000, 3),
        "mean_energy_kwh": round(statistics.mean(energy) / 1000, 3) if energy else None,
        "mean_duration_s": round(statistics.mean(durations), 1) if durations else None,
        "stop_reasons": reasons,
    }


def fault_stats(
    cur: Cursor,
    tenant: str,
    location_id: str | None = None,
    charger_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    where, params = _scope("c.", tenant, location_id, charger_id)
    if since:
        where += " AND f.raised_at >= %s"
        params.append(since)
    if until:
        where += " AND f.raised_at < %s"
        params.append(until)
    by_type: dict[str, int] = {}
    open_faults = 0
    for row in cur.execute(
        "SELECT f.fault_type, f.cleared_at FROM analytics_faults f "
        f"JOIN analytics_chargers c ON c.charge_point_id = f.charge_point_id WHERE {where}",
        params,
    ).fetchall():
        by_type[row["fault_type"]] = by_type.get(row["fault_type"], 0) + 1
        open_faults += row["cleared_at"] is None
    return {"count": sum(by_type.values()), "open": open_faults, "by_type": by_type}


def csms_error_stats(
    cur: Cursor, tenant: str, charger_id: str | None = None, location_id: str | None = None
) -> dict[str, Any]:
    """CALLERRORs the CSMS answered, per action (from the message log)."""
    where, params = _scope("c.", tenant, location_id, charger_id)
    rows = cur.execute(
        "SELECT f.action, COUNT(*) AS n FROM ocpp_frames f JOIN analytics_chargers c ON c.charge_point_id = f.charge_point_id "
        f"WHERE {where} AND f.direction = 'csms_to_cp' AND f.message_type = 4 GROUP BY f.action",
        params,
    ).fetchall()
    return {"callerrors": {r["action"] or "?": int(r["n"]) for r in rows}}


def summary(db: Database, tenant: str, **scope: Any) -> dict[str, Any]:
    with db.reader() as cur:
        return {
            "tenant": tenant,
            "scope": {k: v for k, v in scope.items() if v},
            "commands": command_stats(cur, tenant, **scope),
            "sessions": session_stats(cur, tenant, **scope),
            "faults": fault_stats(cur, tenant, **scope),
            "csms_errors": csms_error_stats(cur, tenant, scope.get("charger_id"), scope.get("location_id")),
        }


def tenants(cur: Cursor) -> list[str]:
    return [
        r["tenant"]
        for r in cur.execute("SELECT DISTINCT tenant FROM analytics_chargers ORDER BY tenant").fetchall()
    ]


# PostgreSQL views for analysts: plain SQL over the read models (docs/analytics.md).
POSTGRES_VIEWS = (
    "CREATE OR REPLACE VIEW analytics_command_latency AS SELECT id, tenant, charger_id, location_id, event_type, status, "
    "origin, queued_at::timestamptz AS queued_at, "
    "EXTRACT(EPOCH FROM (dispatched_at::timestamptz - queued_at::timestamptz)) * 1000 AS queued_to_dispatched_ms, "
    "EXTRACT(EPOCH FROM (first_answer_at::timestamptz - dispatched_at::timestamptz)) * 1000 AS dispatched_to_first_answer_ms, "
    "EXTRACT(EPOCH FROM (completed_at::timestamptz - dispatched_at::timestamptz)) * 1000 AS dispatched_to_completed_ms, "
    "error::jsonb ->> 'code' AS error_code FROM commands",
    "CREATE OR REPLACE VIEW analytics_session_summary AS SELECT c.tenant, c.location_id, c.charger_id, c.identity, "
    "s.transaction_id, s.connector_id, s.id_tag, s.started_at::timestamptz AS started_at, "
    "s.stopped_at::timestamptz AS stopped_at, (s.meter_stop_wh - s.meter_start_wh) / 1000.0 AS energy_kwh, "
    "EXTRACT(EPOCH FROM (s.stopped_at::timestamptz - s.started_at::timestamptz)) AS duration_s, s.stop_reason "
    "FROM analytics_sessions s JOIN analytics_chargers c ON c.charge_point_id = s.charge_point_id",
    "CREATE OR REPLACE VIEW analytics_fault_summary AS SELECT c.tenant, c.location_id, c.charger_id, c.identity, "
    "f.connector_id, f.fault_type, f.raised_at::timestamptz AS raised_at, f.cleared_at::timestamptz AS cleared_at "
    "FROM analytics_faults f JOIN analytics_chargers c ON c.charge_point_id = f.charge_point_id",
)


def create_views(db: Database) -> None:
    if db.dialect != "postgres":
        return
    with db.transaction() as cur:
        for view in POSTGRES_VIEWS:
            cur.execute(view)


def charger_sessions(cur: Cursor, charge_point_id: str, limit: int = 50) -> list[Row]:
    """A charger's sessions, newest first."""
    return cur.execute(
        "SELECT transaction_id, connector_id, id_tag, id_tag_status, started_at, stopped_at, meter_start_wh, "
        "meter_stop_wh, stop_reason, command_id FROM analytics_sessions WHERE charge_point_id = %s "
        "ORDER BY started_at DESC LIMIT %s",
        [charge_point_id, limit],
    ).fetchall()


def per_charger_stats(cur: Cursor, tenant: str, location_id: str | None = None) -> list[Row]:
    """Sessions, energy (kWh) and faults of each charger of the tenant (or of one location)."""
    where, params = _scope("c.", tenant, location_id, None)
    sessions = {
        r["charge_point_id"]: r
        for r in cur.execute(
            "SELECT s.charge_point_id, COUNT(*) AS sessions, "
            "SUM(COALESCE(s.meter_stop_wh - s.meter_start_wh, 0)) AS energy_wh FROM analytics_sessions s "
            f"JOIN analytics_chargers c ON c.charge_point_id = s.charge_point_id WHERE {where} "
            "GROUP BY s.charge_point_id",
            params,
        ).fetchall()
    }
    faults = {
        r["charge_point_id"]: int(r["n"])
        for r in cur.execute(
            "SELECT f.charge_point_id, COUNT(*) AS n FROM analytics_faults f "
            f"JOIN analytics_chargers c ON c.charge_point_id = f.charge_point_id WHERE {where} "
            "GROUP BY f.charge_point_id",
            params,
        ).fetchall()
    }
    rows = cur.execute(
        f"SELECT c.charge_point_id, c.charger_id, c.identity, c.location_id FROM analytics_chargers c WHERE {where} "
        "ORDER BY c.identity",
        params,
    ).fetchall()
    return [
        {
            "charger_id": r["charger_id"],
            "identity": r["identity"],
            "location_id": r["location_id"],
            "sessions": int(sessions.get(r["charge_point_id"], {}).get("sessions") or 0),
            "energy_kwh": round(int(sessions.get(r["charge_point_id"], {}).get("energy_wh") or 0) / 1000, 3),
            "faults": faults.get(r["charge_point_id"], 0),
        }
        for r in rows
    ]


def csms_error_times(
    cur: Cursor,
    tenant: str,
    charger_id: str | None = None,
    location_id: str | None = None,
    limit: int = 10_000,
) -> list[Row]:
    """When the CSMS answered with a CALLERROR (the latest `limit`), and to which action."""
    where, params = _scope("c.", tenant, location_id, charger_id)
    return cur.execute(
        "SELECT f.timestamp, f.action FROM ocpp_frames f JOIN analytics_chargers c ON c.charge_point_id = f.charge_point_id "
        f"WHERE {where} AND f.direction = 'csms_to_cp' AND f.message_type = 4 ORDER BY f.position DESC LIMIT %s",
        [*params, limit],
    ).fetchall()


__all__ = [
    "AnalyticsProjection",
    "Row",
    "charger_sessions",
    "create_views",
    "csms_error_times",
    "per_charger_stats",
    "summary",
    "tenants",
]
