"""Transaction messages (1.6 StartTransaction, StopTransaction and MeterValues of a transaction; 2.0.1
TransactionEvent) reach the CSMS in order, each retried until it is accepted.

OCPP 1.6 (§4.8 and errata) and 2.0.1 (E13): a transaction message the CSMS fails to process (a CALLERROR,
no answer in time) is sent again, up to TransactionMessageAttempts times (2.0.1: OCPPCommCtrlr.
MessageAttempts), waiting TransactionMessageRetryInterval times the attempts so far between tries; one that
still fails is dropped. While the charger is offline, or while an earlier message waits for its retry,
new ones queue behind it, so that the CSMS gets a transaction's messages in order. The queue is the
ChargePoint's `outbox`, kept by its events: it survives a bridge restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.chargepoint import ChargePoint
from ocpp_bridge.core.effects import Answered, Failed, SendCall, Step, Wait


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # how many tries in all, at least 1
    interval_s: float

    def wait_after(self, attempt: int) -> float:
        """Seconds of simulated time before the try that follows the `attempt`-th failed one."""
        return self.interval_s * attempt


def send_with_retries(payload: Any, policy: RetryPolicy) -> Step[Answered | Failed]:
    """Send until answered, retrying a CALLERROR or a timeout after the interval; a dropped connection
    ends it at once. Returns the answer or the last failure. For a message whose answer the step needs
    before it can go on (1.6 StartTransaction: the transaction id)."""
    attempt = 0
    while True:
        result = yield SendCall(payload)
        assert result is not None
        if isinstance(result, Answered) or result.disconnected:
            return result
        attempt += 1
        if attempt >= policy.attempts:
            return result
        yield Wait(policy.wait_after(attempt))


def queue(cp: ChargePoint, payload: Any, connector_id: int) -> None:
    """Put the message at the end of the queue, to be delivered by `deliver_queued`."""
    cp.transaction_message_queued(connector_id, type(payload).__name__, fields(payload))


def send_or_queue(
    cp: ChargePoint, payload: Any, policy: RetryPolicy, connector_id: int, *, online: bool
) -> Step[Answered | Failed | None]:
    """A new transaction message. Offline or behind queued ones it joins the queue (result None).
    Otherwise it is sent once; if that fails it joins the queue as well (its retries follow, in order),
    and the failure is handed back: the step goes on, its state already changed and the message owed."""
    if not online or cp.outbox:
        queue(cp, payload, connector_id)
        return None
    result = yield SendCall(payload)
    assert result is not None
    if isinstance(result, Failed):
        queue(cp, payload, connector_id)
        if not result.disconnected:
            number = cp.outbox[-1].number
            cp.transaction_message_failed(number, 1, result.code.value, result.message)
            if policy.attempts <= 1:
                cp.transaction_message_dropped(number, f"1 attempt failed: {result.message}")
    return result


def deliver_queued(cp: ChargePoint, policy: RetryPolicy, calls: Any) -> Step[Failed | None]:
    """Deliver the queue, oldest first, each message retried per the policy; one whose attempts run out
    is dropped (on record). Stops at a dropped connection and returns it: the rest waits for the next.
    `calls` is the version's call module (ocpp.v16.call / ocpp.v201.call), to rebuild the payloads."""
    while cp.outbox:
        head = cp.outbox[0]
        payload = getattr(calls, head.action)(**head.payload)
        attempt = head.attempts
        while True:
            if attempt:
                yield Wait(policy.wait_after(attempt))
            result = yield SendCall(payload)
            assert result is not None
            if isinstance(result, Answered):
                cp.transaction_message_delivered(head.number, attempt + 1)
                break
            if result.disconnected:
                return result
            attempt += 1
            cp.transaction_message_failed(head.number, attempt, result.code.value, result.message)
            if attempt >= policy.attempts:
                cp.transaction_message_dropped(head.number, f"{attempt} attempts failed: {result.message}")
                break
    return None


def fields(payload: Any) -> dict[str, Any]:
    """The call's fields as recorded (the ocpp library's payloads are flat dataclasses of JSON values)."""
    return {k: v for k, v in vars(payload).items() if v is not None}
