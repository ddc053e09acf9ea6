"""The FastAPI application: routers, error mapping, limits, and the read side's lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from domain.settings import Settings
from gateway import errors
from gateway.context import Context, build_context, upgrade_database
from gateway.limits import BodySizeLimit, StoreDown
from gateway.metrics import HttpMetrics
from gateway.routers import (
    analytics,
    catalog,
    chargers,
    commands,
    health,
    location_chargers,
    location_templates,
    locations,
)
from gateway.routers import metrics as metrics_route

DESCRIPTION = """
An OCPP test lab as an event-sourced command ledger, compatible with the OCPPLAB Gateway API.

Every accepted command is an immutable event; what the simulated chargers and the CSMS then did is
recorded beside it. Authenticate with `Authorization: Bearer <token>`; admin tokens choose the tenant
with `X-Organization-Id`.
"""


def create_app(settings: Settings | None = None, context: Context | None = None) -> FastAPI:
    settings = settings or (context.settings if context else Settings())
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Routes are synchronous (the event store is): give them enough worker threads, since a
        # single-charger command holds one while it waits for its outcome.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 200
        await anyio.to_thread.run_sync(upgrade_database, ctx)
        ctx.read.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(ctx.read.stop)

    app = FastAPI(
        title="ocpp-ledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.context = ctx
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(StoreDown, is_up=lambda: ctx.read.store.up)
    app.add_middleware(HttpMetrics)  # added last: outermost, so it sees every answer, 413s included
    for module in (
        health,
        catalog,
        locations,
        chargers,
        location_chargers,
        location_templates,
        commands,
        analytics,
    ):
        app.include_router(module.router)
    app.include_router(metrics_route.router)
    return app
