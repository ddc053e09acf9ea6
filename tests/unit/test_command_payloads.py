"""Property-based tests of the command payload models: what is accepted, what is refused, and that
every accepted payload survives the ledger's storage format unchanged."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.commands import (
    PAYLOAD_TYPES,
    Authorize,
    ClearFault,
    CommandPayload,
    Configuration,
    ConnectorCommand,
    DropNetwork,
    EvTargetSoc,
    InjectFault,
    LocalAuthList,
    PlugConnector,
    PowerUpdate,
    StartSession,
    StopTransaction,
)
from domain.ledger import Ledger
from domain.protocol import FaultType, OcppVersion, StopReason, fault_type_named

printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=36)
connector = st.integers(min_value=1, max_value=8)


@given(id_tag=printable, connector_id=connector, power=st.floats(min_value=1, max_value=1e6))
def test_a_valid_start_session_round_trips_through_json(id_tag: str, connector_id: int, power: float) -> None:
    payload = StartSession(id_tag=id_tag, connector_id=connector_id, power_w=power)
    assert StartSession.model_validate(payload.wire()) == payload


@given(id_tag=st.text(min_size=37, max_size=60))
def test_id_tags_longer_than_any_ocpp_version_allows_are_refused(id_tag: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Authorize(id_tag=id_tag)
    assert refused.value.errors()[0]["loc"] == ("id_tag",)


@given(id_tag=st.text(alphabet=" \t\n\u00e9\u4e2d", min_size=1, max_size=10))
def test_id_tags_with_spaces_or_non_ascii_are_refused(id_tag: str) -> None:
    with pytest.raises(ValidationError):
        Authorize(id_tag=id_tag)


@given(connector_id=st.integers(max_value=0))
def test_connector_zero_or_below_is_refused_outside_faults(connector_id: int) -> None:
    with pytest.raises(ValidationError):
        PlugConnector(connector_id=connector_id)


def test_connector_zero_means_the_whole_charger_for_faults() -> None:
    assert InjectFault(connector_id=0, fault_type=FaultType.GROUND_FAILURE).connector() == 0
    assert ClearFault(connector_id=0).connector() == 0


@given(power=st.floats(max_value=-1e-9, allow_nan=False))
def test_negative_power_is_refused(power: float) -> None:
    with pytest.raises(ValidationError) as refused:
        PowerUpdate(power_w=power)
    assert refused.value.errors()[0]["loc"] == ("power_w",)


@given(field=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_unknown_fields_are_refused_and_named(field: str) -> None:
    if field in PlugConnector.model_fields:
        return
    with pytest.raises(ValidationError) as refused:
        PlugConnector.model_validate({field: 1})
    assert refused.value.errors()[0]["loc"] == (field,)


@given(
    version=st.sampled_from(list(OcppVersion)),
    connector_count=st.integers(min_value=1, max_value=4),
    connector_id=st.integers(min_value=1, max_value=6),
    evse_id=st.none() | st.integers(min_value=1, max_value=6),
)
def test_a_connector_command_applies_exactly_when_its_connector_exists(
    version: OcppVersion, connector_count: int, connector_id: int, evse_id: int | None
) -> None:
    payload = PlugConnector(connector_id=None if evse_id else connector_id, evse_id=evse_id)
    rejection = payload.rejection(version, connector_count)
    target = evse_id or connector_id
    if target > connector_count:
        assert rejection is not None and rejection.code == "connector_not_found"
    else:
        assert rejection is None


@given(evse_id=st.integers(min_value=1, max_value=4), connector_id=st.integers(min_value=1, max_value=4))
def test_on_ocpp16_an_evse_id_is_taken_when_it_agrees_with_the_connector_id(
    evse_id: int, connector_id: int
) -> None:
    rejection = PlugConnector(evse_id=evse_id, connector_id=connector_id).rejection(OcppVersion.V16, 4)
    if evse_id == connector_id:
        assert rejection is None
    else:
        assert rejection is not None and rejection.code == "not_applicable"
        assert "disagree" in rejection.message


@given(reason=st.sampled_from(list(StopReason)), version=st.sampled_from(list(OcppVersion)))
def test_a_stop_reason_applies_only_to_versions_that_define_it(
    reason: StopReason, version: OcppVersion
) -> None:
    from domain.commands import StopSession
    from domain.protocol import STOP_REASONS

    rejection = StopSession(reason=reason).rejection(version, 1)
    assert (rejection is None) == (reason in STOP_REASONS[version])


@given(
    list_version=st.integers(min_value=1, max_value=2**31 - 1),
    tags=st.lists(printable, max_size=5),
)
def test_a_local_list_round_trips_and_checks_each_tag_for_the_version(
    list_version: int, tags: list[str]
) -> None:
    payload = LocalAuthList(
        list_version=list_version,
        update_type="Full",
        entries=[{"id_tag": t, "status": "Accepted"} for t in tags],
    )
    assert LocalAuthList.model_validate(payload.wire()) == payload
    too_long_for_16 = any(len(t) > 20 for t in tags)
    assert (payload.rejection(OcppVersion.V16, 1) is not None) == too_long_for_16
    assert payload.rejection(OcppVersion.V201, 1) is None


def test_every_payload_type_is_a_connector_command_or_has_no_connector() -> None:
    for payload_type in PAYLOAD_TYPES.values():
        assert issubclass(payload_type, CommandPayload)
        if issubclass(payload_type, ConnectorCommand):
            assert "connector_id" in payload_type.model_fields


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    ledger.create_tables()
    return ledger


@settings(max_examples=50, deadline=None)
@given(
    payload=st.one_of(
        st.builds(
            StartSession, id_tag=printable, connector_id=connector, target_energy_kwh=st.floats(0.1, 100)
        ),
        st.builds(PowerUpdate, power_w=st.floats(0, 1e6), connector_id=connector),
        st.builds(InjectFault, fault_type=st.sampled_from(list(FaultType)), connector_id=st.integers(0, 8)),
        st.builds(DropNetwork, seconds=st.floats(0.001, 86_400)),
        st.builds(
            EvTargetSoc,
            target_soc=st.floats(0.5, 100),
            soc=st.none() | st.floats(0, 100),
            connector_id=connector,
        ),
    )
)
def test_every_payload_is_stored_and_read_back_unchanged(ledger: Ledger, payload: CommandPayload) -> None:
    from domain.catalog import find_model
    from domain.charger import Charger, ChargerSettings

    charger = Charger.register(
        tenant="acme",
        identity=f"CP-{uuid4().hex[:8]}",
        model=find_model("kempower", "t-series-40"),
        settings=ChargerSettings(
            name="n", connector_type="CCS2", ocpp_version=OcppVersion.V201, ws_url="ws://h/o"
        ),
        location_id=None,
        requested_by="t",
    )
    charger.running = True
    try:
        charger.queue(uuid4(), payload, "charger", "t", "api", uuid4())
    except Exception:  # not applicable to an 8-connector request on a 2-connector charger: fine
        return
    ledger.save(charger)
    stored = list(ledger.events.get(charger.id))[-1]
    assert isinstance(stored, Charger.CommandQueued)
    assert stored.payload == payload
    assert type(stored.payload) is type(payload)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("OverCurrent", FaultType.OVER_CURRENT_FAILURE),  # OCPPLAB's docstring example
        ("OverCurrentFailure", FaultType.OVER_CURRENT_FAILURE),
        ("groundfault", FaultType.GROUND_FAILURE),
        ("HighTemperature", FaultType.HIGH_TEMPERATURE),
        ("EVCommunication", FaultType.EV_COMMUNICATION_ERROR),
        ("Gremlins", None),
        ("NoError", None),  # not a fault
    ],
)
def test_fault_names_map_to_the_ocpp_16_error_code(name: str, code: FaultType | None) -> None:
    assert fault_type_named(name) is code


@pytest.mark.parametrize(
    ("model", "recorded"),
    [
        # as recorded before OCPPLAB's shapes: no transaction_id, configuration as a list of items
        (StopTransaction, {"connector_id": 1, "evse_id": None, "reason": "Local"}),
        (Configuration, {"configuration": [{"key": "HeartbeatInterval", "value": "30"}]}),
        (
            LocalAuthList,
            {
                "list_version": 3,
                "update_type": "Differential",
                "entries": [{"id_tag": "T", "expiry_date": None, "status": None, "parent_id_tag": None}],
            },
        ),
    ],
)
def test_payloads_recorded_before_the_sdk_shapes_still_decode(
    model: type[CommandPayload], recorded: dict[str, object]
) -> None:
    payload = model.model_validate(recorded)  # how infra.transcoding decodes a stored payload
    assert payload.model_dump(mode="json", by_alias=True, include=set(recorded)) == recorded


@pytest.mark.parametrize(
    ("payload_type", "fields", "named"),
    [
        (DropNetwork, {"seconds": 0}, "seconds"),
        (DropNetwork, {"seconds": 86_401}, "seconds"),
        (DropNetwork, {}, "seconds"),
        (EvTargetSoc, {"target_soc": 0}, "target_soc"),
        (EvTargetSoc, {"target_soc": 101}, "target_soc"),
        (EvTargetSoc, {"target_soc": 80, "soc": -1}, "soc"),
    ],
)
def test_charger_side_events_refuse_bad_values_naming_the_field(
    payload_type: type[CommandPayload], fields: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError) as error:
        payload_type.model_validate(fields)
    assert [e["loc"][0] for e in error.value.errors()] == [named]
