"""Wake-ups from other processes' writes: PostgreSQL NOTIFY on the events table's channel.

The ledger's recorder NOTIFYs on every insert; a follower in another process LISTENs so that it reads
the new events at once rather than at its next poll. SQLite has no equivalent: followers there poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from infra.sql import Database

log = logging.getLogger(__name__)


class Listener:
    def __init__(self, db: Database, on_notify: Callable[[], None]) -> None:
        self.db = db
        self.on_notify = on_notify
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.db.dialect != "postgres":
            return
        self._running.set()
        self._thread = threading.Thread(target=self._listen, name="ledger-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        channel = getattr(self.db.ledger.recorder, "channel_name", "stored_events")
        # Saves through this same ledger are reported in-process (Ledger.on_saved), with their topics.
        own = getattr(self.db.ledger.recorder, "notify_token", None)
        while self._running.is_set():
            try:
                with self.db.datastore.get_connection() as conn:
                    conn.execute(f"LISTEN {channel}")
                    while self._running.is_set():
                        for notify in conn.notifies(timeout=0.5, stop_after=1):
                            if own is None or notify.payload != own:
                                self.on_notify()
            except Exception as error:  # the database restarts: listen again shortly
                log.warning("LISTEN %s failed: %s", channel, error)
                threading.Event().wait(1.0)
