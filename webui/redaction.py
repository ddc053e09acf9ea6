"""Secrets the lab never shows: API tokens (anywhere in a frame) and a charger's Basic-auth password,
which a CSMS sets over OCPP (1.6 ChangeConfiguration of AuthorizationKey, 2.0.1 SetVariables of
SecurityCtrlr.BasicAuthPassword). The ledger keeps the frame as it was; the page gets it masked."""

from __future__ import annotations

import json
from typing import Any

from domain.logs import redact

MASK = "***"
_SECRET_KEYS = ("AuthorizationKey", "BasicAuthPassword")


def _mask(value: Any) -> Any:
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if not isinstance(value, dict):
        return value
    masked = {k: _mask(v) for k, v in value.items()}
    if masked.get("key") in _SECRET_KEYS and "value" in masked:  # 1.6 ChangeConfiguration / GetConfiguration
        masked["value"] = MASK
    variable = masked.get("variable")
    if isinstance(variable, dict) and variable.get("name") in _SECRET_KEYS and "attributeValue" in masked:
        masked["attributeValue"] = MASK  # 2.0.1 SetVariables / GetVariables
    return masked


def masked_frame(raw: str) -> str:
    """The OCPP-J frame as the page may show it."""
    raw = redact(raw)
    if not any(key in raw for key in _SECRET_KEYS):
        return raw
    try:
        frame = json.loads(raw)
    except ValueError:  # not JSON, yet it names a secret: show none of it
        return "(frame not shown: it names a secret and is not valid JSON)"
    return json.dumps(_mask(frame), separators=(",", ":"))
