"""Read model of commands: what was queued for which charger, and what became of it."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.commands import CommandType
from infra.sql import Cursor, Row, dumps, iso, loads
from projections.runner import Projection, handles

_RUNTIME = {
    Charger.RuntimeStartRequested: CommandType.START_CHARGER,
    Charger.RuntimeStopRequested: CommandType.STOP_CHARGER,
    Charger.RuntimeRestartRequested: CommandType.RESTART_CHARGER,
}
STATUSES = ("queued", "dispatched", "completed", "failed")


class CommandsProjection(Projection):
    name = "commands"
    tables = ("commands",)
    version = 2  # 2: first_answer_at

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS commands ("
            "id TEXT PRIMARY KEY, tenant TEXT NOT NULL, charger_id TEXT NOT NULL, "
            "charger_identity TEXT NOT NULL, location_id TEXT, event_type TEXT NOT NULL, "
            "ocpp_version TEXT NOT NULL, payload TEXT NOT NULL, target_kind TEXT NOT NULL, "
            "status TEXT NOT NULL, origin TEXT NOT NULL, requested_by TEXT NOT NULL, "
            "batch_id TEXT NOT NULL, idempotency_key TEXT, queued_at TEXT NOT NULL, "
            "dispatched_at TEXT, first_answer_at TEXT, completed_at TEXT, result TEXT, error TEXT, "
            "position BIGINT NOT NULL)"
        )
        cur.execute("CREATE INDEX IF NOT EXISTS commands_tenant ON commands (tenant, position)")
        cur.execute("CREATE INDEX IF NOT EXISTS commands_charger ON commands (tenant, charger_id, position)")
        cur.execute(
            "CREATE INDEX IF NOT EXISTS commands_location ON commands (tenant, location_id, position)"
        )
        cur.execute("CREATE INDEX IF NOT EXISTS commands_status ON commands (tenant, status, position)")

    def _insert(self, e: Any, event_type: str, payload: dict[str, Any], cur: Cursor, position: int) -> None:
        t = e.target
        cur.defer(
            "INSERT INTO commands (id, tenant, charger_id, charger_identity, location_id, event_type, "
            "ocpp_version, payload, target_kind, status, origin, requested_by, batch_id, "
            "idempotency_key, queued_at, position) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                str(e.command_id),
                t.tenant,
                str(e.originator_id),
                t.charger_identity,
                None if t.location_id is None else str(t.location_id),
                event_type,
                str(t.ocpp_version),
                dumps(payload),
                t.kind,
                "queued",
                e.origin,
                e.requested_by,
                str(e.batch_id),
                e.idempotency_key,
                iso(e.timestamp),
                position,
            ],
        )

    @handles(Charger.CommandQueued)
    def command_queued(self, e: Any, cur: Cursor, position: int) -> None:
        self._insert(e, str(e.event_type), e.payload.wire(), cur, position)

    @handles(*_RUNTIME)
    def runtime_requested(self, e: Any, cur: Cursor, position: int) -> None:
        self._insert(e, _RUNTIME[type(e)].value, {}, cur, position)

    @handles(ChargePoint.CommandDispatched)
    def command_dispatched(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE commands SET status = 'dispatched', dispatched_at = %s WHERE id = %s",
            [iso(e.timestamp), str(e.command_id)],
        )

    @handles(ChargePoint.FrameRecorded)
    def frame_recorded(self, e: Any, cur: Cursor, position: int) -> None:
        # The first thing the CSMS said about a command: its latency's middle stage.
        if e.command_id is not None and e.direction == "csms_to_cp":
            cur.execute(
                "UPDATE commands SET first_answer_at = %s WHERE id = %s AND first_answer_at IS NULL",
                [iso(e.timestamp), str(e.command_id)],
            )

    @handles(ChargePoint.CommandCompleted)
    def command_completed(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE commands SET status = 'completed', completed_at = %s, result = %s WHERE id = %s",
            [iso(e.timestamp), dumps(e.outcome.public()), str(e.command_id)],
        )

    @handles(ChargePoint.CommandFailed)
    def command_failed(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE commands SET status = 'failed', completed_at = %s, error = %s WHERE id = %s",
            [iso(e.timestamp), dumps({"code": e.code, "message": e.message}), str(e.command_id)],
        )


def _public(row: Row) -> Row:
    row["payload"] = loads(row["payload"])
    row["result"] = loads(row["result"])
    row["error"] = loads(row["error"])
    return row


def get_command(cur: Cursor, tenant: str, command_id: str) -> Row | None:
    row = cur.execute("SELECT * FROM commands WHERE tenant = %s AND id = %s", [tenant, command_id]).fetchone()
    return None if row is None else _public(row)


def list_commands(
    cur: Cursor,
    tenant: str,
    limit: int,
    offset: int,
    charger_id: str | None = None,
    location_id: str | None = None,
    status: str | None = None,
    event_type: str | None = None,
) -> tuple[list[Row], int]:
    where, params = "tenant = %s", [tenant]
    for column, value in (
        ("charger_id", charger_id),
        ("location_id", location_id),
        ("status", status),
        ("event_type", event_type),
    ):
        if value is not None:
            where += f" AND {column} = %s"
            params.append(value)
    total = cur.execute(f"SELECT COUNT(*) AS n FROM commands WHERE {where}", params).scalar()
    rows = cur.execute(
        f"SELECT * FROM commands WHERE {where} ORDER BY position DESC LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return [_public(r) for r in rows], int(total)
