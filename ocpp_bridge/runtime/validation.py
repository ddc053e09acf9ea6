"""OCPP schema validation for the simulated charge points, compiled once and cached.

The `ocpp` library validates every message with jsonschema's interpreter (0.25-0.55 ms per MeterValues
here, most of a core near 1,000 messages/s). The bridge compiles the same JSON schemas — the files
shipped in the `ocpp` package — with fastjsonschema, once per action, and validates at its connection
seam: what it sends, and what the CSMS sends it. The library is then told to skip its own validation
(`call(..., skip_schema_validation=True)` and the route map's per-action flag), so nothing is checked
twice and nothing goes unchecked.

`multipleOf` is left out of the compiled 1.6 charging-profile schemas: with binary floats, 21.4 is not a
multiple of 0.1 (the library parses those payloads as Decimal for the same reason).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp

SCHEMAS = Path(ocpp.__file__).parent


class SchemaViolation(Exception):
    """A payload that breaks its OCPP schema; `code` is the OCPP-J CALLERROR code for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _strip_multiple_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_multiple_of(v) for k, v in node.items() if k != "multipleOf"}
    if isinstance(node, list):
        return [_strip_multiple_of(v) for v in node]
    return node


@lru_cache(maxsize=512)
def _validator(version: str, action: str, response: bool) -> Any:
    if version == "1.6":
        path = SCHEMAS / "v16" / "schemas" / f"{action}{'Response' if response else ''}.json"
    else:
        path = SCHEMAS / "v201" / "schemas" / f"{action}{'Response' if response else 'Request'}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return None
    return fastjsonschema.compile(_strip_multiple_of(schema))


# What each broken rule is called in OCPP-J (1.6 spells two of them differently).
_CODES = {
    "type": ("TypeConstraintViolation", "TypeConstraintViolation"),
    "required": ("OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
    "additionalProperties": ("FormationViolation", "FormatViolation"),
}


def violation_code(version: str, rule: str | None) -> str:
    codes = _CODES.get(rule or "", ("PropertyConstraintViolation", "PropertyConstraintViolation"))
    return codes[0] if version == "1.6" else codes[1]


def check(version: str, action: str, payload: Any, *, response: bool) -> None:
    """Raise SchemaViolation if `payload` is not a valid request (or response) of `action`."""
    validate = _validator(version, action, response)
    if validate is None:
        raise SchemaViolation("NotImplemented", f"{action} is not an OCPP {version} action")
    try:
        validate(payload)
    except fastjsonschema.JsonSchemaValueException as error:
        raise SchemaViolation(violation_code(version, error.rule), f"{action}: {error.message}") from None


def known(version: str, action: str) -> bool:
    return _validator(version, action, False) is not None
