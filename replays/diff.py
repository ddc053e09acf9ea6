"""Compare what a CSMS answered in two recordings: a regression test for a CSMS.

From each recording we take, per charger (identities compared without a replay prefix), the exchanges in
order: each call the charger made with the CSMS's answer, and each call the CSMS made. What is compared is
the CSMS's side only — its answers to our calls, and the calls it made — since our own requests (meter
readings, say) are the simulation's, not the CSMS's behaviour. Volatile fields
are normalised before comparing: message ids are not compared, timestamps become "<time>", transaction
ids become "<tx1>", "<tx2>", … in order of appearance (so references between messages still match), and
periodic traffic (Heartbeat, MeterValues, and 2.0.1's TransactionEvent triggered by MeterValuePeriodic) is
left out unless asked for, since its count depends on timing.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

FRAME_TOPIC = "ocpp_ledger:ChargePoint.FrameRecorded"
OBSERVED_TOPIC = "ocpp_ledger:ChargePoint.Observed"
PERIODIC = frozenset({"Heartbeat", "MeterValues"})
TIME_KEYS = frozenset(
    {"currentTime", "timestamp", "expiryDate", "generatedAt", "scheduleStart", "validFrom", "validTo"}
)
TX_KEYS = frozenset({"transactionId"})
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Exchange:
    """One call and its answer, normalised: ('→' our call | '←' a CSMS call, action, request, answer)."""

    direction: str
    action: str
    request: Any
    answer: Any

    def label(self) -> str:
        return f"{self.direction} {self.action}"


@dataclass
class Run:
    exchanges: dict[str, list[Exchange]] = field(default_factory=dict)


class Normaliser:
    def __init__(self) -> None:
        self.transactions: dict[str, str] = {}

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items() if k != "customData"}
        if isinstance(value, list):
            return [self(v) for v in value]
        if key in TX_KEYS and value is not None:
            return self.transactions.setdefault(str(value), f"<tx{len(self.transactions) + 1}>")
        if key in TIME_KEYS or (isinstance(value, str) and ISO_TIME.match(value)):
            return "<time>"
        return value


def periodic(action: str, request: Any) -> bool:
    """Traffic whose count depends on timing: Heartbeat, MeterValues, and 2.0.1's meter-value updates
    of a transaction (TransactionEvent Updated, trigger MeterValuePeriodic)."""
    if action in PERIODIC:
        return True
    return (
        action == "TransactionEvent"
        and isinstance(request, dict)
        and request.get("triggerReason") == "MeterValuePeriodic"
    )


def exchanges(lines: Iterable[dict[str, Any]], prefix: str = "", include_periodic: bool = False) -> Run:
    """The normalised exchanges per charger identity in a recording's event lines."""
    identities: dict[str, str] = {}
    open_calls: dict[tuple[str, str], tuple[str, str, Any]] = {}
    run = Run()
    normalisers: dict[str, Normaliser] = {}
    for line in lines:
        fields = line["fields"]
        if line["type"] == OBSERVED_TOPIC:
            identity = fields["identity"]
            identities[line["aggregate_id"]] = (
                identity[len(prefix) :] if prefix and identity.startswith(prefix) else identity
            )
            continue
        if line["type"] != FRAME_TOPIC:
            continue
        charger = identities.get(line["aggregate_id"], line["aggregate_id"])
        normalise = normalisers.setdefault(charger, Normaliser())
        try:
            frame = json.loads(fields["raw"])
        except ValueError:
            continue
        if not isinstance(frame, list) or len(frame) < 3:
            continue
        kind, message_id = frame[0], str(frame[1])
        direction = "→" if fields["direction"] == "cp_to_csms" else "←"
        if kind == 2:
            open_calls[(charger, message_id)] = (
                direction,
                str(frame[2]),
                normalise(frame[3] if len(frame) > 3 else {}),
            )
        elif kind in (3, 4) and (charger, message_id) in open_calls:
            call_direction, action, request = open_calls.pop((charger, message_id))
            if not include_periodic and periodic(action, request):
                continue
            answer = (
                {"result": normalise(frame[2])}
                if kind == 3
                else {"error": frame[2], "description": frame[3] if len(frame) > 3 else ""}
            )
            run.exchanges.setdefault(charger, []).append(Exchange(call_direction, action, request, answer))
    return run


@dataclass(frozen=True)
class Difference:
    charger: str
    index: int
    action: str
    expected: Any
    actual: Any
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "charger": self.charger,
            "exchange": self.index,
            "action": self.action,
            "what": self.what,
            "expected": self.expected,
            "actual": self.actual,
        }


def _paths(expected: Any, actual: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The leaf paths where two JSON values differ."""
    if (
        isinstance(expected, dict)
        and isinstance(actual, dict)
        and (set(expected) & set(actual) or not expected)
    ):
        found = []
        for key in sorted(set(expected) | set(actual)):
            found += _paths(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            found += _paths(a, b, f"{path}[{i}]")
        return found
    return [] if expected == actual else [(path, expected, actual)]


def csms_side(exchange: Exchange) -> dict[str, Any]:
    """What the CSMS decided in an exchange: its answer to our call, or the call it made."""
    if exchange.direction == "→":
        return {"answer": exchange.answer}
    return {"request": exchange.request}


def aligned(before: Run, after: Run) -> Iterator[tuple[str, int, Exchange | None, Exchange | None, bool]]:
    """Each charger's exchanges of both runs side by side: (charger, index, before's, after's, whether the
    two are the same call), aligned on their labels (a missing or extra call shifts nothing after it)."""
    for charger in sorted(set(before.exchanges) | set(after.exchanges)):
        old, new = before.exchanges.get(charger, []), after.exchanges.get(charger, [])
        matcher = difflib.SequenceMatcher(
            a=[e.label() for e in old], b=[e.label() for e in new], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for offset in range(i2 - i1):
                    yield charger, i1 + offset + 1, old[i1 + offset], new[j1 + offset], True
                continue
            for k in range(max(i2 - i1, j2 - j1)):
                a = old[i1 + k] if i1 + k < i2 else None
                b = new[j1 + k] if j1 + k < j2 else None
                yield charger, (i1 + k + 1) if a else (j1 + k + 1), a, b, False


def differences_of(
    charger: str, index: int, a: Exchange | None, b: Exchange | None, same_call: bool
) -> list[Difference]:
    """What differs in one aligned pair of exchanges."""
    if same_call and a is not None and b is not None:
        return [
            Difference(charger, index, a.label(), expected, actual, path)
            for path, expected, actual in _paths(csms_side(a), csms_side(b))
        ]
    what = (
        "missing in the new run" if b is None else "not in the recording" if a is None else "different call"
    )
    either = a or b
    assert either is not None  # an aligned pair has at least one side
    label = either.label()
    return [
        Difference(
            charger, index, label, None if a is None else a.answer, None if b is None else b.answer, what
        )
    ]


def compare(before: Run, after: Run) -> list[Difference]:
    return [d for pair in aligned(before, after) for d in differences_of(*pair)]


def report(differences: list[Difference], before: Run, after: Run) -> str:
    """The first difference of each charger in full (what follows it is usually its consequence), and
    how many more there are; --json lists them all."""
    compared = sum(len(v) for v in before.exchanges.values())
    if not differences:
        return f"same: {compared} exchanges over {len(before.exchanges)} chargers answered alike"
    chargers = sorted({d.charger for d in differences})
    lines = [f"different: {len(differences)} difference(s) in {len(chargers)} charger(s)"]
    lines[0] += f", {compared} exchanges compared"
    for charger in chargers:
        mine = [d for d in differences if d.charger == charger]
        first = mine[0]
        lines.append(
            f"  {charger} exchange #{first.index} {first.action}: {first.what}: "
            f"expected {json.dumps(first.expected)}, got {json.dumps(first.actual)}"
        )
        if len(mine) > 1:
            lines.append(
                f"    and {len(mine) - 1} more after it: "
                + ", ".join(f"#{d.index} {d.action} ({d.what})" for d in mine[1:])
            )
    return "\n".join(lines)
