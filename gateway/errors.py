"""HTTP status codes for domain outcomes, in one place.

Errors other than validation answer `{"detail": message, "code": machine_code}`; validation errors keep
FastAPI's 422 shape (`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), so the field is named.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from domain.errors import CommandNotApplicable, Conflict, DomainError, InvalidRequest, NotFound

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


class RateLimited(HttpError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    if isinstance(error, InvalidRequest | CommandNotApplicable):
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
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
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


# Write-only fields: a 422 never echoes them back (FastAPI's errors carry the offending `input`, and for a
# missing field that input is the whole enclosing object).
SECRET_FIELDS = frozenset({"basic_auth_password"})


def _masked(value: Any) -> Any:
    """The value, secrets masked and made JSON: a refused NaN or Infinity (Python's JSON parser takes them)
    is echoed as text, where FastAPI's own handler failed to render the 422 and answered 500."""
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_FIELDS and v is not None else _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# A 422 echoes at most this much of an offending input (as FastAPI would, for one that is shorter): a
# multi-megabyte unknown field is named, not sent back.
MAX_ECHO_CHARS = 1000


def _bounded(value: Any) -> Any:
    """The input as given when its JSON is short; otherwise the start of its JSON text, marked as cut."""
    text = json.dumps(value, default=str)
    if len(text) <= MAX_ECHO_CHARS:
        return value
    return f"{text[:MAX_ECHO_CHARS]}… ({len(text)} characters, cut)"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = []
    for detail in error.errors():
        detail = dict(detail)
        if "input" in detail:
            secret = bool(SECRET_FIELDS.intersection(map(str, detail.get("loc", ()))))
            detail["input"] = "***" if secret else _bounded(_masked(detail["input"]))
        if "ctx" in detail:
            detail["ctx"] = _masked(jsonable_encoder(detail["ctx"]))
        details.append(detail)
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(details)})


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette logs the exception and re-raises it after this answer: the body is only the error shape
    # every other status has (HttpErrorResponse), not a plain-text page.
    return JSONResponse(status_code=500, content=_body("internal error", "internal_error"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _internal_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HttpError, _http_error)
    app.add_exception_handler(OperationalError, _store_unavailable)
    app.add_exception_handler(InterfaceError, _store_unavailable)
