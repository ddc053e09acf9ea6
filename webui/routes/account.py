"""Who the page is signed in as, and (for admins) the organizations to choose from."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.auth import CurrentPrincipal
from gateway.deps import ReadCursor
from gateway.errors import Forbidden
from gateway.models.common import ERRORS
from projections.analytics import tenants
from webui.models import Me, Organizations

router = APIRouter(prefix="/lab/api", tags=["lab"], responses=ERRORS)


@router.get("/me")
def me(principal: CurrentPrincipal) -> Me:
    """The token's role and organization (never the token)."""
    return Me(role=principal.role.value, organization=principal.organization)


@router.get("/organizations")
def organizations(principal: CurrentPrincipal, cur: ReadCursor) -> Organizations:
    """Admin tokens: the organizations that have chargers, to act in one with X-Organization-Id."""
    if principal.organization is not None:
        raise Forbidden("only admin tokens choose an organization")
    return Organizations(data=tenants(cur))
