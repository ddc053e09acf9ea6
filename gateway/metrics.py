"""What the gateway can see: HTTP requests and their latency, and the commands it accepted.

Requests are labelled by route template (`/ocpp/chargers/{charger_id}`, never the id itself), so the
number of series stays fixed whatever clients send; requests that match no route share one label.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain import services
from domain.logs import log_context
from projections.metrics import PREFIX, REGISTRY

log = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Single-charger commands wait for their outcome (up to LEDGER_COMMAND_TIMEOUT_SECONDS), hence the tail.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered by the gateway",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from receiving an HTTP request to the end of its answer",
    ["method", "route"],
    buckets=HTTP_BUCKETS,
    registry=REGISTRY,
)
COMMANDS_ACCEPTED = Counter(
    f"{PREFIX}_commands_accepted",
    "Commands the gateway queued (their CommandQueued event committed); idempotent replays not counted",
    ["event_type"],
    registry=REGISTRY,
)


def commands_accepted(fan_out: services.FanOut) -> None:
    """Count, and log, the commands a request queued (call once its save committed). One INFO line per
    request; each command's own line, with its ids, at DEBUG: a 1,000-charger fan-out would otherwise
    spend more time logging than saving."""
    if not fan_out.queued:
        return
    event_type = str(fan_out.queued[0].payload.event_type)
    COMMANDS_ACCEPTED.labels(event_type).inc(len(fan_out.queued))
    if len(fan_out.queued) == 1:
        queued = fan_out.queued[0]
        with log_context(
            command_id=queued.command_id, charger_id=queued.charger_id, identity=queued.identity
        ):
            log.info("command queued: %s (batch %s)", event_type, fan_out.batch_id)
        return
    log.info("%d commands queued: %s (batch %s)", len(fan_out.queued), event_type, fan_out.batch_id)
    if log.isEnabledFor(logging.DEBUG):
        for queued in fan_out.queued:
            with log_context(
                command_id=queued.command_id, charger_id=queued.charger_id, identity=queued.identity
            ):
                log.debug("command queued: %s (batch %s)", event_type, fan_out.batch_id)


class HttpMetrics:
    """Pure ASGI middleware: counts every HTTP request by method, route template and status, and
    observes its duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: an exception that escapes becomes a 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
