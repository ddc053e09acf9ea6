"""Deterministic identifiers.

Natural keys (tenant + identity, tenant + Idempotency-Key, token hash) map to fixed aggregate ids with
uuid5, so that a duplicate is the event store's integrity error rather than a read-then-write race.
"""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("5b0f6c2e-7d4e-4c4b-9a51-2f0f5b8f1c3a")


def identity_claim_id(tenant: str, identity: str) -> UUID:
    return uuid5(NAMESPACE, f"identity:{tenant}:{identity}")


def idempotency_id(tenant: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"idempotency:{tenant}:{key}")


def token_id(token_hash: str) -> UUID:
    return uuid5(NAMESPACE, f"token:{token_hash}")


def catalog_id(*parts: str) -> UUID:
    return uuid5(NAMESPACE, "catalog:" + "/".join(parts))


def charge_point_id(charger_id: UUID) -> UUID:
    """The observation aggregate of a charger: one stream per charger, written by the bridge."""
    return uuid5(NAMESPACE, f"charge-point:{charger_id}")
