"""Transaction messages reach the CSMS in order and are retried when a try fails (OCPP 1.6
TransactionMessageAttempts / RetryInterval, 2.0.1 E13 and OCPPCommCtrlr.MessageAttempts); the queue is
the ChargePoint's events, so it survives a restart."""

from __future__ import annotations

from ocpp.v16 import call

from ocpp_bridge.core.effects import Answered, Failed, SendCall, Wait
from ocpp_bridge.core.transaction_messages import (
    RetryPolicy,
    deliver_queued,
    send_or_queue,
    send_with_retries,
)
from tests.unit.cores.charger import charge_point
from tests.unit.cores.drive import CALLERROR, CUT, TIMEOUT, drive, ok

POLICY = RetryPolicy(attempts=3, interval_s=10.0)


def stop(transaction_id: int) -> call.StopTransaction:
    return call.StopTransaction(
        meter_stop=500, timestamp="2026-01-01T01:00:00Z", transaction_id=transaction_id
    )


def test_a_message_answered_at_once_is_not_queued() -> None:
    cp = charge_point()
    effects, result = drive(send_or_queue(cp, stop(1), POLICY, 1, online=True), [ok("answer")])
    assert effects == [SendCall(stop(1))]
    assert result == Answered("answer")
    assert cp.outbox == ()
    assert [type(e).__name__ for e in cp.collect_events()] == ["Observed"]  # nothing but its creation


def test_offline_a_message_is_queued_without_a_try() -> None:
    cp = charge_point()
    effects, result = drive(send_or_queue(cp, stop(1), POLICY, 1, online=False), [])
    assert (effects, result) == ([], None)
    [queued] = cp.outbox
    assert (queued.action, queued.attempts, queued.payload["transaction_id"]) == ("StopTransaction", 0, 1)


def test_behind_a_queued_message_a_new_one_waits_its_turn() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), POLICY, 1, online=False), [])
    effects, result = drive(send_or_queue(cp, stop(2), POLICY, 2, online=True), [])
    assert (effects, result) == ([], None)
    assert [m.payload["transaction_id"] for m in cp.outbox] == [1, 2]


def test_a_try_that_fails_queues_the_message_counts_the_attempt_and_hands_the_failure_back() -> None:
    cp = charge_point()
    _, result = drive(send_or_queue(cp, stop(1), POLICY, 1, online=True), [CALLERROR])
    assert result == CALLERROR
    [queued] = cp.outbox
    assert queued.attempts == 1


def test_a_try_cut_off_by_the_line_is_queued_but_is_not_a_failed_attempt() -> None:
    cp = charge_point()
    _, result = drive(send_or_queue(cp, stop(1), POLICY, 1, online=True), [CUT])
    assert result == CUT
    assert [m.attempts for m in cp.outbox] == [0]


def test_with_a_single_attempt_allowed_a_failed_message_is_dropped_on_record() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), RetryPolicy(attempts=1, interval_s=10.0), 1, online=True), [TIMEOUT])
    assert cp.outbox == ()
    assert type(cp.collect_events()[-1]).__name__ == "TransactionMessageDropped"


def test_the_queue_is_delivered_oldest_first_each_retried_after_interval_times_attempts() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), POLICY, 1, online=True), [TIMEOUT])  # attempt 1 failed
    drive(send_or_queue(cp, stop(2), POLICY, 2, online=True), [])  # queued behind it
    effects, result = drive(deliver_queued(cp, POLICY, call), [CALLERROR, ok(), ok()])
    assert effects == [
        Wait(10.0),  # after attempt 1
        SendCall(stop(1)),  # attempt 2: CALLERROR
        Wait(20.0),
        SendCall(stop(1)),  # attempt 3: delivered
        SendCall(stop(2)),  # then the next, at once
    ]
    assert result is None
    assert cp.outbox == ()


def test_a_message_whose_attempts_run_out_is_dropped_and_the_next_one_goes() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), POLICY, 1, online=False), [])
    drive(send_or_queue(cp, stop(2), POLICY, 2, online=False), [])
    effects, _ = drive(deliver_queued(cp, POLICY, call), [CALLERROR, TIMEOUT, CALLERROR, ok()])
    sent = [e.payload.transaction_id for e in effects if isinstance(e, SendCall)]
    assert sent == [1, 1, 1, 2]
    names = [type(e).__name__ for e in cp.collect_events()]
    assert names.count("TransactionMessageFailed") == 3
    assert names.count("TransactionMessageDropped") == 1
    assert names[-1] == "TransactionMessageDelivered"


def test_a_dropped_line_stops_the_delivery_and_the_message_stays_first() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), POLICY, 1, online=False), [])
    drive(send_or_queue(cp, stop(2), POLICY, 2, online=False), [])
    _, result = drive(deliver_queued(cp, POLICY, call), [CUT])
    assert isinstance(result, Failed)
    assert result.disconnected
    assert [m.payload["transaction_id"] for m in cp.outbox] == [1, 2]


def test_the_queue_survives_a_restart_it_is_rebuilt_from_the_events() -> None:
    cp = charge_point()
    drive(send_or_queue(cp, stop(1), POLICY, 1, online=True), [TIMEOUT])
    drive(send_or_queue(cp, stop(2), POLICY, 2, online=False), [])
    rebuilt = None
    for event in cp.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.outbox == cp.outbox
    effects, _ = drive(deliver_queued(rebuilt, POLICY, call), [ok(), ok()])
    assert effects == [Wait(10.0), SendCall(stop(1)), SendCall(stop(2))]


def test_a_message_the_step_needs_answered_is_retried_in_place() -> None:
    start = call.StartTransaction(
        connector_id=1, id_tag="TAG", meter_start=0, timestamp="2026-01-01T00:00:00Z"
    )
    effects, result = drive(send_with_retries(start, POLICY), [TIMEOUT, ok("id 7")])
    assert effects == [SendCall(start), Wait(10.0), SendCall(start)]
    assert result == Answered("id 7")
    effects, result = drive(send_with_retries(start, POLICY), [CALLERROR, CALLERROR, TIMEOUT])
    assert len([e for e in effects if isinstance(e, SendCall)]) == 3
    assert result == TIMEOUT
    _, result = drive(send_with_retries(start, POLICY), [CUT])
    assert result == CUT
