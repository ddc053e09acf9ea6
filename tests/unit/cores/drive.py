"""Run a step of the charger core by hand: hand it the CSMS's answers in order, collect what it did."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from domain.failures import FailureCode
from ocpp_bridge.core.effects import Answered, Effect, Failed, Result, Step, Wait

T = TypeVar("T")

CALLERROR = Failed(FailureCode.CSMS_ERROR, "CSMS answered CALLERROR InternalError: boom")
TIMEOUT = Failed(FailureCode.CSMS_TIMEOUT, "no answer from the CSMS in 30s")
CUT = Failed(FailureCode.CHARGER_NOT_CONNECTED, "the connection closed during the call")


def ok(payload: object = None) -> Answered:
    return Answered(payload)


def drive(step: Step[T], answers: Iterable[Result]) -> tuple[list[Effect], T]:
    """Every effect the step yielded, and what it returned. A Wait is answered by time passing; every
    call takes the next of `answers` (the test fails if the step sends more calls than it was given)."""
    given = iter(answers)
    effects: list[Effect] = []
    result: Result = None
    while True:
        try:
            effect = step.send(result)
        except StopIteration as done:
            assert next(given, None) is None, "the step ended before it used every answer"
            return effects, done.value
        effects.append(effect)
        result = None if isinstance(effect, Wait) else next(given)
