"""HTTP status codes for domain outcomes, in one place.

Errors other than validation answer `{"detail": message, "code": machine_code}`; validation errors keep
FastAPI's 422 shape (`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), so the field is named.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from domain.errors import Conflict, DomainError, InvalidRequest, NotFound

log = logging.getLogger(__name__)


class HttpError(Exception):
    status_code = 500
    code = "error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class Unauthorized(HttpError):
    status_code = 401
    code = "unauthorized"


class Forbidden(HttpError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(HttpError):
    status_code = 413
    code = "body_too_large"


class CommandTimeout(HttpError):
    status_code = 504
    code = "command_timeout"


class Unavailable(HttpError):
    status_code = 503
    code = "unavailable"


def _body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"detail": message, "code": code, **extra}


def status_for(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, InvalidRequest):
        return 422
    return 400


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = status_for(error)
    if isinstance(error, InvalidRequest):
        # List positions are numbers, as in FastAPI's own 422s: ["body", 0, "template", "model_slug"].
        parts = error.field.split(".") if error.field else []
        loc = ["body", *(int(p) if p.isdigit() else p for p in parts)]
        return JSONResponse(
            status_code=status,
            content={"detail": [{"loc": loc, "msg": error.message, "type": error.code}]},
        )
    return JSONResponse(status_code=status, content=_body(error.message, error.code))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HttpError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
    if isinstance(error, Unavailable):
        headers = {"Retry-After": "1"}
    return JSONResponse(
        status_code=error.status_code,
        content=_body(error.message, error.code, **error.extra),
        headers=headers,
    )


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    # The database is down or unreachable: nothing was accepted, the client should retry.
    log.warning("store unavailable: %s", error)
    return JSONResponse(
        status_code=503,
        content=_body("the ledger's database is unavailable; retry shortly", "store_unavailable"),
        headers={"Retry-After": "1"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HttpError, _http_error)
    app.add_exception_handler(OperationalError, _store_unavailable)
    app.add_exception_handler(InterfaceError, _store_unavailable)
