"""The auto-stop policy acts only on a live read model: while its projection replays history (a first start,
a rebuild, a new version of its table) sessions that ended long ago look running with their deadlines long
past, and stopping them would stop whatever runs on those connectors now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.utils import get_topic

from domain import services
from domain.chargepoint import ChargePoint
from domain.charger import Charger
from domain.clock import iso
from domain.commands import StartSession
from domain.ids import charge_point_id
from domain.protocol import OcppVersion
from gateway.context import Context
from tests.conftest import CSMS_URL

TENANT = "acme"


def session_on(ctx: Context, identity: str, *, ended: bool) -> UUID:
    """A charger whose 60 s session started two hours ago (and, if `ended`, was stopped by hand)."""
    registration = services.ChargerRegistration(
        identity=identity,
        brand_slug="abb",
        model_slug="terra-184",
        ws_url=CSMS_URL,
        ocpp_version=OcppVersion.V16,
    )
    charger = ctx.ledger.transact(lambda uow: services.register_charger(uow, TENANT, registration, None, "t"))
    fan_out = ctx.ledger.transact(
        lambda uow: services.queue_commands(
            uow, TENANT, [charger.id], StartSession(id_tag="T", duration_seconds=60), "charger", "t", "api"
        )
    )
    command_id = fan_out.queued[0].command_id
    started = datetime.now(UTC) - timedelta(hours=2)
    cp = ChargePoint(charger_id=charger.id, tenant=TENANT, identity=identity, connector_count=2)
    assert cp.id == charge_point_id(charger.id)
    cp.transaction_started(1, "7", "T", 0, iso(started), "Accepted", command_id, None, None)
    if ended:
        cp.transaction_stopped(1, "7", 100, "Local", iso(started + timedelta(seconds=30)), None)
    ctx.ledger.save(cp)
    return charger.id


def stops(ctx: Context) -> list[UUID]:
    """The chargers a stop_session was queued for."""
    topic = get_topic(Charger.CommandQueued)
    queued = [
        ctx.ledger.mapper.to_domain_event(n)
        for n in ctx.ledger.recorder.select_notifications(1, 10_000_000, topics=[topic])
    ]
    return [
        e.originator_id
        for e in queued
        if isinstance(e, Charger.CommandQueued) and e.event_type == "stop_session"
    ]


def test_the_policy_waits_until_its_read_model_has_replayed_history(context: Context) -> None:
    ended = session_on(context, "CP-ENDED", ended=True)
    running = session_on(context, "CP-RUNNING", ended=False)
    runner = context.read.runners["auto_stop"]
    policy = context.read.auto_stop
    # Part of the way through the replay: the first session started, its stop not applied yet.
    assert runner.process_batch(batch_size=2) > 0
    assert runner.position < (context.ledger.recorder.max_notification_id() or 0)
    policy.check()
    assert stops(context) == []
    # Live: only the session that is really running is stopped (its 60 s are long over).
    runner.catch_up()
    policy.check()
    assert stops(context) == [running]
    assert ended not in stops(context)


def test_a_rebuild_makes_the_policy_wait_again(context: Context) -> None:
    session_on(context, "CP-ENDED", ended=True)
    runner = context.read.runners["auto_stop"]
    policy = context.read.auto_stop
    runner.catch_up()
    policy.check()
    runner.reset()  # a rebuild starts: the table is emptied and filled again from the first event
    assert runner.process_batch(batch_size=2) > 0
    policy.check()
    runner.catch_up()
    policy.check()
    assert stops(context) == []
