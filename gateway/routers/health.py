from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.auth import Ctx
from gateway.sdk_names import sdk_operation

router = APIRouter(tags=["health"])

LANDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ocpp-ledger</title></head>
<body><h1>ocpp-ledger</h1><p>An OCPP test lab built as an event-sourced command ledger.</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/openapi.json">OpenAPI schema</a></li>
<li><a href="/health">health</a></li></ul></body></html>
"""


@router.get("/", response_class=HTMLResponse, **sdk_operation("health", "landing_page"))
def landing_page() -> str:
    """Links to the docs, the schema and the health route (the lab replaces it where it is served)."""
    return LANDING_PAGE


@router.get("/health", **sdk_operation("health", "health_check"))
def health_check() -> dict[str, str]:
    """The process is alive (as /healthz; the path OCPPLAB's clients call)."""
    return {"status": "ok"}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "database unreachable or projections failing"}})
def readyz(ctx: Ctx) -> Any:
    """Ready to serve: the database answers and every projection runner is healthy."""
    checks: dict[str, Any] = {}
    ready = True
    try:
        # A probe on a connection of its own: an unreachable database answers in a second, not after
        # the pool's timeouts and retries.
        if ctx.read.db.dialect == "postgres" and not ctx.read.store.probe():
            raise ConnectionError("no answer")
        checks["lag"] = ctx.read.lag()
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unavailable: {error.__class__.__name__}"
        ready = False
    failing = {n: str(r.error) for n, r in ctx.read.runners.items() if r.error is not None}
    if failing:
        checks["projections"] = failing
        ready = False
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "unavailable", **checks},
        headers=None if ready else {"Retry-After": "1"},
    )
