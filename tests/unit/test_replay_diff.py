"""The diff's normalisation rules, one by one, on hand-made recording lines."""

from __future__ import annotations

import json
from typing import Any

from replays.diff import FRAME_TOPIC, OBSERVED_TOPIC, Normaliser, compare, exchanges

CP = "cp-1"


def observed(identity: str = "CP-1") -> dict[str, Any]:
    return {"type": OBSERVED_TOPIC, "aggregate_id": CP, "fields": {"identity": identity}}


def frame(direction: str, raw: list[Any]) -> dict[str, Any]:
    return {
        "type": FRAME_TOPIC,
        "aggregate_id": CP,
        "fields": {"direction": direction, "raw": json.dumps(raw)},
    }


def call(
    message_id: str, action: str, payload: dict[str, Any], answer: Any, csms: bool = False
) -> list[dict[str, Any]]:
    out, back = ("csms_to_cp", "cp_to_csms") if csms else ("cp_to_csms", "csms_to_cp")
    return [frame(out, [2, message_id, action, payload]), frame(back, [3, message_id, answer])]


def run(*lines: dict[str, Any], prefix: str = "", periodic: bool = False):
    return exchanges([observed(f"{prefix}CP-1"), *lines], prefix, periodic)


def test_message_ids_are_not_compared() -> None:
    a = run(*call("id-1", "Authorize", {"idTag": "T"}, {"idTagInfo": {"status": "Accepted"}}))
    b = run(*call("other-id", "Authorize", {"idTag": "T"}, {"idTagInfo": {"status": "Accepted"}}))
    assert compare(a, b) == []


def test_timestamps_are_normalised() -> None:
    a = run(
        *call(
            "1",
            "BootNotification",
            {},
            {"currentTime": "2026-01-01T00:00:00Z", "interval": 60, "status": "Accepted"},
        )
    )
    b = run(
        *call(
            "1",
            "BootNotification",
            {},
            {"currentTime": "2026-11-25T12:34:56.789Z", "interval": 60, "status": "Accepted"},
        )
    )
    assert compare(a, b) == []
    c = run(
        *call(
            "1",
            "BootNotification",
            {},
            {"currentTime": "2026-11-25T12:34:56Z", "interval": 300, "status": "Accepted"},
        )
    )
    [difference] = compare(a, c)
    assert (difference.what, difference.expected, difference.actual) == ("answer.result.interval", 60, 300)


def test_transaction_ids_are_compared_by_order_of_appearance() -> None:
    def session(first: int, second: int):
        return run(
            *call(
                "1",
                "StartTransaction",
                {"idTag": "T"},
                {"transactionId": first, "idTagInfo": {"status": "Accepted"}},
            ),
            *call(
                "2",
                "StartTransaction",
                {"idTag": "T"},
                {"transactionId": second, "idTagInfo": {"status": "Accepted"}},
            ),
        )

    assert compare(session(7, 8), session(1001, 1002)) == []
    # The same id twice where the recording had two different ones is a difference.
    assert [d.what for d in compare(session(7, 8), session(5, 5))] == ["answer.result.transactionId"]


def test_periodic_traffic_is_left_out_unless_asked_for() -> None:
    a = run(*call("1", "Heartbeat", {}, {"currentTime": "2026-01-01T00:00:00Z"}))
    b = run()
    assert compare(a, b) == []
    assert (
        compare(run(*call("1", "Heartbeat", {}, {"currentTime": "x"}), periodic=True), run(periodic=True))
        != []
    )


def test_periodic_meter_updates_of_a_201_transaction_are_periodic_too() -> None:
    def update(message_id: str, trigger: str) -> list[dict[str, Any]]:
        return call(message_id, "TransactionEvent", {"eventType": "Updated", "triggerReason": trigger}, {})

    authorized = call(
        "9",
        "TransactionEvent",
        {"eventType": "Updated", "triggerReason": "Authorized"},
        {"idTokenInfo": {"status": "Accepted"}},
    )
    three_samples = run(*update("1", "MeterValuePeriodic"), *update("2", "MeterValuePeriodic"), *authorized)
    one_sample = run(*update("1", "MeterValuePeriodic"), *authorized)
    assert compare(three_samples, one_sample) == []
    assert compare(run(*update("1", "ChargingStateChanged")), run()) != []  # not periodic: compared


def test_our_requests_are_not_compared_but_csms_calls_are() -> None:
    a = run(*call("1", "StopTransaction", {"meterStop": 500}, {"idTagInfo": {"status": "Accepted"}}))
    b = run(*call("1", "StopTransaction", {"meterStop": 17}, {"idTagInfo": {"status": "Accepted"}}))
    assert compare(a, b) == []
    x = run(*call("9", "RemoteStartTransaction", {"idTag": "A"}, {"status": "Accepted"}, csms=True))
    y = run(*call("9", "RemoteStartTransaction", {"idTag": "B"}, {"status": "Accepted"}, csms=True))
    [difference] = compare(x, y)
    assert (difference.action, difference.what) == ("← RemoteStartTransaction", "request.idTag")


def test_a_replay_prefix_is_stripped_from_identities() -> None:
    a = run(*call("1", "Authorize", {"idTag": "T"}, {"idTagInfo": {"status": "Accepted"}}))
    b = run(*call("1", "Authorize", {"idTag": "T"}, {"idTagInfo": {"status": "Accepted"}}), prefix="R1-")
    assert list(a.exchanges) == list(b.exchanges) == ["CP-1"]
    assert compare(a, b) == []


def test_a_callerror_instead_of_a_result_is_a_difference() -> None:
    a = run(*call("1", "Authorize", {"idTag": "T"}, {"idTagInfo": {"status": "Accepted"}}))
    b = exchanges(
        [
            observed(),
            frame("cp_to_csms", [2, "1", "Authorize", {"idTag": "T"}]),
            frame("csms_to_cp", [4, "1", "InternalError", "boom", {}]),
        ]
    )
    [difference] = compare(a, b)
    assert difference.what == "answer"
    assert difference.actual == {"error": "InternalError", "description": "boom"}


def test_normaliser_drops_custom_data() -> None:
    assert Normaliser()({"status": "Accepted", "customData": {"vendorId": "x"}}) == {"status": "Accepted"}
