"""What the gateway's routes work with, built once per app: the ledger, the read side, settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from threading import Lock

from domain.clock import Clock, clock_for
from domain.ids import token_id
from domain.ledger import Ledger
from domain.settings import Settings
from domain.tokens import ApiToken, hash_secret
from gateway.limits import RateLimiter
from projections.readmodels import ReadModels


@dataclass
class TokenCache:
    """Recently checked tokens, so a burst of requests costs one keyed read, not one per request.
    Short-lived so that a revocation (possibly by another process) takes effect within seconds."""

    ledger: Ledger
    ttl_seconds: float = 5.0
    _entries: dict[str, tuple[float, ApiToken | None]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def find(self, secret: str) -> ApiToken | None:
        digest = hash_secret(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and now - hit[0] < self.ttl_seconds:
            return hit[1]
        token = self.ledger.load_fresh(ApiToken, token_id(digest))
        if token is not None and not token.matches(secret):
            token = None
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (now, token)
        return token


@dataclass
class Context:
    settings: Settings
    ledger: Ledger
    read: ReadModels
    tokens: TokenCache
    clock: Clock
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(per_second=0, burst=1))


def open_ledger(settings: Settings) -> Ledger:
    return Ledger(env=settings.persistence_env())


def build_context(settings: Settings, ledger: Ledger | None = None) -> Context:
    """The ledger and its read side for one process. Tables must exist (`ocpp-ledger db upgrade`)."""
    ledger = ledger or open_ledger(settings)
    clock = clock_for(settings.clock_speed)
    read = ReadModels(ledger, poll_seconds=settings.projection_poll_seconds, clock=clock)
    limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    return Context(
        settings=settings, ledger=ledger, read=read, tokens=TokenCache(ledger), clock=clock, limiter=limiter
    )


def upgrade_database(ctx: Context) -> None:
    """Create every table (events, read models, tracking) if missing; safe to run concurrently."""
    ctx.ledger.create_tables()
    ctx.read.create_tables()
