"""Is the database there? A probe on a connection of its own, so that while PostgreSQL is down the
gateway can answer 503 at once instead of every request waiting out the connection pool.

The probe keeps its connection between probes and makes a new one only after a failure: a connection
per probe (twice a second) cost a server process's start-up and authentication each time, for nothing."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import psycopg

from infra.sql import Database

log = logging.getLogger(__name__)


class StoreMonitor:
    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self.db = db
        self.interval = interval
        self.up = True
        self.down_since: float | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def start(self) -> None:
        if self.db.dialect != "postgres":
            return  # a file: it is there while we are
        self._thread = threading.Thread(target=self._run, name="store-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close()

    def probe(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                kwargs = dict(getattr(self.db.datastore.pool, "kwargs", {}))
                kwargs.pop("row_factory", None)
                # tcp_user_timeout: a probe on a link that went silent fails within a second, as a new
                # connection would (connect_timeout), instead of hanging until TCP gives up.
                self._conn = psycopg.connect(
                    **kwargs, connect_timeout=1, tcp_user_timeout=1000, autocommit=True
                )
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self._close()
            return False
        return True

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            up = self.probe()
            if up != self.up:
                log.warning("database is %s", "back" if up else "unreachable: answering 503 until it is back")
                self.down_since = None if up else time.monotonic()
            self.up = up
            self._stopping.wait(self.interval)
