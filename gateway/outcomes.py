"""Waiting for what became of a single-charger command, and turning it into the HTTP answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.failures import FailureCode
from gateway.context import Context
from gateway.models.commands import QueuedCommandResponse
from projections.commands import get_command

# A failed command's code → HTTP status, for every FailureCode (a unit test checks it). The command itself
# was accepted and is in the ledger; these say why it could not be carried out: the CSMS failed (502/504),
# the bridge stopped (503), a bug (500), or the charger's state did not allow it (422: not connected, no
# fault to clear, no transaction, ...). Not 409: OCPPLAB's SDK retries a 409 (twice, with backoff), and
# asking again does not change the charger's state.
FAILURE_STATUS: dict[FailureCode, int] = {
    FailureCode.CSMS_ERROR: 502,
    FailureCode.CSMS_TIMEOUT: 504,
    FailureCode.INTERRUPTED: 503,
    FailureCode.INTERNAL_ERROR: 500,
    **{
        code: 422
        for code in (
            FailureCode.CHARGER_NOT_CONNECTED,
            FailureCode.CONNECTOR_NOT_FOUND,
            FailureCode.CONNECTOR_UNAVAILABLE,
            FailureCode.ALREADY_PLUGGED,
            FailureCode.NOT_PLUGGED,
            FailureCode.TRANSACTION_RUNNING,
            FailureCode.NO_TRANSACTION,
            FailureCode.NO_FAULT,
            FailureCode.METER_START_BELOW_REGISTER,
            FailureCode.ID_TAG_REJECTED,
            FailureCode.CONNECTOR_RESERVED,
            FailureCode.NOT_SUPPORTED,
            FailureCode.INVALID_MESSAGE,
        )
    },
}


def failure_status(code: str) -> int:
    """The HTTP status of a recorded failure code (422 for one this build does not know)."""
    try:
        return FAILURE_STATUS[FailureCode(code)]
    except ValueError:
        return 422


@dataclass(frozen=True)
class Outcome:
    command_id: str
    status: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None

    def response(self, command: QueuedCommandResponse, answer: type[BaseModel]) -> JSONResponse:
        if self.status == "completed":
            body = {**command.model_dump(mode="json"), **(self.result or {})}
            return JSONResponse(status_code=200, content=answer.model_validate(body).model_dump(mode="json"))
        error = self.error or {"code": "failed", "message": "the command failed"}
        return JSONResponse(
            status_code=failure_status(error.get("code", "")),
            content={
                "detail": error.get("message", "the command failed"),
                "code": error.get("code", "failed"),
                "command_id": self.command_id,
            },
        )


def wait_for_outcome(ctx: Context, tenant: str, command_id: str, timeout: float) -> Outcome | None:
    def finished() -> Outcome | None:
        with ctx.read.db.reader() as cur:
            row = get_command(cur, tenant, command_id)
        if row is None or row["status"] not in ("completed", "failed"):
            return None
        return Outcome(command_id, row["status"], row["result"], row["error"])

    return ctx.read.wait_until("commands", finished, timeout)
