"""A real `ocpp-ledger serve` process (gateway + bridge) is killed with SIGKILL in the middle of a charging
session and of a command, and started again on the same database, against the same CSMS."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ocpp_bridge.lab.csms import Behaviour
from ocpp_ledger.demo import DemoCsms
from tests.integration.test_restart import create_token, ledger_env, ok, serving

__all__ = ["ledger_env"]


@pytest.fixture
def csms() -> Iterator[DemoCsms]:
    csms = DemoCsms()
    # DataTransfer answers take long: a proxied DataTransfer is dispatched and still waiting when we kill.
    csms.csms.behaviour = Behaviour(slow_actions={"DataTransfer": 30.0})
    csms.start()
    yield csms
    csms.stop()


def meter_values(csms: DemoCsms, identity: str) -> list[tuple[int, int]]:
    """(transactionId, energy register) of every MeterValues the CSMS received from `identity`."""
    found = []
    for message in csms.csms.messages(identity, "MeterValues"):
        for value in message.payload["meter_value"][0]["sampled_value"]:
            if value.get("measurand") == "Energy.Active.Import.Register":
                found.append((message.payload["transaction_id"], int(value["value"])))
    return found


def test_after_sigkill_sessions_continue_and_interrupted_commands_fail_without_resending(
    ledger_env: dict[str, str],
    csms: DemoCsms,
    tmp_path: Path,
) -> None:
    env = {
        **ledger_env,
        "LEDGER_CLOCK_SPEED": "100",
        "LEDGER_RECONNECT_INITIAL_SECONDS": "1",
        "LEDGER_COMMAND_TIMEOUT_SECONDS": "10",
    }
    token = create_token(env)
    log = tmp_path / "serve.log"
    with serving(env, token, log) as first:
        charger = ok(
            first.client.post(
                "/ocpp/chargers",
                json={
                    "identity": "CRASH-1",
                    "brand_slug": "abb",
                    "model_slug": "terra-184",
                    "ws_url": csms.url,
                },
            ),
            202,
        )["charger_id"]
        session = ok(
            first.client.post(
                "/ocpp/commands/start-session",
                json={"target": {"charger_id": charger}, "event": {"id_tag": "T1", "connector_id": 1}},
            ),
            202,
        )["results"][0]["command"]["id"]
        csms.wait_for(lambda: len(meter_values(csms, "CRASH-1")) >= 2, timeout=20)
        # A single-charger command whose answer will not come before the kill (sent from a thread: the
        # HTTP call waits for the outcome).
        proxied = first.client.build_request(
            "POST",
            "/ocpp/commands/proxy-message",
            json={
                "target": {"charger_id": charger},
                "event": {"action": "DataTransfer", "payload": {"vendor_id": "x"}},
            },
        )
        threading.Thread(target=_send_quietly, args=(first.client, proxied), daemon=True).start()
        csms.wait_for(lambda: csms.csms.messages("CRASH-1", "DataTransfer"), timeout=20)
        before_kill = meter_values(csms, "CRASH-1")
        first.stop(signal.SIGKILL)

    connects_before = csms.csms.connects["CRASH-1"]
    with serving(env, token, log) as second:
        csms.wait_for(lambda: csms.csms.connects["CRASH-1"] > connects_before, timeout=20)
        csms.wait_for(lambda: len(meter_values(csms, "CRASH-1")) >= len(before_kill) + 2, timeout=20)
        after = meter_values(csms, "CRASH-1")

        # The session continues: same transaction, register never goes back.
        assert {tx for tx, _ in after} == {before_kill[0][0]}
        registers = [energy for _, energy in after]
        assert registers == sorted(registers)
        assert len(csms.csms.messages("CRASH-1", "StartTransaction")) == 1

        # The command that was in flight is failed as interrupted, and was never sent again.
        commands = ok(
            second.client.get("/ocpp/commands", params={"charger_id": charger, "event_type": "proxy_message"})
        )
        [interrupted] = commands["data"]
        assert interrupted["status"] == "failed"
        assert interrupted["error"]["code"] == "interrupted"
        assert len(csms.csms.messages("CRASH-1", "DataTransfer")) == 1
        assert ok(second.client.get(f"/ocpp/commands/{session}"))["status"] == "completed"

        # The charger reported its state again after the reconnect: connector 1 is still charging.
        statuses = [m.payload for m in csms.csms.messages("CRASH-1", "StatusNotification")]
        assert [s["status"] for s in statuses if s["connector_id"] == 1][-1] == "Charging"
        assert ok(second.client.get(f"/ocpp/chargers/{charger}"))["connectors"][0]["transaction_id"] == str(
            before_kill[0][0]
        )


def _send_quietly(client: httpx.Client, request: httpx.Request) -> None:
    with contextlib.suppress(httpx.HTTPError):
        client.send(request)
