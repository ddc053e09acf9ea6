"""The gateway with the lab in it: the lab's routes, its page at `/`, and its live feed's lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from domain.settings import Settings
from gateway.app import create_app as create_gateway
from gateway.context import Context
from webui.feed import Feed
from webui.routes import account, analytics, charger, fleet, page, recordings, stream

ROUTERS = (page, account, fleet, charger, analytics, recordings, stream)


def _includes(route: BaseRoute, router: APIRouter) -> bool:
    return route is router or getattr(route, "original_router", None) is router


def install(app: FastAPI) -> FastAPI:
    """Add the lab to a gateway app: its page replaces any other at `/`."""
    ctx: Context = app.state.context
    feed = Feed(ctx.ledger, ctx.read.db, poll_seconds=ctx.settings.projection_poll_seconds)
    app.state.lab_feed = feed
    for module in ROUTERS:
        app.include_router(module.router)
    # Routes match in order, and the gateway's own landing page is at `/` too (inside its included health
    # router, where it cannot be picked out): the lab's page goes first.
    [lab_page] = [r for r in app.router.routes if _includes(r, page.router)]
    app.router.routes.remove(lab_page)
    app.router.routes.insert(0, lab_page)
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
