"""The gateway with the lab in it: the lab's routes, its page at `/`, and its live feed's lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.routing import Route

from domain.settings import Settings
from gateway.app import create_app as create_gateway
from gateway.context import Context
from webui.feed import Feed
from webui.routes import account, analytics, charger, fleet, page, recordings, stream

ROUTERS = (page, account, fleet, charger, analytics, recordings, stream)


def install(app: FastAPI) -> FastAPI:
    """Add the lab to a gateway app: its page replaces any other at `/`."""
    ctx: Context = app.state.context
    feed = Feed(ctx.ledger, ctx.read.db, poll_seconds=ctx.settings.projection_poll_seconds)
    app.state.lab_feed = feed
    app.router.routes[:] = [
        r
        for r in app.router.routes
        if not (isinstance(r, Route) and r.path == "/" and "GET" in (r.methods or ()))
    ]
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/lab/static", page.static_files, name="lab-static")

    gateway_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with gateway_lifespan(app):
            feed.start()
            try:
                yield
            finally:
                await anyio.to_thread.run_sync(feed.stop)

    app.router.lifespan_context = lifespan
    return app


def create_app(settings: Settings | None = None, context: Context | None = None) -> FastAPI:
    return install(create_gateway(settings, context))
