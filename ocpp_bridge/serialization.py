"""A faster `serialize_as_dict` for the `ocpp` library, same output.

The library turns every payload dataclass into a dict with `dataclasses.asdict` (which deep-copies every
leaf) and then walks nested dataclasses a second time; for a MeterValues call that was a quarter of the
bridge's event loop with 5,000 chargers. Payloads are fresh, immutable-leaved values (strings, numbers,
enums, None) built for one message, so a plain recursive walk without copies gives the same dict.
`install()` puts it where the library looks it up (`ocpp.charge_point.serialize_as_dict`, resolved at
call time); tests/unit/test_serialization.py holds it equal to the library's on real payloads.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

import ocpp.charge_point

_library_serialize_as_dict = ocpp.charge_point.serialize_as_dict


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def serialize_as_dict(payload: Any) -> dict[str, Any]:
    """`ocpp.charge_point.serialize_as_dict`, without asdict's copies and second pass."""
    return _plain(payload)


def library_serialize_as_dict(payload: Any) -> dict[str, Any]:
    return _library_serialize_as_dict(payload)


def install() -> None:
    ocpp.charge_point.serialize_as_dict = serialize_as_dict
