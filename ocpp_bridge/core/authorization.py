"""Authorizing an id tag, the same on both versions: the local list and the authorization cache decide
offline (LocalAuthorizeOffline) and, for a tag they accept, before asking (LocalPreAuthorize); otherwise
the CSMS's Authorize answer does. Each decision is recorded (ChargePoint.Authorized, with its source); a
CSMS answer goes into the cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.chargepoint import ChargePoint
from domain.failures import FailureCode
from ocpp_bridge.core.effects import Failed, SendCall, Step
from ocpp_bridge.core.errors import CommandError


@dataclass(frozen=True)
class AuthorizationSettings:
    """The configuration keys that decide where an answer comes from."""

    local_list_enabled: bool  # LocalAuthListEnabled
    cache_enabled: bool  # AuthorizationCacheEnabled
    offline: bool  # LocalAuthorizeOffline
    pre_authorize: bool  # LocalPreAuthorize
    offline_unknown: bool = False  # AllowOfflineTxForUnknownId (2.0.1 OfflineTxForUnknownIdEnabled)


def known_status(cp: ChargePoint, id_tag: str, settings: AuthorizationSettings) -> str | None:
    """The status the charger knows for a tag without asking: the local list first, then the cache."""
    if settings.local_list_enabled and id_tag in cp.local_list:
        return cp.local_list[id_tag].status
    if settings.cache_enabled and id_tag in cp.auth_cache:
        return cp.auth_cache[id_tag]
    return None


def authorize(
    cp: ChargePoint,
    id_tag: str,
    settings: AuthorizationSettings,
    *,
    online: bool,
    request: Any,
    status_of: Callable[[Any], str],
    command_id: UUID | None,
) -> Step[str]:
    """The tag's status. `request` is this version's Authorize call, `status_of` reads the answer's."""
    if not online:
        known = known_status(cp, id_tag, settings) if settings.offline else None
        if known is None and settings.offline_unknown:
            known = "Accepted"  # an unknown tag may charge offline
        if known is None:
            raise CommandError(
                FailureCode.CHARGER_NOT_CONNECTED,
                "offline, and the tag is in neither the local list nor the cache",
            )
        cp.authorized(id_tag, known, "local", command_id)
        return known
    if settings.pre_authorize and known_status(cp, id_tag, settings) == "Accepted":
        cp.authorized(id_tag, "Accepted", "local", command_id)
        return "Accepted"
    result = yield SendCall(request)
    if isinstance(result, Failed):
        raise CommandError(result.code, result.message)
    assert result is not None
    status = status_of(result.payload)
    cp.authorized(id_tag, status, "csms", command_id)
    return status
