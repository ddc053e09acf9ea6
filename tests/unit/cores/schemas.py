"""Check a payload built by a core against the JSON schema the `ocpp` library ships for it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ocpp.charge_point import snake_to_camel_case
from ocpp.messages import MessageType, get_validator

from domain.protocol import OcppVersion


def assert_conforms(
    action: str, payload: dict[str, Any], version: OcppVersion, *, response: bool = False
) -> None:
    """`payload` (snake_case, as handed to the library) is a valid `action` request or response."""
    wire = "1.6" if version is OcppVersion.V16 else "2.0.1"
    kind = MessageType.CallResult if response else MessageType.Call
    validator = get_validator(kind, action, wire, parse_float=Decimal)
    document = json.loads(json.dumps(snake_to_camel_case(payload)), parse_float=Decimal)
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, f"{action}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)
