from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.auth import Ctx

router = APIRouter(tags=["health"])


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
