"""How ids and pydantic values are encoded in stored events (the eventsourcing library's transcoder)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import Transcoding, UUIDAsHex
from pydantic import BaseModel


def uuid_from_hex(value: str) -> UUID:
    """A UUID from 32 hex digits the ledger wrote itself, without UUID.__init__'s parsing and checks
    (a third of decoding a command event; a rebuild decodes millions)."""
    uuid = object.__new__(UUID)
    object.__setattr__(uuid, "int", int(value, 16))
    object.__setattr__(uuid, "is_safe", SafeUUID.unknown)
    return uuid


class PydanticTranscoding(Transcoding):
    """A pydantic model inside an event, stored as {"_type_": name, "_data_": its JSON}."""

    def __init__(self, name: str, model: type[BaseModel]) -> None:
        self.name = name
        self.type = model

    def encode(self, obj: BaseModel) -> Any:
        return obj.model_dump(mode="json", by_alias=True)

    def decode(self, data: Any) -> BaseModel:
        return self.type.model_validate(data)


class FastUUIDAsHex(UUIDAsHex):
    """The library's UUID transcoding, decoding without re-parsing: the hex was written by us, so the
    checks of UUID.__init__ (a third of decoding a command event) are not needed."""

    def decode(self, data: str) -> UUID:
        return uuid_from_hex(data)
