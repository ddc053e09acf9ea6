"""Read model of the OCPP message log: every frame, in ledger order, per charge point and per command."""

from __future__ import annotations

from typing import Any

from domain.chargepoint import ChargePoint
from infra.sql import Cursor, Row, iso
from projections.runner import Projection, handles


class MessageLogProjection(Projection):
    name = "message_log"
    tables = ("ocpp_frames",)

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS ocpp_frames ("
            "position BIGINT PRIMARY KEY, charge_point_id TEXT NOT NULL, direction TEXT NOT NULL, "
            "message_type INTEGER, message_id TEXT, action TEXT, message TEXT NOT NULL, command_id TEXT, "
            "timestamp TEXT NOT NULL)"
        )
        cur.execute("CREATE INDEX IF NOT EXISTS ocpp_frames_cp ON ocpp_frames (charge_point_id, position)")
        # Only frames of a command are looked up by command: nearly all frames have none, and indexing
        # their NULLs was an index insert per frame for nothing.
        cur.execute("DROP INDEX IF EXISTS ocpp_frames_command")
        cur.execute(
            "CREATE INDEX IF NOT EXISTS ocpp_frames_of_commands ON ocpp_frames (command_id, position) "
            "WHERE command_id IS NOT NULL"
        )

    @handles(ChargePoint.FrameRecorded)
    def frame_recorded(self, e: Any, cur: Cursor, position: int) -> None:
        cur.defer(
            "INSERT INTO ocpp_frames (position, charge_point_id, direction, message_type, message_id, action, "
            "message, command_id, timestamp) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                position,
                str(e.originator_id),
                e.direction,
                e.message_type,
                _printable(e.message_id),
                _printable(e.action),
                _printable(e.raw),
                None if e.command_id is None else str(e.command_id),
                iso(e.timestamp),
            ],
        )


def _printable(text: str | None) -> str | None:
    """The text with NUL escaped. A CSMS may send one (raw, or as \\u0000 in an id or action); PostgreSQL
    text cannot hold it, and this read model would stop on it for good. The ledger keeps the frame as it
    came; the log shows it escaped."""
    return text.replace("\x00", "\\u0000") if text is not None and "\x00" in text else text


def frames(
    cur: Cursor,
    charge_point_id: str,
    limit: int,
    offset: int,
    action: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> tuple[list[Row], int]:
    where = "charge_point_id = %s"
    params: list[object] = [charge_point_id]
    if action:
        where += " AND action = %s"
        params.append(action)
    if start:
        where += " AND timestamp >= %s"
        params.append(start)
    if end:
        where += " AND timestamp <= %s"
        params.append(end)
    total = cur.execute(f"SELECT COUNT(*) AS n FROM ocpp_frames WHERE {where}", params).scalar()
    rows = cur.execute(
        f"SELECT direction, action, message, timestamp FROM ocpp_frames WHERE {where} "
        "ORDER BY position LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return rows, int(total)


def command_frames(cur: Cursor, command_id: str) -> list[Row]:
    return cur.execute(
        "SELECT direction, action, message, timestamp FROM ocpp_frames WHERE command_id = %s ORDER BY position",
        [command_id],
    ).fetchall()


FRAME_COLUMNS = "position, direction, message_type, message_id, action, message, command_id, timestamp"


def frame_page(
    cur: Cursor,
    charge_point_id: str,
    limit: int,
    before: int | None = None,
    after: int | None = None,
    action: str | None = None,
    direction: str | None = None,
    start: str | None = None,
    end: str | None = None,
    search: str | None = None,
    command_id: str | None = None,
) -> list[Row]:
    """A page of a charger's frames by position (keyset: stable while frames keep arriving), oldest
    first: the newest `limit` before `before`, or the oldest `limit` after `after`."""
    where = "charge_point_id = %s"
    params: list[object] = [charge_point_id]
    for clause, value in (
        ("position < %s", before),
        ("position > %s", after),
        ("action = %s", action),
        ("direction = %s", direction),
        ("timestamp >= %s", start),
        ("timestamp <= %s", end),
        ("command_id = %s", command_id),
    ):
        if value is not None and value != "":
            where += f" AND {clause}"
            params.append(value)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where += " AND LOWER(message) LIKE %s ESCAPE '\\'"
        params.append(f"%{escaped.lower()}%")
    order = "ASC" if after is not None and before is None else "DESC"
    rows = cur.execute(
        f"SELECT {FRAME_COLUMNS} FROM ocpp_frames WHERE {where} ORDER BY position {order} LIMIT %s",
        [*params, limit],
    ).fetchall()
    return rows if order == "ASC" else rows[::-1]
