"""API tokens: opaque secrets, of which the ledger keeps only a SHA-256 hash.

A token is 32 random bytes, so a fast hash is enough (no password stretching needed); the aggregate id
is derived from the hash, which makes a lookup one keyed read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregates import LedgerAggregate, topic
from domain.errors import InvalidRequest
from domain.ids import token_id

TOKEN_PREFIX = "olt_"  # noqa: S105 - a prefix that makes leaked tokens recognisable
ORGANIZATION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_organization(organization: str) -> str:
    if not ORGANIZATION_PATTERN.fullmatch(organization):
        raise InvalidRequest(
            "organization must be 1-63 letters, digits, '.', '_' or '-'", field="organization"
        )
    return organization


class ApiToken(LedgerAggregate):
    TOPIC = topic("ApiToken")

    class Created(LedgerAggregate.Created):
        TOPIC = topic("ApiToken.Created")

    class Issued(Created):
        TOPIC = topic("ApiToken.Issued")
        token_hash: str
        organization: str | None
        role: Role
        label: str

    @event(Issued)
    def __init__(self, token_hash: str, organization: str | None, role: Role, label: str) -> None:
        self.token_hash = token_hash
        self.organization = organization
        self.role = Role(role)
        self.label = label
        self.revoked = False

    @staticmethod
    def create_id(token_hash: str, organization: str | None, role: Role, label: str) -> UUID:
        return token_id(token_hash)

    @classmethod
    def issue(cls, organization: str | None, role: Role, label: str = "") -> tuple[str, ApiToken]:
        """Returns the secret (shown once, never stored) and the token aggregate."""
        if role is Role.USER:
            if organization is None:
                raise InvalidRequest("a user token needs an organization", field="organization")
            check_organization(organization)
        secret = new_secret()
        return secret, cls(token_hash=hash_secret(secret), organization=organization, role=role, label=label)

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_secret(secret)) and not self.revoked

    def revoke(self) -> None:
        if not self.revoked:
            self._revoked()

    class Revoked(LedgerAggregate.Event):
        TOPIC = topic("ApiToken.Revoked")

    @event(Revoked)
    def _revoked(self) -> None:
        self.revoked = True
