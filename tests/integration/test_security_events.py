"""SecurityEventNotification on both versions, against the test CSMS: our report-security-event command
(sent online, by the version's name; a critical one queued offline and delivered after the next boot,
before the statuses; a non-critical one offline only logged), and the events of a refused connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, get_args
from uuid import UUID

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.commands import Configuration, ConfigurationItem, ReportSecurityEvent, SecurityEventType
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.core.certificates.events import SecurityEvent
from tests.conftest import Api
from tests.integration.v16_support import mark, offline, received
from tests.lab import Lab, running_lab


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


async def report(lab: Lab, charger: UUID, kind: str, tech_info: str | None = None) -> dict[str, object]:
    outcome = await lab.run(charger, ReportSecurityEvent(type=kind, tech_info=tech_info))
    assert outcome["status"] == "completed", outcome
    result = outcome["result"]
    assert isinstance(result, dict)
    return result


def test_the_command_knows_every_security_event_of_the_core() -> None:
    assert set(get_args(SecurityEventType)) == {e.value for e in SecurityEvent}


@pytest.mark.parametrize(
    ("version", "name"),
    [(OcppVersion.V16, "InvalidCentralSystemCertificate"), (OcppVersion.V201, "InvalidCsmsCertificate")],
)
async def test_a_reported_event_is_sent_by_the_versions_name(
    lab: Lab, version: OcppVersion, name: str
) -> None:
    identity = f"CP-EVENT-{version.value}"
    charger = await lab.register(identity, version)
    await lab.booted(identity)
    result = await report(lab, charger, "InvalidCsmsCertificate", "test")
    assert result["status"] == "Sent"
    (sent,) = lab.csms.messages(identity, "SecurityEventNotification")
    assert (sent.payload["type"], sent.payload["tech_info"]) == (name, "test")
    only_201 = await report(lab, charger, "MaintenanceLoginFailed")
    assert only_201["status"] == ("NotSupported" if version is OcppVersion.V16 else "Sent")


async def test_a_critical_event_offline_is_delivered_after_the_next_boot(lab: Lab) -> None:
    lab.bridge.station_settings.online_wait = 0.2  # offline is the point here: do not wait for the CSMS
    charger = await lab.register("CP-1")
    await lab.booted("CP-1")
    port = lab.csms.port
    await lab.csms.stop()
    await offline(lab, charger)
    assert (await report(lab, charger, "TamperDetectionActivated"))["status"] == "Queued"
    assert (await report(lab, charger, "InvalidMessages"))["status"] == "NotSent"  # not critical
    at = mark(lab, "CP-1")
    await lab.csms.start(port=port)
    _, event, _ = await received(
        lab, "CP-1", at, ["BootNotification", "SecurityEventNotification", "Status 0 Available"]
    )
    assert event.payload["type"] == "TamperDetectionActivated"
    assert len(lab.csms.messages("CP-1", "SecurityEventNotification")) == 1


@pytest.mark.parametrize("version", [OcppVersion.V16, OcppVersion.V201])
async def test_with_startup_events_on_a_reset_is_reported_after_the_reboot(
    lab: Lab, version: OcppVersion
) -> None:
    identity = f"CP-RESET-{version.value}"
    charger = await lab.register(identity, version)
    await lab.booted(identity)
    item = ConfigurationItem(key="ReportStartupSecurityEvents", value="true")
    assert (await lab.run(charger, Configuration(configuration=[item])))["status"] == "completed"
    reset: Any = call16.Reset(type="Soft") if version is OcppVersion.V16 else call201.Reset(type="Immediate")
    assert (await lab.csms.call(identity, reset)).status == "Accepted"
    await lab.csms.wait_for(lambda: len(lab.csms.messages(identity, "BootNotification")) == 2)
    (event,) = await lab.csms.wait_for(lambda: lab.csms.messages(identity, "SecurityEventNotification"))
    assert event.payload["type"] == "ResetOrReboot"
    after = lab.csms.actions(identity)[lab.csms.actions(identity).index("BootNotification", 1) :]
    assert after[:2] == ["BootNotification", "SecurityEventNotification"]  # before the statuses


def test_an_unknown_security_event_is_refused_naming_the_field(api: Api) -> None:
    body = {"target": {"charger_id": "CP-1"}, "event": {"type": "SomethingHappened"}}
    response = api.post("/ocpp/commands/report-security-event", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "event", "type"]
    long = {"target": {"charger_id": "CP-1"}, "event": {"type": "ResetOrReboot", "tech_info": "x" * 256}}
    response = api.post("/ocpp/commands/report-security-event", json=long)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "event", "tech_info"]
