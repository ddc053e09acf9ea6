"""The Charger aggregate, as given/when/then over its events."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate

from domain.catalog import find_model
from domain.charger import Charger, ChargerSettings, CommandRejected
from domain.commands import (
    CommandPayload,
    InjectFault,
    PlugConnector,
    ProxyMessage,
    RestartCharger,
    StartSession,
    StopCharger,
    StopTransaction,
)
from domain.errors import DuplicateIdentity, InvalidRequest
from domain.identity import ChargerIdentity
from domain.protocol import OcppVersion, StopReason


def registered(version: OcppVersion = OcppVersion.V16, model: str = "terra-184") -> Charger:
    charger = Charger.register(
        tenant="acme",
        identity="CP-1",
        model=find_model("abb", model),
        settings=ChargerSettings(
            name="CP-1", connector_type="CCS2", ocpp_version=version, ws_url="ws://csms.example/ocpp"
        ),
        location_id=None,
        requested_by="token:test",
    )
    charger.collect_events()
    return charger


def queue(charger: Charger, payload: CommandPayload) -> Sequence[object]:
    charger.queue(uuid4(), payload, "charger", "token:test", "api", uuid4())
    return charger.collect_events()


def queued(charger: Charger, payload: CommandPayload) -> Charger.CommandQueued:
    [event] = queue(charger, payload)
    assert isinstance(event, Charger.CommandQueued)
    return event


def test_registration_records_the_catalog_spec_of_the_model() -> None:
    charger = Charger.register(
        tenant="acme",
        identity="CP-9",
        model=find_model("alfen", "eve-double-pro-line"),
        settings=ChargerSettings(
            name="n", connector_type="Type2", ocpp_version=OcppVersion.V201, ws_url="wss://x.example/ocpp"
        ),
        location_id=None,
        requested_by="token:test",
    )
    [event] = charger.collect_events()
    assert isinstance(event, Charger.Registered)
    assert event.spec.connector_count == 2
    assert event.spec.vendor_name == "Alfen"
    assert charger.running


def test_a_connector_type_the_model_does_not_offer_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        Charger.register(
            tenant="acme",
            identity="CP-1",
            model=find_model("abb", "terra-184"),
            settings=ChargerSettings(
                name="n", connector_type="Type2", ocpp_version=OcppVersion.V16, ws_url="ws://x/o"
            ),
            location_id=None,
            requested_by="t",
        )
    assert refused.value.field == "connector_type"


def test_a_command_is_queued_as_command_queued_with_its_target() -> None:
    charger = registered()
    event = queued(charger, PlugConnector(connector_id=2))
    assert isinstance(event, Charger.CommandQueued)
    assert event.event_type == "plug_connector"
    assert event.target.tenant == "acme"
    assert event.target.charger_identity == "CP-1"
    assert event.target.ocpp_version is OcppVersion.V16


def test_a_connector_that_does_not_exist_is_rejected_and_nothing_is_recorded() -> None:
    charger = registered()
    with pytest.raises(CommandRejected) as rejected:
        queue(charger, PlugConnector(connector_id=3))
    assert rejected.value.rejection.code == "connector_not_found"
    assert charger.collect_events() == []


def test_connector_zero_is_the_whole_charger_for_faults_only() -> None:
    charger = registered()
    event = queued(charger, InjectFault(connector_id=0, fault_type="GroundFailure"))
    assert isinstance(event.payload, InjectFault)
    assert event.payload.connector() == 0


def test_a_stop_reason_of_the_other_version_is_rejected() -> None:
    with pytest.raises(CommandRejected) as rejected:
        queue(registered(OcppVersion.V16), StopTransaction(reason=StopReason.TIME_LIMIT_REACHED))
    assert rejected.value.rejection.code == "not_applicable"
    event = queued(registered(OcppVersion.V201), StopTransaction(reason=StopReason.TIME_LIMIT_REACHED))
    assert isinstance(event.payload, StopTransaction)
    assert event.payload.reason is StopReason.TIME_LIMIT_REACHED


def test_an_id_tag_longer_than_the_version_allows_is_rejected_on_16_only() -> None:
    tag = "T" * 25
    with pytest.raises(CommandRejected) as rejected:
        queue(registered(OcppVersion.V16), StartSession(id_tag=tag))
    assert rejected.value.rejection.code == "id_tag_too_long"
    assert queue(registered(OcppVersion.V201), StartSession(id_tag=tag))


def test_on_16_an_evse_id_is_taken_only_when_it_agrees_with_the_connector_id() -> None:
    event = queued(registered(OcppVersion.V16), PlugConnector(evse_id=1, connector_id=1))
    assert isinstance(event.payload, PlugConnector)
    assert event.payload.connector() == 1
    with pytest.raises(CommandRejected):
        queue(registered(OcppVersion.V16), PlugConnector(evse_id=1, connector_id=2))
    event = queued(registered(OcppVersion.V201), PlugConnector(evse_id=2))
    assert isinstance(event.payload, PlugConnector)
    assert event.payload.connector() == 2


def test_a_stopped_charger_rejects_commands_until_it_is_started_again() -> None:
    charger = registered()
    [stopped] = queue(charger, StopCharger())
    assert isinstance(stopped, Charger.RuntimeStopRequested)
    assert not charger.running
    with pytest.raises(CommandRejected) as rejected:
        queue(charger, PlugConnector())
    assert rejected.value.rejection.code == "charger_stopped"
    [restarted] = queue(charger, RestartCharger())
    assert isinstance(restarted, Charger.RuntimeRestartRequested)
    assert queue(charger, PlugConnector())


def test_a_proxy_message_of_another_version_is_rejected() -> None:
    with pytest.raises(CommandRejected):
        queue(registered(OcppVersion.V16), ProxyMessage(action="Heartbeat", ocpp_version="ocpp2.0.1"))


def test_replaying_the_events_gives_the_same_state() -> None:
    charger = registered()
    queue(charger, StopCharger())
    events: list[CanMutateAggregate[UUID]] = []
    fresh = Charger.register(
        tenant="acme",
        identity="CP-1",
        model=find_model("abb", "terra-184"),
        settings=charger.settings,
        location_id=None,
        requested_by="token:test",
    )
    events += fresh.collect_events()
    fresh.queue(uuid4(), StopCharger(), "charger", "t", "api", uuid4())
    events += fresh.collect_events()
    replayed: Charger | None = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.running is False
    assert replayed.settings == charger.settings


def test_an_identity_is_claimed_once_and_can_be_claimed_again_after_release() -> None:
    first, second = uuid4(), uuid4()
    claim = ChargerIdentity(tenant="acme", identity="CP-1", charger_id=first)
    with pytest.raises(DuplicateIdentity):
        claim.claim_again(second)
    claim.release()
    claim.claim_again(second)
    assert claim.charger_id == second
    assert [type(e).__name__ for e in claim.collect_events()] == ["Claimed", "Released", "Reclaimed"]


def test_the_identity_claim_id_is_derived_from_tenant_and_identity() -> None:
    a = ChargerIdentity(tenant="acme", identity="CP-1", charger_id=uuid4())
    b = ChargerIdentity(tenant="acme", identity="CP-1", charger_id=uuid4())
    c = ChargerIdentity(tenant="globex", identity="CP-1", charger_id=uuid4())
    assert a.id == b.id != c.id
