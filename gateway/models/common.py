"""Shapes shared by several resources: pages, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict

T = TypeVar("T")


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 naming it, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


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


class ErrorBody(BaseModel):
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


ERRORS = {
    401: {"model": ErrorBody, "description": "missing or invalid token"},
    403: {"model": ErrorBody, "description": "wrong role or tenant scope"},
    404: {"model": ErrorBody, "description": "unknown resource in the caller's tenant"},
    429: {"model": ErrorBody, "description": "request rate limit of this token exceeded; see Retry-After"},
}
