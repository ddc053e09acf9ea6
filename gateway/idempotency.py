"""Run a decision once per Idempotency-Key: a repeat gets the stored answer, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel

from domain.idempotency import IdempotentRequest
from domain.ids import idempotency_id
from domain.ledger import UnitOfWork
from gateway.context import Context
from gateway.models.common import NUL_FREE

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NUL_FREE,
        description="a repeated POST with the same key gets the original answer",
    ),
]

Decision = Callable[[UnitOfWork], tuple[int, BaseModel]]


def decide_once(
    ctx: Context, tenant: str, key: str | None, request_fingerprint: str, decide: Decision
) -> Response:
    def unit(uow: UnitOfWork) -> tuple[int, str, bool]:
        if key is not None:
            prior = uow.get(IdempotentRequest, idempotency_id(tenant, key))
            if prior is not None:
                status, body = prior.answer_for(request_fingerprint)
                return status, body, True
        status, model = decide(uow)
        body = model.model_dump_json()
        if key is not None:
            uow.add(
                IdempotentRequest(
                    tenant=tenant, key=key, fingerprint=request_fingerprint, status_code=status, body=body
                )
            )
        return status, body, False

    status, body, replayed = ctx.ledger.transact(unit)
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(content=body, status_code=status, media_type="application/json", headers=headers)
