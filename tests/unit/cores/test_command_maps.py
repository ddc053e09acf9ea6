"""Every command the API accepts has a handler on both OCPP versions, found by its CommandType."""

from __future__ import annotations

import pytest

from domain.commands import CommandType
from ocpp_bridge.runtime.station import Station
from ocpp_bridge.v16 import V16Station
from ocpp_bridge.v201 import V201Station


@pytest.mark.parametrize("station", [V16Station, V201Station], ids=["1.6", "2.0.1"])
def test_every_command_type_has_a_handler(station: type[Station]) -> None:
    missing = set(CommandType) - set(station.commands)
    assert not missing, f"{station.__name__} has no handler for {sorted(missing)}"


@pytest.mark.parametrize("station", [V16Station, V201Station], ids=["1.6", "2.0.1"])
def test_handlers_are_this_versions_methods(station: type[Station]) -> None:
    for command_type, handler in station.commands.items():
        assert callable(handler), command_type
        assert getattr(station, handler.__name__) is handler, f"{command_type}: {handler.__qualname__}"
