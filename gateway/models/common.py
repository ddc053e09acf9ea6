"""Shapes shared by several resources: pages, errors."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422 naming it, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


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


def page_params(
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PageParams:
    return PageParams(page=page, limit=limit)


ERRORS = {
    401: {"model": ErrorBody, "description": "missing or invalid token"},
    403: {"model": ErrorBody, "description": "wrong role or tenant scope"},
    404: {"model": ErrorBody, "description": "unknown resource in the caller's tenant"},
}
