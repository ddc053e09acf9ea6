"""What the bridge can see: its chargers' connections, the OCPP frames they exchange, the outcome and
latency of every command they carry out, and the writer's saves to the ledger.

Connection gauges are computed when scraped, from the stations running in this process. A bridge run
alone (`ocpp-ledger bridge --metrics-port N`) serves them with prometheus_client's own HTTP server;
beside the gateway (`ocpp-ledger serve`) they appear on the gateway's /metrics.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ocpp_bridge.runtime.validation import SCHEMAS
from projections.metrics import PREFIX, REGISTRY, STORE_BUCKETS

if TYPE_CHECKING:
    from ocpp_bridge.runtime.station import Station


def _actions() -> frozenset[str]:
    """Every OCPP 1.6 and 2.0.1 action (from the schemas the `ocpp` package ships)."""
    names = set()
    for path in (SCHEMAS / "v16" / "schemas").glob("*.json"):
        names.add(path.stem.removesuffix("Response"))
    for path in (SCHEMAS / "v201" / "schemas").glob("*.json"):
        names.add(path.stem.removesuffix("Request").removesuffix("Response"))
    return frozenset(names)


ACTIONS = _actions()  # a label is one of these or "other": a CSMS cannot grow the number of series
MESSAGE_TYPES = {2: "call", 3: "callresult", 4: "callerror"}
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)

FRAMES = Counter(
    f"{PREFIX}_bridge_frames",
    "OCPP-J frames exchanged with the CSMS (direction cp_to_csms = sent, csms_to_cp = received)",
    ["direction", "message_type", "action"],
    registry=REGISTRY,
)
COMMANDS = Counter(
    f"{PREFIX}_bridge_commands",
    "Commands carried out by this bridge, by outcome (status completed or failed)",
    ["event_type", "status"],
    registry=REGISTRY,
)
COMMAND_FAILURES = Counter(
    f"{PREFIX}_bridge_command_failures",
    "Failed commands by error code (csms_error, csms_timeout, charger_not_connected, interrupted, ...)",
    ["event_type", "code"],
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    f"{PREFIX}_bridge_command_duration_seconds",
    "Time from a command's dispatch (recorded before its first frame) to its outcome",
    ["event_type"],
    buckets=COMMAND_BUCKETS,
    registry=REGISTRY,
)
WRITER_SAVE_SECONDS = Histogram(
    f"{PREFIX}_bridge_writer_save_seconds",
    "Time the bridge's event writer takes to append one batch of events to the ledger",
    buckets=STORE_BUCKETS,
    registry=REGISTRY,
)
WRITER_EVENTS_PER_SAVE = Histogram(
    f"{PREFIX}_bridge_writer_events_per_save",
    "Events appended to the ledger by one save of the bridge's event writer (group commit)",
    buckets=BATCH_SIZE_BUCKETS,
    registry=REGISTRY,
)
WRITER_SAVE_ERRORS = Counter(
    f"{PREFIX}_bridge_writer_save_errors",
    "Failed saves of the event writer (kind conflict: a stream taken over; error: retried)",
    ["kind"],
    registry=REGISTRY,
)


PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
LOOP_LAG_SECONDS = Histogram(
    f"{PREFIX}_bridge_loop_lag_seconds",
    "How late the bridge's event loop runs a callback scheduled for a given moment (sampled every 0.1 s):"
    " every frame and command of every charger waits this long, at least",
    buckets=PAUSE_BUCKETS,
    registry=REGISTRY,
)
GC_PAUSE_SECONDS = Histogram(
    f"{PREFIX}_bridge_gc_pause_seconds",
    "Garbage collections in the bridge process, by generation: the whole process stops meanwhile",
    ["generation"],
    buckets=PAUSE_BUCKETS,
    registry=REGISTRY,
)

LOOP_LAG_PERIOD = 0.1


async def watch_loop_lag() -> None:
    """Observe the event loop's lag for as long as the task runs."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + LOOP_LAG_PERIOD
        await asyncio.sleep(LOOP_LAG_PERIOD)
        LOOP_LAG_SECONDS.observe(max(0.0, loop.time() - due))


_gc_started: list[float] = []


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started.append(time.perf_counter())
    elif _gc_started:
        GC_PAUSE_SECONDS.labels(str(info["generation"])).observe(time.perf_counter() - _gc_started.pop())


def watch_gc() -> None:
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def frame(direction: str, message_type: int | None, action: str | None) -> None:
    FRAMES.labels(
        direction,
        MESSAGE_TYPES.get(message_type or 0, "invalid"),
        action if action in ACTIONS else ("other" if action else "none"),
    ).inc()


def command_finished(event_type: str, code: str, seconds: float) -> None:
    """`code` is "" for a completed command, else the failure's error code."""
    COMMANDS.labels(event_type, "failed" if code else "completed").inc()
    if code:
        COMMAND_FAILURES.labels(event_type, code).inc()
    COMMAND_SECONDS.labels(event_type).observe(seconds)


def writer_saved(events: int, seconds: float) -> None:
    WRITER_SAVE_SECONDS.observe(seconds)
    WRITER_EVENTS_PER_SAVE.observe(events)


def writer_failed(kind: str) -> None:
    WRITER_SAVE_ERRORS.labels(kind).inc()


class StationsCollector(Collector):
    """Chargers run, connected and online in this process, counted when scraped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stations: weakref.WeakSet[Station] = weakref.WeakSet()

    def started(self, station: Station) -> None:
        with self._lock:
            self._stations.add(station)

    def stopped(self, station: Station) -> None:
        with self._lock:
            self._stations.discard(station)

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def _families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                f"{PREFIX}_bridge_stations", "Simulated chargers this process runs (leased, started)"
            ),
            GaugeMetricFamily(
                f"{PREFIX}_bridge_connected_chargers",
                "Simulated chargers with an open WebSocket connection to their CSMS",
            ),
            GaugeMetricFamily(
                f"{PREFIX}_bridge_online_chargers",
                "Simulated chargers connected and accepted by their CSMS (BootNotification Accepted)",
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            stations = list(self._stations)
        running, connected, online = self._families()
        running.add_metric([], len(stations))
        connected.add_metric([], sum(1 for s in stations if s.connection is not None))
        online.add_metric([], sum(1 for s in stations if s.online.is_set()))
        yield from (running, connected, online)


STATIONS = StationsCollector()
REGISTRY.register(STATIONS)


def serve_metrics(host: str, port: int) -> Any:
    """Serve /metrics over HTTP from a daemon thread (a bridge run without the gateway); returns the
    server (its `server_port` is the port, when 0 asked for any)."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return server
