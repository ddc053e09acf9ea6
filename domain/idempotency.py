"""Idempotent requests: the first answer to a (tenant, Idempotency-Key) pair, kept for repeats.

The record is saved in the same transaction as the decision it answers for, so a repeated request gets
the original answer and a concurrent duplicate loses on the store's uniqueness of the derived id.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregates import LedgerAggregate, topic
from domain.errors import IdempotencyKeyReused
from domain.ids import idempotency_id


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotentRequest(LedgerAggregate):
    TOPIC = topic("IdempotentRequest")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("IdempotentRequest.Created")

    class Answered(Created):
        TOPIC = topic("IdempotentRequest.Answered")
        tenant: str
        key: str
        fingerprint: str
        status_code: int
        body: str

    @event(Answered)
    def __init__(self, tenant: str, key: str, fingerprint: str, status_code: int, body: str) -> None:
        self.tenant = tenant
        self.key = key
        self.fingerprint = fingerprint
        self.status_code = status_code
        self.body = body

    @staticmethod
    def create_id(tenant: str, key: str, fingerprint: str, status_code: int, body: str) -> UUID:
        return idempotency_id(tenant, key)

    def answer_for(self, request_fingerprint: str) -> tuple[int, str]:
        if request_fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {self.key!r} was already used for a different request"
            )
        return self.status_code, self.body
