"""The answer to a CSMS call that has no handler, as OCPP-J says (part 4, CALLERROR codes, the same in 1.6
and 2.0.1): `NotSupported` for an action of the charger's OCPP version that it does not support (e.g. 1.6
GetDiagnostics), `NotImplemented` for an action it does not know at all. The `ocpp` library (2.1) answers
the other way round; its client looks handlers up in `route_map`, so a route map that answers a missing
action itself is all it takes.
"""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.exceptions import NotSupportedError
from ocpp.v16.enums import Action as V16Action
from ocpp.v201.enums import Action as V201Action

from domain.protocol import OcppVersion

ACTIONS: dict[OcppVersion, frozenset[str]] = {
    OcppVersion.V16: frozenset(a.value for a in V16Action),
    OcppVersion.V201: frozenset(a.value for a in V201Action),
}

# Why a charger does not support an action, where a real one would say more than that it does not.
REASONS: dict[str, str] = {
    "PublishFirmware": "this charging station is not a local controller: it publishes no firmware",
    "UnpublishFirmware": "this charging station is not a local controller: it publishes no firmware",
}


class Routes(dict[str, dict[str, Any]]):
    """A client's route map whose missing actions raise the CALLERROR the library then sends."""

    def __init__(self, routes: dict[str, dict[str, Any]], version: OcppVersion) -> None:
        super().__init__(routes)
        self.version = version

    def __missing__(self, action: str) -> dict[str, Any]:
        if action in ACTIONS[self.version]:
            raise NotSupportedError(
                description="Requested Action is recognized but not supported by the receiver",
                details={"cause": REASONS.get(action, f"this charger does not support {action}")},
            )
        raise OcppNotImplemented(
            description="Requested Action is not known by receiver",
            details={"cause": f"{action} is not an OCPP {self.version.value} action"},
        )


def answer_unsupported_actions(client: Any, version: OcppVersion) -> None:
    """Give an `ocpp` client (made by the station) the OCPP-J answers to calls it has no handler for."""
    client.route_map = Routes(client.route_map, version)
