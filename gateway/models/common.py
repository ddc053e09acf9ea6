"""Shapes shared by several resources: pages, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

T = TypeVar("T")


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where a NUL character is in a JSON value (keys included), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_at(key, path) if isinstance(key, str) else None
            found = found if found is not None else _nul_at(item, f"{path}.{key}")
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{path}.{index}")
            if found is not None:
                return found
    return None


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 naming it, not a silent no-op.

    They refuse NUL characters anywhere too: PostgreSQL text cannot hold one, and a recorded event carrying
    one would stop the read models that store it, for good (events are never edited).
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        where = _nul_at(value)
        if where is not None:
            inside = f" (at {where[1:]})" if where else ""
            raise ValueError(f"must not contain NUL (\\u0000) characters{inside}")
        return value


# A text query or path parameter that reaches SQL: no NUL (PostgreSQL text cannot hold one).
NUL_FREE = r"^[^\x00]*$"
SqlText = Annotated[str, StringConstraints(pattern=NUL_FREE)]


def _utc_representable(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)  # how the read models compare times
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None
    return value


# A time in a query: ISO-8601, and within the range of UTC datetimes (9999-12-31T23:59-05:00 is not).
QueryTime = Annotated[datetime, AfterValidator(_utc_representable)]


class Page(BaseModel, Generic[T]):
    data: list[T]
    total: int
    page: int
    limit: int


class HttpErrorResponse(BaseModel):
    """Every error but a validation error: `detail` says what went wrong; `code` (ours) is machine-readable
    (the shape OCPPLAB's SDK parses)."""

    detail: str
    code: str


class PageParams(BaseModel):
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


# Far beyond any real listing, and small enough that the offset fits a 64-bit SQL integer on both backends.
MAX_PAGE = 10_000_000
MAX_OFFSET = 1_000_000_000


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PageParams:
    return PageParams(page=page, limit=limit)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": HttpErrorResponse, "description": "missing or invalid token"},
    403: {"model": HttpErrorResponse, "description": "wrong role or tenant scope"},
    404: {"model": HttpErrorResponse, "description": "unknown resource in the caller's tenant"},
    429: {
        "model": HttpErrorResponse,
        "description": "request rate limit of this token exceeded; see Retry-After",
    },
}
