"""The auto-stop policy: a session started with `duration_seconds` or `target_energy_kwh` is stopped when
the first limit is reached, by queuing a `stop_session` whose origin names the limit.

The projection keeps each limited session's limits, start and latest meter sample (so deadlines survive
any restart: they are derived from the events). The policy loop reads it and queues the stop through the
domain at the deadline: for a duration, start plus duration; for an energy target, the instant the latest
sample's power brings the energy to the target. The charger records a sample at every change of power
during a transaction, so that instant is exact between samples (power is constant between them). It may run in several processes at once: the stop is saved together with an idempotency record
derived from the session's command id, so only one of them ever queues it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from domain import services
from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import Clock
from domain.commands import CommandType, StartSession, StopSession
from domain.idempotency import IdempotentRequest
from domain.ids import charge_point_id, idempotency_id
from domain.ledger import Ledger, UnitOfWork
from domain.protocol import STOP_REASONS, StopReason
from infra.sql import Cursor, Database, Row
from projections.runner import Projection, ProjectionRunner, handles

log = logging.getLogger(__name__)


class AutoStopProjection(Projection):
    name = "auto_stop"
    tables = ("auto_stop_sessions",)
    version = 3  # 2: sessions joining a transaction begun at the plug (2.0.1); 3: power of the sample

    def __init__(self) -> None:
        # The charge points with a limited session, read once per batch (its cursor): most sessions have
        # no limit, and an UPDATE per meter sample that matches no row was most of this model's cost.
        self._batch: tuple[Cursor, set[str]] | None = None

    def _limited(self, cur: Cursor) -> set[str]:
        if self._batch is None or self._batch[0] is not cur:
            rows = cur.execute("SELECT DISTINCT charge_point_id FROM auto_stop_sessions").fetchall()
            self._batch = (cur, {r["charge_point_id"] for r in rows})
        return self._batch[1]

    def create_tables(self, cur: Cursor) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS auto_stop_sessions ("
            "command_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, charger_id TEXT NOT NULL, "
            "charge_point_id TEXT NOT NULL, connector_id INTEGER NOT NULL, duration_seconds DOUBLE PRECISION, "
            "target_wh DOUBLE PRECISION, transaction_id TEXT, started_at TEXT, meter_start_wh BIGINT, "
            "energy_wh BIGINT, power_w DOUBLE PRECISION, sampled_at TEXT)"
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS auto_stop_cp ON auto_stop_sessions (charge_point_id, connector_id)"
        )

    @handles(Charger.CommandQueued)
    def command_queued(self, e: Any, cur: Cursor, position: int) -> None:
        payload = e.payload
        if e.event_type != CommandType.START_SESSION or not isinstance(payload, StartSession):
            return
        if payload.duration_seconds is None and payload.target_energy_kwh is None:
            return
        self._limited(cur).add(str(charge_point_id(e.originator_id)))
        cur.execute(
            "INSERT INTO auto_stop_sessions (command_id, tenant, charger_id, charge_point_id, connector_id, "
            "duration_seconds, target_wh) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                str(e.command_id),
                e.target.tenant,
                str(e.originator_id),
                str(charge_point_id(e.originator_id)),
                payload.connector(),
                payload.duration_seconds,
                None if payload.target_energy_kwh is None else payload.target_energy_kwh * 1000,
            ],
        )

    @handles(ChargePoint.TransactionStarted)
    def transaction_started(self, e: Any, cur: Cursor, position: int) -> None:
        if e.command_id is None:
            return
        cur.execute(
            "UPDATE auto_stop_sessions SET transaction_id = %s, started_at = %s, meter_start_wh = %s, "
            "energy_wh = %s WHERE command_id = %s",
            [e.transaction_id, e.started_at, e.meter_start_wh, e.meter_start_wh, str(e.command_id)],
        )

    @handles(ChargePoint.TransactionAuthorized)
    def transaction_authorized(self, e: Any, cur: Cursor, position: int) -> None:
        # OCPP 2.0.1 with the cable plugged first: the transaction began at the plug, and the session
        # joins it at authorization. Its start is taken from the first meter sample after that.
        if e.command_id is None or e.status != "Accepted":
            return
        cur.execute(
            "UPDATE auto_stop_sessions SET transaction_id = %s WHERE command_id = %s AND transaction_id IS NULL",
            [e.transaction_id, str(e.command_id)],
        )

    @handles(ChargePoint.MeterSampled)
    def meter_sampled(self, e: Any, cur: Cursor, position: int) -> None:
        if e.transaction_id is None or str(e.originator_id) not in self._limited(cur):
            return
        cur.execute(
            "UPDATE auto_stop_sessions SET energy_wh = %s, power_w = %s, sampled_at = %s, "
            "started_at = COALESCE(started_at, %s), meter_start_wh = COALESCE(meter_start_wh, %s) "
            "WHERE charge_point_id = %s AND connector_id = %s AND transaction_id = %s",
            [
                e.energy_wh,
                e.power_w,
                e.sampled_at,
                e.sampled_at,
                e.energy_wh,
                str(e.originator_id),
                e.connector_id,
                e.transaction_id,
            ],
        )

    @handles(ChargePoint.TransactionStopped)
    def transaction_stopped(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute(
            "DELETE FROM auto_stop_sessions WHERE charge_point_id = %s AND transaction_id = %s",
            [str(e.originator_id), e.transaction_id],
        )

    @handles(ChargePoint.CommandFailed)
    def session_failed(self, e: Any, cur: Cursor, position: int) -> None:
        cur.execute("DELETE FROM auto_stop_sessions WHERE command_id = %s", [str(e.command_id)])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def energy_deadline(row: Row) -> datetime | None:
    """When the session's energy reaches its target at the power of the latest sample (None: no target,
    or no power flowing). The register is whole Wh, so this is at most 1 Wh late."""
    if row["target_wh"] is None or row["energy_wh"] is None or not row["sampled_at"]:
        return None
    missing = row["target_wh"] - (row["energy_wh"] - (row["meter_start_wh"] or 0))
    if missing <= 0:
        return _moment(row["sampled_at"])
    if not row["power_w"] or row["power_w"] <= 0:
        return None
    return _moment(row["sampled_at"]) + timedelta(seconds=missing * 3600.0 / row["power_w"])


def duration_deadline(row: Row) -> datetime | None:
    if row["duration_seconds"] is None or not row["started_at"]:
        return None
    return _moment(row["started_at"]) + timedelta(seconds=row["duration_seconds"])


def due(row: Row, now: datetime) -> str | None:
    """Which limit a running session has reached, if any ('energy' first when both are)."""
    if row["transaction_id"] is None:
        return None
    energy = None if row["energy_wh"] is None else row["energy_wh"] - (row["meter_start_wh"] or 0)
    if row["target_wh"] is not None and energy is not None and energy >= row["target_wh"]:
        return "energy"
    for limit, deadline in (("energy", energy_deadline(row)), ("duration", duration_deadline(row))):
        if deadline is not None and now >= deadline:
            return limit
    return None


class AutoStopPolicy:
    """Queues the stop of sessions whose limit is reached. Wakes when the projection moves, and on the
    next duration deadline."""

    def __init__(self, ledger: Ledger, db: Database, runner: ProjectionRunner, clock: Clock) -> None:
        self.ledger, self.db, self.runner, self.clock = ledger, db, runner, clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._handled: set[str] = set()  # sessions this process has dealt with (the guard is in the ledger)
        self.stops_queued = 0
        # The read model is live once it has passed the head the policy saw at its start or at the last
        # rewind of the projection (a rebuild, a new version). Before that it replays history: sessions long
        # ended look running, their deadlines long past, and stopping them would stop whatever runs now.
        self._live_from: int | None = None
        self._last_position = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="auto-stop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        seen = -1
        while not self._stopping.is_set():
            try:
                wait = self.check()
            except Exception as error:  # database down: try again shortly
                log.warning("auto-stop check failed: %s", error)
                wait = 1.0
            seen = self.runner.wait_for_change(seen, min(wait, 1.0))

    def replaying(self) -> bool:
        """Whether the read model is still replaying history (see `_live_from`)."""
        position = self.runner.position
        if self._live_from is None or position < self._last_position:
            with self.db.statement() as cur:
                self._live_from = self.db.max_notification_id(cur)
        self._last_position = position
        return position < self._live_from

    def check(self) -> float:
        """Queue the due stops; return how many real seconds until the next deadline."""
        if self.replaying():
            return 0.2
        with self.db.statement() as cur:  # one round trip, outside any transaction
            rows = cur.execute("SELECT * FROM auto_stop_sessions WHERE transaction_id IS NOT NULL").fetchall()
        now = self.clock.now()
        next_deadline = 3600.0
        for row in rows:
            if row["command_id"] in self._handled:
                continue
            limit = due(row, now)
            if limit is not None:
                self.queue_stop(row, limit)
                continue
            for deadline in (energy_deadline(row), duration_deadline(row)):
                if deadline is not None:
                    remaining = (deadline - now).total_seconds()
                    next_deadline = min(next_deadline, self.clock.real_seconds(max(0.0, remaining)))
        return next_deadline

    def queue_stop(self, row: Row, limit: str) -> None:
        tenant, key = row["tenant"], f"auto-stop:{row['command_id']}"

        def decide(uow: UnitOfWork) -> bool:
            if uow.get(IdempotentRequest, idempotency_id(tenant, key)) is not None:
                return False  # another process queued it already
            # 2.0.1 has stop reasons for both limits; 1.6 has none, so its default (Local) applies.
            reason = StopReason.ENERGY_LIMIT_REACHED if limit == "energy" else StopReason.TIME_LIMIT_REACHED
            charger = uow.get(Charger, UUID(row["charger_id"]))
            applies = charger is not None and reason in STOP_REASONS[charger.settings.ocpp_version]
            payload = StopSession(connector_id=row["connector_id"], reason=reason if applies else None)
            fan_out = services.queue_commands(
                uow,
                tenant,
                [UUID(row["charger_id"])],
                payload,
                "policy",
                "policy:auto_stop",
                f"auto_stop:{limit}",
            )
            body = "" if not fan_out.queued else str(fan_out.queued[0].command_id)
            uow.add(
                IdempotentRequest(tenant=tenant, key=key, fingerprint="auto-stop", status_code=202, body=body)
            )
            return bool(fan_out.queued)

        queued = self.ledger.transact(decide)
        self._handled.add(row["command_id"])
        if queued:
            self.stops_queued += 1
            log.info("auto-stop (%s) queued for session %s", limit, row["command_id"])
