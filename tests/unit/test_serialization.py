"""The patched payload serialiser (infra.patches) gives the ocpp library's output, faster."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16 import datatypes as types16
from ocpp.v16 import enums as enums16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201
from ocpp.v201 import enums as enums201

from infra.patches import library_serialize_as_dict, serialize_as_dict

SAMPLE_16 = types16.SampledValue(
    value="1234",
    context=enums16.ReadingContext.sample_periodic,
    measurand=enums16.Measurand.energy_active_import_register,
    unit=enums16.UnitOfMeasure.wh,
)
SAMPLE_201 = types201.SampledValueType(
    value=12.5,
    measurand=enums201.MeasurandEnumType.power_active_import,
    unit_of_measure=types201.UnitOfMeasureType(unit="kW"),
)

PAYLOADS: list[Any] = [
    call16.BootNotification(charge_point_model="Terra 184", charge_point_vendor="ABB"),
    call16.Heartbeat(),
    call16.MeterValues(
        connector_id=1,
        transaction_id=7,
        meter_value=[types16.MeterValue(timestamp="2026-01-01T00:00:00Z", sampled_value=[SAMPLE_16] * 5)],
    ),
    call16.StatusNotification(
        connector_id=1,
        error_code=enums16.ChargePointErrorCode.no_error,
        status=enums16.ChargePointStatus.available,
    ),
    result16.GetConfiguration(
        configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "60"}], unknown_key=["X"]
    ),
    call201.TransactionEvent(
        event_type=enums201.TransactionEventEnumType.updated,
        timestamp="2026-01-01T00:00:00Z",
        trigger_reason=enums201.TriggerReasonEnumType.meter_value_periodic,
        seq_no=3,
        transaction_info=types201.TransactionType(transaction_id="tx-1"),
        meter_value=[
            types201.MeterValueType(timestamp="2026-01-01T00:00:00Z", sampled_value=[SAMPLE_201] * 3)
        ],
    ),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: type(p).__name__)
def test_it_serialises_exactly_as_the_library(payload: Any) -> None:
    assert serialize_as_dict(payload) == library_serialize_as_dict(payload)


def test_the_result_shares_no_mutable_container_with_the_payload() -> None:
    payload = PAYLOADS[2]
    serialized = serialize_as_dict(payload)
    serialized["meter_value"][0]["sampled_value"].clear()
    assert len(payload.meter_value[0].sampled_value) == 5
