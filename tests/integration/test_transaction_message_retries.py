"""Transaction messages the CSMS fails to process are retried, in order (issue 10, bug 1), and a failed call
in the middle of a command leaves the charger, the ledger and the CSMS agreeing (bug 2).

The real bridge and ledger, the `ocpp`-library CSMS told to answer CALLERROR to the next n calls of an
action (Behaviour.failing_actions), simulated time at 100x: TransactionMessageRetryInterval (10 s) is a
tenth of a second.
"""

from __future__ import annotations

from domain.chargepoint import ChargePoint
from domain.commands import StartSession, StopSession
from gateway.context import Context
from ocpp_bridge.lab.csms import Behaviour
from ocpp_bridge.lab.faultproxy import FaultPlan
from tests.integration.test_network_faults import faulty_lab, until


async def test_a_2_0_1_transaction_event_the_csms_fails_is_retried_and_seq_nos_reach_it_in_order(
    context: Context,
) -> None:
    behaviour = Behaviour()
    async with faulty_lab(context, FaultPlan(), behaviour=behaviour) as (lab, proxy):
        charger = await lab.register("CP-1", "OCPP2.0.1", ws_url=proxy.url())
        await lab.booted("CP-1")
        behaviour.failing_actions["TransactionEvent"] = 1  # the Started, as CitrineOS did with one
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert started["status"] == "completed", started
        stopped = await lab.run(charger, StopSession(connector_id=1, reason="Local"))
        assert stopped["status"] == "completed", stopped

        def ended() -> bool:
            events = lab.csms.messages("CP-1", "TransactionEvent")
            return any(m.payload["event_type"] == "Ended" for m in events)

        await lab.csms.wait_for(ended, timeout=15)
        seq_nos = [m.payload["seq_no"] for m in lab.csms.messages("CP-1", "TransactionEvent")]
        assert seq_nos[:2] == [0, 0]  # refused, then sent again
        assert seq_nos[1:] == list(range(len(seq_nos) - 1))  # then every one, in order, none lost
        [failed] = lab.events(ChargePoint.TransactionMessageFailed)
        assert (failed.attempt, failed.code) == (1, "csms_error")
        assert not lab.events(ChargePoint.TransactionMessageDropped)
        await until(lambda: lab.station(charger).cp.outbox == ())  # the last answer is on its way back


async def test_a_1_6_stop_transaction_the_csms_fails_is_retried_and_the_stop_stands(context: Context) -> None:
    behaviour = Behaviour()
    async with faulty_lab(context, FaultPlan(), behaviour=behaviour) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        started = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        transaction_id = int(started["result"]["transaction_id"])
        behaviour.failing_actions["StopTransaction"] = 2
        stopped = await lab.run(charger, StopSession(connector_id=1))
        # The charger stopped whatever the CSMS answered; the message is owed and follows.
        assert stopped["status"] == "completed", stopped
        await lab.csms.wait_for(lambda: len(lab.csms.messages("CP-1", "StopTransaction")) == 3, timeout=15)
        stops = lab.csms.messages("CP-1", "StopTransaction")
        assert {m.payload["transaction_id"] for m in stops} == {transaction_id}
        assert [e.attempt for e in lab.events(ChargePoint.TransactionMessageFailed)] == [1, 2]
        await until(lambda: lab.station(charger).cp.outbox == ())
        await lab.station(charger).durable()
        [delivered] = lab.events(ChargePoint.TransactionMessageDelivered)
        assert delivered.attempt == 3


async def test_a_1_6_start_session_whose_start_transaction_keeps_failing_leaves_nothing_open(
    context: Context,
) -> None:
    behaviour = Behaviour()
    async with faulty_lab(context, FaultPlan(), behaviour=behaviour) as (lab, proxy):
        charger = await lab.register("CP-1", ws_url=proxy.url())
        await lab.booted("CP-1")
        behaviour.failing_actions["StartTransaction"] = 3  # TransactionMessageAttempts
        outcome = await lab.run(charger, StartSession(id_tag="TAG-1", connector_id=1))
        assert outcome["status"] == "failed", outcome
        assert outcome["error"]["code"] == "csms_error"
        assert len(lab.csms.messages("CP-1", "StartTransaction")) == 3
        connector = lab.station(charger).cp.connector(1)
        assert (connector.transaction_id, connector.plugged, connector.status) == (None, False, "Available")
        assert not lab.events(ChargePoint.TransactionStarted)
        last_status = lab.csms.messages("CP-1", "StatusNotification")[-1].payload
        assert (last_status["connector_id"], last_status["status"]) == (1, "Available")
