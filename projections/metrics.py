"""Prometheus metrics: the process's one registry, and what the read side can see.

Every layer registers its metrics on `REGISTRY` (prometheus_client's process-wide default registry,
which also carries the process and Python runtime collectors), so wherever the gateway and the bridge
share a process one `/metrics` shows both. The projections' own numbers:

- per read model, how far it is behind the ledger (computed when scraped, from the runners this
  process started), and the ledger's head position;
- how long a batch of events takes to apply and commit, and how many events were applied.

See docs/observability.md for the full list.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import prometheus_client
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from projections.readmodels import ReadModels

log = logging.getLogger(__name__)

# `_created` samples double every counter's series and say little here.
prometheus_client.disable_created_metrics()

REGISTRY = prometheus_client.REGISTRY
PREFIX = "ocpp_ledger"

# Latency buckets (seconds) for store and projection work: sub-millisecond to seconds.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

PROJECTION_BATCH_SECONDS = Histogram(
    f"{PREFIX}_projection_batch_seconds",
    "Time to apply one batch of events to a read model and commit it with its tracking record",
    ["projection"],
    buckets=STORE_BUCKETS,
    registry=REGISTRY,
)
PROJECTION_EVENTS = Counter(
    f"{PREFIX}_projection_events",
    "Events applied to a read model by this process",
    ["projection"],
    registry=REGISTRY,
)


def batch_applied(projection: str, events: int, seconds: float) -> None:
    PROJECTION_BATCH_SECONDS.labels(projection).observe(seconds)
    PROJECTION_EVENTS.labels(projection).inc(events)


class ReadModelsCollector(Collector):
    """Lag per read model, computed at scrape time: ledger head - the position its runner reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: list[ReadModels] = []

    def watch(self, read: ReadModels) -> None:
        with self._lock:
            if read not in self._watched:
                self._watched.append(read)

    def unwatch(self, read: ReadModels) -> None:
        with self._lock:
            if read in self._watched:
                self._watched.remove(read)

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def _families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                f"{PREFIX}_projection_lag_events",
                "Events committed to the ledger that this read model (in this process) has not processed yet",
                labels=["projection"],
            ),
            GaugeMetricFamily(
                f"{PREFIX}_ledger_head_position",
                "Notification id of the newest event in the ledger (its rate is the ledger's append rate)",
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        lag_family, head_family = self._families()
        with self._lock:
            watched = list(self._watched)
        lags: dict[str, int] = {}
        heads: list[int] = []
        for read in watched:
            try:
                head = read.current_position()
            except Exception as error:  # the database is down: no numbers rather than a failed scrape
                log.debug("projection lag unavailable: %s", error)
                continue
            heads.append(head)
            for name, runner in list(read.runners.items()):
                lags[name] = max(lags.get(name, 0), max(0, head - runner.position))
        for name, lag in sorted(lags.items()):
            lag_family.add_metric([name], lag)
        if heads:
            head_family.add_metric([], max(heads))
        yield lag_family
        yield head_family


READ_MODELS = ReadModelsCollector()
REGISTRY.register(READ_MODELS)
