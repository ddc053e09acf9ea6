"""Network faults between the chargers and the CSMS, injected by the seeded fault proxy.

Each test runs the real bridge and ledger, the `ocpp`-library CSMS and a `FaultProxy` in front of it,
all on loopback in the test's event loop; the chargers' ws_url points at the proxy. Simulated time runs
100x (tests.conftest.test_settings). Tests wait on what the CSMS or the proxy saw, on command outcomes
or on the station's own events; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from websockets.protocol import State
from websockets.typing import Subprotocol

from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import ScaledClock
from domain.commands import (
    Authorize,
    CommandPayload,
    PlugConnector,
    ProxyMessage,
    StartSession,
    StopSession,
    UnplugConnector,
)
from gateway.context import Context, build_context, upgrade_database
from ocpp_bridge.lab.csms import Behaviour, Csms, Received
from ocpp_bridge.lab.faultproxy import CP_TO_CSMS, CSMS_TO_CP, Fault, FaultPlan, FaultProxy
from ocpp_bridge.runtime.bridge import Bridge
from ocpp_bridge.runtime.station import Station, StationSettings
from tests.conftest import Backend, postgres_schema, test_settings
from tests.lab import Lab

FAST = StationSettings(
    response_timeout=5.0, connect_timeout=5.0, backoff_initial=1.0, backoff_max=5.0, online_wait=10.0
)


@contextlib.asynccontextmanager
async def faulty_lab(
    ctx: Context,
    plan: FaultPlan,
    settings: StationSettings = FAST,
    behaviour: Behaviour | None = None,
) -> AsyncIterator[tuple[Lab, FaultProxy]]:
    """tests.lab.running_lab with the proxy between the chargers and the CSMS (register with
    `ws_url=proxy.url()`), and station settings of the test's choosing."""
    csms = Csms(behaviour)
    await csms.start()
    proxy = FaultProxy(f"ws://127.0.0.1:{csms.port}", plan)
    await proxy.start()
    clock = ctx.clock
    assert isinstance(clock, ScaledClock)
    bridge = Bridge(ctx.ledger, clock=clock, station_settings=settings, poll_seconds=0.2)
    ctx.read.start()
    task = asyncio.create_task(bridge.run())
    await asyncio.wait_for(bridge.ready.wait(), 10)
    try:
        yield Lab(ctx=ctx, csms=csms, bridge=bridge, clock=clock), proxy
    finally:
        bridge.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        await proxy.stop()
        await csms.stop()
        await asyncio.to_thread(ctx.read.stop)
        assert not csms.violations, f"the CSMS saw schema violations: {csms.violations}"


async def until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    """For station state the event loop is about to change (a dead connection's flags are cleared a
    few loop iterations after the socket closes): yield to the loop until it holds."""

    async def spin() -> None:
        while not predicate():
            await asyncio.sleep(0)

    await asyncio.wait_for(spin(), timeout)


async def settled(station: Station, timeout: float = 10.0) -> None:
    """Online on a live connection, with the boot-time status of every connector reported."""

    async def wait() -> None:
        while True:
            await station.reported.wait()
            connection = station.connection
            if connection is not None and connection.ws.state is State.OPEN:
                return
            await asyncio.sleep(0)  # that connection is gone: its loop is about to clear `reported`

    await asyncio.wait_for(wait(), timeout)


def boots(lab: Lab, identity: str) -> list[int]:
    """Indexes of the charger's BootNotifications in what the CSMS received."""
    return [i for i, m in enumerate(lab.csms.messages(identity)) if m.action == "BootNotification"]


def since_boot(lab: Lab, identity: str, n: int) -> list[Received]:
    """What the CSMS received from the charger since its n-th BootNotification (1-based)."""
    return lab.csms.messages(identity)[boots(lab, identity)[n - 1] :]


# --- (a) a cut connection ------------------------------------------------------------------------------


async def test_a_cut_connection_reconnects_with_backoff_boots_reports_and_the_session_continues(
    context: Context,
) -> None:
    # Cut the first connection right after the CSMS's second MeterValues answer has been forwarded.
    plan = FaultPlan(
        seed=7,
        cut_after=2,
        actions=frozenset({"MeterValues"}),
        directions=frozenset({CSMS_TO_CP}),
        connections=1,
    )
    async with faulty_lab(context, plan) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert started["status"] == "completed", started
        transaction_id = int(started["result"]["transaction_id"])

        await proxy.wait_for(lambda: proxy.faults("CP-1", ["cut"]), timeout=15)
        await lab.csms.wait_for(lambda: len(boots(lab, "CP-1")) == 2, timeout=15)
        # After the second boot: connector 0 and both connectors again, the running one Charging, and
        # the meter samples of the same transaction (they do not wait for the reports: may come between).
        await lab.csms.wait_for(
            lambda: (
                {"MeterValues", "StatusNotification"} <= {m.action for m in since_boot(lab, "CP-1", 2)}
                and len([m for m in since_boot(lab, "CP-1", 2) if m.action == "StatusNotification"]) >= 3
            ),
            timeout=15,
        )
        after = since_boot(lab, "CP-1", 2)
        statuses = [
            (m.payload["connector_id"], m.payload["status"])
            for m in after
            if m.action == "StatusNotification"
        ]
        assert statuses[:3] == [(0, "Available"), (1, "Charging"), (2, "Available")]
        samples = [m.payload for m in after if m.action == "MeterValues"]
        assert {s["transaction_id"] for s in samples} == {transaction_id}
        assert "StartTransaction" not in [m.action for m in after]

        [cut] = proxy.faults("CP-1")
        assert (cut.connection, cut.kind, cut.action) == (1, "cut", "MeterValues")
        station = lab.station(charger)
        disconnected = [e for e in lab.events(ChargePoint.Disconnected) if e.originator_id == station.cp.id]
        assert disconnected, "the disconnect is on record"
        assert disconnected[0].retry_in_seconds is not None and disconnected[0].retry_in_seconds > 0
        assert "connection closed" in disconnected[0].reason
        assert lab.csms.connects["CP-1"] == 2

        stopped = await lab.run(charger, StopSession(connector_id=1))
        assert stopped["status"] == "completed", (stopped["error"], stopped)
        assert lab.csms.messages("CP-1", "StopTransaction")[-1].payload["transaction_id"] == transaction_id


async def test_a_2_0_1_transaction_goes_on_with_the_same_id_after_the_line_is_cut(context: Context) -> None:
    async with faulty_lab(context, FaultPlan()) as (lab, proxy):
        charger = await lab.register("CP-1", "OCPP2.0.1", ws_url=proxy.url())
        await lab.booted("CP-1")
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert started["status"] == "completed", started
        [transaction_id] = {m.payload["transaction_info"]["transaction_id"] for m in transaction_events(lab)}

        assert proxy.cut("CP-1") == 1
        await lab.csms.wait_for(lambda: transaction_events(lab, since=2), timeout=15)
        after = transaction_events(lab, since=2)
        assert {
            (m.payload["event_type"], m.payload["transaction_info"]["transaction_id"]) for m in after
        } == {("Updated", transaction_id)}

        stopped = await lab.run(charger, StopSession(connector_id=1))
        assert stopped["status"] == "completed", (stopped["error"], stopped)
        ended = transaction_events(lab)[-1].payload
        assert (ended["event_type"], ended["transaction_info"]["transaction_id"]) == ("Ended", transaction_id)


def transaction_events(lab: Lab, since: int = 1) -> list[Received]:
    """CP-1's TransactionEvents since its n-th boot (none if it has not booted that often)."""
    if len(boots(lab, "CP-1")) < since:
        return []
    return [m for m in since_boot(lab, "CP-1", since) if m.action == "TransactionEvent"]


# --- (b) a dropped frame ----------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [CSMS_TO_CP, CP_TO_CSMS], ids=["answer_dropped", "call_dropped"])
async def test_a_dropped_frame_makes_the_call_time_out_and_the_command_fail_with_csms_timeout(
    context: Context, direction: str
) -> None:
    plan = FaultPlan(seed=1, drop=1.0, actions=frozenset({"Authorize"}), directions=frozenset({direction}))
    async with faulty_lab(context, plan, replace(FAST, response_timeout=0.5)) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        command = await lab.queue(charger, Authorize(id_tag="TAG-1"))
        outcome = await lab.outcome(command)
        assert outcome["status"] == "failed", outcome
        assert outcome["error"]["code"] == "csms_timeout"

        [dropped] = proxy.faults("CP-1")
        assert (dropped.kind, dropped.action, dropped.direction) == ("drop", "Authorize", direction)
        # The CSMS saw the call only if the answer was the frame lost.
        assert len(lab.csms.messages("CP-1", "Authorize")) == (1 if direction == CSMS_TO_CP else 0)
        frames = [e for e in lab.events(ChargePoint.FrameRecorded) if e.command_id == command]
        assert [(f.direction, f.action) for f in frames] == [("cp_to_csms", "Authorize")]

        # The connection survives a lost frame: the next command goes through on it.
        plugged = await lab.run(charger, PlugConnector(connector_id=2))
        assert plugged["status"] == "completed", plugged
        assert lab.csms.connects["CP-1"] == 1


async def test_a_call_cut_off_in_flight_fails_with_charger_not_connected_not_a_timeout(
    context: Context,
) -> None:
    # The Authorize CALL reaches the CSMS, then the line is cut before its answer can come back.
    plan = FaultPlan(
        seed=1,
        cut_after=1,
        actions=frozenset({"Authorize"}),
        directions=frozenset({CP_TO_CSMS}),
        connections=1,
    )
    settings = replace(FAST, response_timeout=30.0)  # a timeout would take far longer than the test allows
    async with faulty_lab(context, plan, settings) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        outcome = await lab.run(charger, Authorize(id_tag="TAG-1"), timeout=10)
        assert outcome["status"] == "failed", outcome
        assert outcome["error"]["code"] == "charger_not_connected"
        assert len(lab.csms.messages("CP-1", "Authorize")) == 1
        await lab.csms.wait_for(lambda: len(boots(lab, "CP-1")) == 2, timeout=10)


async def test_a_stop_transaction_lost_in_a_cut_is_delivered_after_the_reboot(context: Context) -> None:
    # The connection is cut at the StopTransaction CALL (the frame is lost with it).
    plan = FaultPlan(
        seed=1,
        cut=1.0,
        actions=frozenset({"StopTransaction"}),
        directions=frozenset({CP_TO_CSMS}),
        connections=1,
    )
    async with faulty_lab(context, plan) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        transaction_id = int(started["result"]["transaction_id"])
        stopped = await lab.run(charger, StopSession(connector_id=1))
        # The charger stopped charging whatever happened to the message; the message waits for the line.
        assert stopped["status"] == "completed", (stopped["error"], stopped)
        assert [f.kind for f in proxy.faults("CP-1")] == ["cut"]
        await lab.csms.wait_for(lambda: lab.csms.messages("CP-1", "StopTransaction"), timeout=15)
        after = [m.action for m in since_boot(lab, "CP-1", 2)]
        assert after[:2] == ["BootNotification", "StopTransaction"]  # queued messages go before the statuses
        [stop] = lab.csms.messages("CP-1", "StopTransaction")
        assert stop.payload["transaction_id"] == transaction_id


# --- (c) commands queued while the charger is disconnected ---------------------------------------------


async def offline(lab: Lab, proxy: FaultProxy, charger_id: UUID) -> Station:
    """Make the CSMS unreachable and wait until the charger knows it is offline."""
    station = lab.station(charger_id)
    proxy.unreachable()
    await until(lambda: not station.online.is_set() and station.connection is None)
    return station


async def test_a_command_queued_while_the_csms_is_unreachable_runs_once_the_charger_is_back(
    context: Context,
) -> None:
    async with faulty_lab(context, FaultPlan()) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        await offline(lab, proxy, charger)
        refused = proxy.refused
        command = await lab.queue(charger, PlugConnector(connector_id=1))
        await proxy.wait_for(lambda: proxy.refused > refused)  # the charger keeps trying, and is refused
        proxy.reachable()

        outcome = await lab.outcome(command)
        assert outcome["status"] == "completed", outcome
        after = since_boot(lab, "CP-1", 2)
        preparing = [
            m for m in after if m.action == "StatusNotification" and m.payload["status"] == "Preparing"
        ]
        assert [m.payload["connector_id"] for m in preparing] == [1]

        # In ledger order: queued while offline, dispatched only once the charger was back and booted.
        positions = {
            "queued": _position(lab, Charger.CommandQueued, lambda e: e.command_id == command),
            "dispatched": _position(lab, ChargePoint.CommandDispatched, lambda e: e.command_id == command),
            "reconnected": _position(lab, ChargePoint.Connected, lambda e: True, nth=2),
            "booted": _position(lab, ChargePoint.BootAnswered, lambda e: True, nth=2),
        }
        assert positions["queued"] < positions["reconnected"] < positions["booted"] < positions["dispatched"]


async def test_a_2_0_1_transaction_ended_offline_is_delivered_first_after_the_reboot(
    context: Context,
) -> None:
    settings = replace(FAST, online_wait=0.5)
    async with faulty_lab(context, FaultPlan(), settings) as (lab, proxy):
        charger = await lab.register("CP-1", "OCPP2.0.1", ws_url=proxy.url())
        await lab.booted("CP-1")
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert started["status"] == "completed", started
        [transaction_id] = {m.payload["transaction_info"]["transaction_id"] for m in transaction_events(lab)}

        await offline(lab, proxy, charger)
        before = transaction_events(lab)  # periodic updates may have gone out until the line went down
        stopped = await lab.run(charger, StopSession(connector_id=1))
        # The charger stopped charging whatever happened to the message; the message waits for the line.
        assert stopped["status"] == "completed", (stopped["error"], stopped)
        proxy.reachable()
        await lab.csms.wait_for(
            lambda: (
                len(boots(lab, "CP-1")) == 2
                and any(m.action == "StatusNotification" for m in since_boot(lab, "CP-1", 2))
            ),
            timeout=15,
        )

        after = [m for m in since_boot(lab, "CP-1", 2) if m.action != "BootNotification"]
        queued = list(itertools.takewhile(lambda m: m.action == "TransactionEvent", after))
        assert queued, "queued transaction events go before the statuses"
        ended = queued[-1].payload
        assert (ended["event_type"], ended["offline"]) == ("Ended", True)
        assert {m.payload["transaction_info"]["transaction_id"] for m in queued} == {transaction_id}
        # In order, none lost. One update cut off in flight by the outage may arrive twice (it is sent
        # again: it may not have arrived); the CSMS tells them apart by seqNo.
        queued_seq = [m.payload["seq_no"] for m in queued]
        assert queued_seq == sorted(set(queued_seq))
        seen = {m.payload["seq_no"] for m in before + queued}
        assert seen == set(range(ended["seq_no"] + 1))


async def test_a_session_start_queued_while_offline_fails_with_charger_not_connected_after_online_wait(
    context: Context,
) -> None:
    settings = replace(FAST, online_wait=0.5)
    async with faulty_lab(context, FaultPlan(), settings) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        await offline(lab, proxy, charger)
        loop = asyncio.get_running_loop()
        began = loop.time()
        outcome = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert loop.time() - began >= settings.online_wait
        assert outcome["status"] == "failed", outcome
        assert outcome["error"]["code"] == "charger_not_connected"  # the tag cannot be authorized offline
        assert "Authorize" not in lab.csms.actions("CP-1")

        proxy.reachable()
        await lab.csms.wait_for(lambda: len(boots(lab, "CP-1")) == 2, timeout=10)


async def test_a_plug_queued_while_offline_completes_locally_after_online_wait_and_is_reported_at_reboot(
    context: Context,
) -> None:
    settings = replace(FAST, online_wait=0.5)
    async with faulty_lab(context, FaultPlan(), settings) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        await offline(lab, proxy, charger)
        outcome = await lab.run(charger, PlugConnector(connector_id=1))
        # Plugging a cable needs no CSMS: the charger records it, and has nobody to tell yet.
        assert outcome["status"] == "completed", outcome
        assert outcome["result"]["status"] == "Preparing"
        assert "Preparing" not in [
            m.payload["status"] for m in lab.csms.messages("CP-1", "StatusNotification")
        ]

        proxy.reachable()
        await lab.csms.wait_for(lambda: len(boots(lab, "CP-1")) == 2, timeout=10)
        await lab.csms.wait_for(
            lambda: len([m for m in since_boot(lab, "CP-1", 2) if m.action == "StatusNotification"]) >= 3
        )
        statuses = [
            (m.payload["connector_id"], m.payload["status"])
            for m in since_boot(lab, "CP-1", 2)
            if m.action == "StatusNotification"
        ]
        assert statuses[:3] == [(0, "Available"), (1, "Preparing"), (2, "Available")]


def _position(lab: Lab, event_type: type, match: Callable[[Any], bool], nth: int = 1) -> int:
    found = [e for e in lab.events(event_type) if match(e)]
    assert len(found) >= nth, f"fewer than {nth} {event_type.__name__} events"
    return _notification_id(lab, found[nth - 1])


def _notification_id(lab: Lab, event: Any) -> int:
    recorder = lab.ctx.ledger.recorder
    for n in recorder.select_notifications(1, 10_000_000, topics=[type(event).TOPIC]):
        if n.originator_id == event.originator_id and n.originator_version == event.originator_version:
            return n.id
    raise AssertionError("event not in the notification log")


# --- (d) the same seed, the same run ---------------------------------------------------------------------

CHAOS = FaultPlan(drop=0.08, delay=0.5, delay_ms=(1, 40), cut=0.04)
SCRIPT: list[CommandPayload] = [
    PlugConnector(connector_id=1),
    Authorize(id_tag="TAG-1"),
    UnplugConnector(connector_id=1),
    ProxyMessage(action="DataTransfer", payload={"vendorId": "acme", "data": "ping"}),
    PlugConnector(connector_id=2),
    Authorize(id_tag="TAG-2"),
    UnplugConnector(connector_id=2),
    ProxyMessage(action="DataTransfer", payload={"vendorId": "acme", "data": "pong"}),
] * 2
IDENTITIES = ("CP-A", "CP-B")


@pytest.fixture
def fresh_contexts(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Contexts on new, empty databases of the test's backend (a new SQLite file, a new schema)."""

    @contextlib.contextmanager
    def fresh(name: str) -> Iterator[Context]:
        var_dir = tmp_path / name
        if backend.name == "sqlite":
            schema_scope: Any = contextlib.nullcontext(None)
        else:
            schema_scope = postgres_schema(request.getfixturevalue("postgres_url"))
        with schema_scope as schema:
            overrides: dict[str, Any] = {"var_dir": var_dir}
            if schema is not None:
                overrides.update(database_url=backend.settings.database_url, database_schema=schema)
            ctx = build_context(test_settings(**overrides))
            upgrade_database(ctx)
            try:
                yield ctx
            finally:
                ctx.read.stop()
                ctx.ledger.close()

    return fresh


async def chaos_run(ctx: Context, seed: int) -> tuple[list[Fault], dict[str, list[tuple[str, str | None]]]]:
    """Two chargers each run the script through a proxy with faults; the proxy's log, and the
    (direction, action) of every frame each charger recorded."""
    plan = replace(CHAOS, seed=seed)
    settings = replace(FAST, response_timeout=0.6, online_wait=5.0)
    # No heartbeat during the run: the frames are the script's, the boots' and the reports'.
    behaviour = Behaviour(heartbeat_interval=1_000_000)
    async with faulty_lab(ctx, plan, settings, behaviour) as (lab, proxy):
        chargers = {identity: await lab.register(identity, ws_url=proxy.url()) for identity in IDENTITIES}

        async def drive(identity: str) -> None:
            charger = chargers[identity]
            await lab.csms.wait_for(lambda: lab.csms.messages(identity, "BootNotification"), timeout=20)
            station = lab.station(charger)
            for payload in SCRIPT:
                # One command at a time, each on a settled connection: a charger's frames, and so the
                # proxy's draws for them, come in one order only.
                await settled(station, timeout=20)
                await lab.outcome(await lab.queue(charger, payload), timeout=20)
            await settled(station, timeout=20)

        await asyncio.gather(*(drive(identity) for identity in IDENTITIES))
        frames: dict[str, list[tuple[str, str | None]]] = {}
        for identity, charger in chargers.items():
            cp_id = lab.station(charger).cp.id
            frames[identity] = [
                (e.direction, e.action)
                for e in lab.events(ChargePoint.FrameRecorded)
                if e.originator_id == cp_id
            ]
        return sorted(proxy.log, key=lambda f: (f.identity, f.connection, f.frame)), frames


async def test_the_same_seed_reproduces_the_same_faults_and_frames_and_another_seed_does_not(
    fresh_contexts: Any,
) -> None:
    with fresh_contexts("first") as ctx:
        faults, frames = await chaos_run(ctx, seed=42)
    with fresh_contexts("again") as ctx:
        faults_again, frames_again = await chaos_run(ctx, seed=42)
    with fresh_contexts("other") as ctx:
        other_faults, _ = await chaos_run(ctx, seed=43)

    kinds = {f.kind for f in faults}
    assert {"drop", "delay", "cut"} <= kinds, f"the run should exercise every fault, got {kinds}"
    assert faults_again == faults
    assert frames_again == frames
    assert other_faults != faults


# --- the CLI verb ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--delay-ms", "200-10"], "0 <= LOW <= HIGH"),
        (["--delay-ms", "fast"], "LOW-HIGH in milliseconds"),
        (["--drop", "1.5"], "drop is a probability"),
        (["--direction", "sideways"], "unknown directions"),
    ],
)
def test_the_faultproxy_verb_refuses_a_bad_plan_with_exit_status_2(args: list[str], complaint: str) -> None:
    from typer.testing import CliRunner

    from ocpp_ledger.cli import app

    result = CliRunner().invoke(app, ["faultproxy", *args])
    assert result.exit_code == 2, result.output
    assert complaint in " ".join(result.output.split())


async def test_the_faultproxy_verb_forwards_frames_and_logs_the_faults_it_injects(tmp_path: Path) -> None:
    import json
    import signal
    import sys

    import websockets

    csms = Csms()
    await csms.start()
    log_file = tmp_path / "faults.jsonl"
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "ocpp-ledger"),
        *("faultproxy", "--listen", "0", "--upstream", f"ws://127.0.0.1:{csms.port}", "--seed", "3"),
        *("--drop", "1", "--action", "Heartbeat", "--direction", "csms_to_cp", "--log-file", str(log_file)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        ready = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        port = int(ready.split("ws://127.0.0.1:", 1)[1].split()[0])
        url = f"ws://127.0.0.1:{port}/ocpp/CLI-1"
        async with websockets.connect(url, subprotocols=[Subprotocol("ocpp1.6")]) as ws:
            assert ws.subprotocol == "ocpp1.6"
            await ws.send(json.dumps([2, "m1", "Heartbeat", {}]))  # its answer is dropped
            await ws.send(json.dumps([2, "m2", "DataTransfer", {"vendorId": "acme"}]))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert answer[:2] == [3, "m2"]  # the first answer to come back is the second one
        assert csms.actions("CLI-1") == ["Heartbeat", "DataTransfer"]
        [fault] = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert fault.pop("frame") in (1, 2)  # after the Heartbeat CALL; before or after the DataTransfer one
        assert fault == {
            "identity": "CLI-1",
            "connection": 1,
            "direction": "csms_to_cp",
            "action": "Heartbeat",
            "message_type": 3,
            "kind": "drop",
            "delay_ms": None,
        }
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        await csms.stop()
