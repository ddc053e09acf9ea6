"""What a charger's rules ask their shell to do, and what the shell hands back.

A multi-message behaviour is a *step*: a generator that yields effects and receives, for each, its
result. The shell (ocpp_bridge.runtime) performs them: it sends the call and sends back the CSMS's
answer (or why there is none), sleeps for a Wait, transfers a file for a Download or an Upload
(ocpp_bridge.runtime.transfers). Recording is the aggregate's: a step changes the charger's state through
the ChargePoint's event methods, and the shell saves those events before it performs the next effect, so
the state a frame reports is on record before the frame leaves. A step never awaits: fed answers by hand
(tests/unit/cores/drive.py), it runs to the end without a socket.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.failures import FailureCode


@dataclass(frozen=True)
class SendCall:
    """Send this CALL (an `ocpp.v16.call` / `ocpp.v201.call` payload) and hand back its result."""

    payload: Any
    require_online: bool = True  # False for what goes before the boot is accepted (BootNotification)


@dataclass(frozen=True)
class Wait:
    """Let `seconds` of simulated time pass (a retry interval, a boot interval)."""

    seconds: float


@dataclass(frozen=True)
class Download:
    """GET this http(s) URL (a firmware image); hands back Answered(the body, bytes) or Failed (the
    server's error status, no answer in time, no connection)."""

    url: str


@dataclass(frozen=True)
class Upload:
    """Send this file to an http(s) URL (a diagnostics or log upload, ocpp_bridge.transfers says how);
    hands back Answered(None) or Failed."""

    url: str
    file_name: str
    body: bytes


Effect = SendCall | Wait | Download | Upload


@dataclass(frozen=True)
class Answered:
    """The CSMS's CALLRESULT, as the ocpp library's `call_result` payload."""

    payload: Any


@dataclass(frozen=True)
class Failed:
    """No answer: a CALLERROR (csms_error), none in time (csms_timeout), the message breaks its schema
    (invalid_message) or the connection is down or closed during the call (charger_not_connected)."""

    code: FailureCode
    message: str

    @property
    def disconnected(self) -> bool:
        return self.code is FailureCode.CHARGER_NOT_CONNECTED


Result = Answered | Failed | None  # None: what a Wait hands back

T = TypeVar("T")
Step = Generator[Effect, Result, T]
