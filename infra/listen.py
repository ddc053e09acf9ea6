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
    def __init__(self, db: Database, on_notify: Callable[[], object], second_channel: bool = True) -> None:
        """`second_channel`: also wake on the saves that NOTIFY the recorder's second channel (the
        bridge's observations; see infra.postgres)."""
        self.db = db
        self.on_notify = on_notify
        self.second_channel = second_channel
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
        recorder = self.db.ledger.recorder
        channel = getattr(recorder, "channel_name", "stored_events")
        channels = [channel]
        second = getattr(recorder, "second_channel_name", None)
        if self.second_channel and second is not None:
            channels.append(second)
        # Saves through this same ledger are reported in-process (Ledger.on_saved), with their topics.
        own = getattr(self.db.ledger.recorder, "notify_token", None)
        while self._running.is_set():
            try:
                with self.db.postgres.get_connection() as conn:
                    for name in channels:
                        conn.execute(f"LISTEN {name}")
                    while self._running.is_set():
                        for notify in conn.notifies(timeout=0.5, stop_after=1):
                            if own is None or notify.payload != own:
                                self.on_notify()
            except Exception as error:  # the database restarts: listen again shortly
                log.warning("LISTEN %s failed: %s", channel, error)
                threading.Event().wait(1.0)
