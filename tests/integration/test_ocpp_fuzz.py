"""What a CSMS sends that is not proper OCPP is answered per OCPP-J, recorded, and never stops the charger."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from domain.chargepoint import ChargePoint
from domain.commands import Authorize, ProxyMessage
from domain.protocol import OcppVersion
from gateway.context import Context
from tests.lab import Lab, running_lab

VERSIONS = [OcppVersion.V16, OcppVersion.V201]


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def send_raw(lab: Lab, identity: str, raw: str) -> None:
    await lab.csms.connections[identity].send(raw)


def answers(lab: Lab, identity: str, message_id: str) -> list[list[object]]:
    found = []
    for frame in lab.csms.frames:
        if frame.identity == identity and frame.direction == "cp_to_csms":
            parsed = json.loads(frame.raw)
            if parsed[0] in (3, 4) and parsed[1] == message_id:
                found.append(parsed)
    return found


async def answer_to(lab: Lab, identity: str, raw: str, message_id: str) -> list[object]:
    await send_raw(lab, identity, raw)
    await lab.csms.wait_for(lambda: answers(lab, identity, message_id), timeout=10)
    [answer] = answers(lab, identity, message_id)
    return answer


CASES = {
    # name: (frame, message id of the answer, code on 1.6, code on 2.0.1)
    "not json": ("garbage{", "-1", "FormationViolation", "FormatViolation"),
    "not an array": ('{"hello": 1}', "-1", "FormationViolation", "FormatViolation"),
    "unknown message type": ('[7, "m-7", "X", {}]', "m-7", "FormationViolation", "MessageTypeNotSupported"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_malformed_frame_is_answered_with_a_callerror_and_the_charger_carries_on(
    lab: Lab, version: OcppVersion, case: str
) -> None:
    frame, message_id, code_16, code_201 = CASES[case]
    charger = await lab.register("FUZZ-1", version)
    await lab.booted("FUZZ-1")
    answer = await answer_to(lab, "FUZZ-1", frame, message_id)
    assert answer[0] == 4
    assert answer[2] == (code_16 if version is OcppVersion.V16 else code_201)
    # Recorded as received, and the charger still works.
    assert frame in [e.raw for e in lab.events(ChargePoint.FrameRecorded) if e.direction == "csms_to_cp"]
    assert (await lab.run(charger, Authorize(id_tag="STILL-OK")))["status"] == "completed"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_raw_nul_in_a_frame_is_refused_and_logged_escaped(lab: Lab, version: OcppVersion) -> None:
    # JSON cannot carry a raw NUL, and PostgreSQL text cannot hold one: the ledger keeps the frame as it
    # came; the message log shows it escaped instead of stopping on it for good.
    await lab.register("FUZZ-NUL", version)
    await lab.booted("FUZZ-NUL")
    frame = '[2, "m-nul", "Heartbeat\x00", {}]'
    answer = await answer_to(lab, "FUZZ-NUL", frame, "-1")
    assert answer[0] == 4
    assert frame in [e.raw for e in lab.events(ChargePoint.FrameRecorded) if e.direction == "csms_to_cp"]
    # Valid JSON this time: the NUL arrives escaped and is one once parsed, in the message id.
    await answer_to(lab, "FUZZ-NUL", '[2, "m\\u0000x", "Heartbeat", {}]', "m\x00x")
    await asyncio.to_thread(lab.ctx.read.catch_up)
    with lab.ctx.read.db.reader() as cur:
        rows = cur.execute("SELECT message, message_id FROM ocpp_frames").fetchall()
    assert frame.replace("\x00", "\\u0000") in [r["message"] for r in rows]
    assert "m\\u0000x" in [r["message_id"] for r in rows]


@pytest.mark.parametrize(
    ("version", "frame", "code"),
    [
        (OcppVersion.V16, [2, "t-1", "RemoteStartTransaction", {"idTag": 5}], "TypeConstraintViolation"),
        (OcppVersion.V16, [2, "t-2", "RemoteStopTransaction", {}], "OccurenceConstraintViolation"),
        (OcppVersion.V16, [2, "t-3", "Reset", {"type": "Soft", "extra": 1}], "FormationViolation"),
        (
            OcppVersion.V16,
            [2, "t-4", "ChangeConfiguration", {"key": "K" * 51, "value": "1"}],
            "PropertyConstraintViolation",
        ),
        (OcppVersion.V201, [2, "t-5", "RequestStopTransaction", {}], "OccurrenceConstraintViolation"),
        (OcppVersion.V201, [2, "t-6", "Reset", {"type": "Sometime"}], "PropertyConstraintViolation"),
        (OcppVersion.V201, [2, "t-7", "ClearCache", {"x": 1}], "FormatViolation"),
    ],
)
async def test_a_call_that_breaks_its_schema_gets_the_error_code_of_the_broken_rule(
    lab: Lab, version: OcppVersion, frame: list[object], code: str
) -> None:
    await lab.register("FUZZ-2", version)
    await lab.booted("FUZZ-2")
    answer = await answer_to(lab, "FUZZ-2", json.dumps(frame), str(frame[1]))
    assert answer[:3] == [4, frame[1], code]


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_unknown_action_is_not_implemented_and_a_known_unsupported_one_not_supported(
    lab: Lab, version: OcppVersion
) -> None:
    # OCPP-J: NotImplemented "Requested Action is not known by receiver", NotSupported "Requested Action
    # is recognized but not supported by the receiver" (a Heartbeat is the charger's to send, not answer).
    charger = await lab.register("FUZZ-3", version)
    await lab.booted("FUZZ-3")
    unknown = await answer_to(lab, "FUZZ-3", json.dumps([2, "u-1", "MakeCoffee", {}]), "u-1")
    assert unknown[:3] == [4, "u-1", "NotImplemented"]
    known = await answer_to(lab, "FUZZ-3", json.dumps([2, "u-2", "Heartbeat", {}]), "u-2")
    assert known[:3] == [4, "u-2", "NotSupported"]
    assert "Heartbeat" in str(known[4])
    # A known action with a broken payload is still a schema error first.
    broken = await answer_to(lab, "FUZZ-3", json.dumps([2, "u-3", "Heartbeat", {"x": 1}]), "u-3")
    assert broken[:3] == [4, "u-3", "FormationViolation" if version is OcppVersion.V16 else "FormatViolation"]
    assert (await lab.run(charger, Authorize(id_tag="STILL-OK")))["status"] == "completed"
    # The test CSMS answers the same way (a Reset is the CSMS's to send, not to answer).
    codes = []
    reset = {"type": "Hard" if version is OcppVersion.V16 else "Immediate"}
    for action, payload in (("MakeCoffee", {}), ("Reset", reset)):
        outcome = await lab.run(charger, ProxyMessage(action=action, payload=payload, validate_payload=False))
        codes.append(outcome["result"]["response"].get("error_code"))
    assert codes == ["NotImplemented", "NotSupported"]


async def test_an_oversized_message_closes_the_connection_and_the_charger_comes_back(lab: Lab) -> None:
    await lab.register("FUZZ-4")
    await lab.booted("FUZZ-4")
    connects = lab.csms.connects["FUZZ-4"]
    await send_raw(
        lab, "FUZZ-4", json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "x" * (5 * 2**20)}])
    )
    await lab.csms.wait_for(lambda: lab.csms.connects["FUZZ-4"] > connects, timeout=15)
    await lab.csms.wait_for(lambda: len(lab.csms.messages("FUZZ-4", "BootNotification")) >= 2, timeout=15)
    disconnected = lab.events(ChargePoint.Disconnected)
    assert any("1009" in e.reason for e in disconnected), [e.reason for e in disconnected]
