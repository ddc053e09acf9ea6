"""Who is asking, and for which tenant: bearer tokens, roles, X-Organization-Id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.tokens import ORGANIZATION_PATTERN, Role
from gateway.context import Context
from gateway.errors import Forbidden, RateLimited, Unauthorized
from projections.tokens import organization_exists

bearer = HTTPBearer(auto_error=False, description="an ocpp-ledger API token")


def get_context(request: Request) -> Context:
    return request.app.state.context


Ctx = Annotated[Context, Depends(get_context)]


@dataclass(frozen=True)
class Principal:
    token_id: str
    organization: str | None
    role: Role

    @property
    def name(self) -> str:
        """How the ledger records who asked."""
        return f"token:{self.token_id}"


def get_principal(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    token = ctx.tokens.find(credentials.credentials)
    if token is None:
        raise Unauthorized("invalid or revoked token")
    wait = ctx.limiter.take(str(token.id))
    if wait is not None:
        raise RateLimited(
            f"more than {ctx.limiter.per_second:g} requests per second with this token; retry shortly", wait
        )
    return Principal(token_id=str(token.id), organization=token.organization, role=token.role)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_tenant(
    ctx: Ctx,
    principal: CurrentPrincipal,
    x_organization_id: Annotated[
        str | None,
        Header(description="admin tokens only: the tenant to act in"),
    ] = None,
) -> str:
    if principal.role is Role.ADMIN:
        if not x_organization_id:
            raise Forbidden("admin tokens must choose a tenant with X-Organization-Id")
        if not ORGANIZATION_PATTERN.fullmatch(x_organization_id):
            raise Forbidden("X-Organization-Id is not a valid organization id")
        # A typo must not read as an empty tenant: the organization must have been given a token.
        ctx.read.barrier(["tokens"], ctx.settings.read_barrier_seconds)
        with ctx.read.db.reader() as cur:
            if not organization_exists(cur, x_organization_id):
                raise Forbidden(f"X-Organization-Id {x_organization_id!r} names no organization")
        return x_organization_id
    if x_organization_id is not None:
        raise Forbidden("X-Organization-Id is only for admin tokens")
    assert principal.organization is not None
    return principal.organization


Tenant = Annotated[str, Depends(get_tenant)]
