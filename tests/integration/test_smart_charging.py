"""Smart charging against the test CSMS, both versions (schema validation on): profiles stacked by purpose
and level give the composite schedule the charger answers and the power its meter delivers; a schedule
period that ends changes the power at that instant; 2.0.1 GetChargingProfiles is answered with
ReportChargingProfiles; a restarted station keeps its profiles (they are rebuilt from its events).

Simulated time runs 100 times faster than the wall clock (tests.lab.SPEED): 300 s of a schedule take 3 s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.chargepoint import ChargePoint
from domain.commands import StartSession, StopSession
from domain.protocol import OcppVersion
from gateway.context import Context
from ocpp_bridge.core.smart_charging.store import ProfileStore
from ocpp_bridge.lab.csms import Behaviour
from ocpp_bridge.runtime.smart_charging import SmartChargingStation
from tests.integration.v16_support import (
    booted_charger,
    charging,
    fresh_sample,
    ledger_until,
    mark,
    received,
    recorded,
)
from tests.lab import Lab, running_lab
from tests.unit.cores.smart_charging_cases import v16_payload, v201_payload

CP, CS = "CP-1", "CS-1"
# At the boundary, give or take the event loop's delays under load (1.2 s of real time); samples are an
# hour apart in these tests, so only the profile's timer changes the power this close to it.
ON_TIME = timedelta(seconds=120)
BOUNDARY_S = 300  # where a schedule's second period starts: 3 s from now, time for the calls before it


@pytest.fixture
async def lab(context: Context) -> AsyncIterator[Lab]:
    async with running_lab(context) as lab:
        yield lab


def whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def offset(at: datetime, schedule_start: str) -> int:
    """Seconds from a composite schedule's start to `at` (where a period of it begins)."""
    return round((at - datetime.fromisoformat(schedule_start)).total_seconds())


def periods(schedule: dict[str, Any]) -> list[tuple[int, float]]:
    return [(p["start_period"], p["limit"]) for p in schedule["charging_schedule_period"]]


def profile_store(lab: Lab, charger: UUID) -> ProfileStore:
    station = lab.station(charger)
    assert isinstance(station, SmartChargingStation)
    return station.profile_store


async def restart_station(lab: Lab, charger: UUID, identity: str) -> None:
    """Stop the charger's station and start a new one from its recorded events (as a bridge restart
    does), then wait until it has booted again."""
    boots = len(lab.csms.messages(identity, "BootNotification"))
    await lab.bridge.remove_station(charger, "restarted by the test")
    assert await lab.bridge.add_station(charger) is not None
    await lab.csms.wait_for(lambda: len(lab.csms.messages(identity, "BootNotification")) > boots)


# --- OCPP 1.6 ---------------------------------------------------------------------------------------


async def stacked_v16(lab: Lab, start: datetime) -> None:
    """A charger-wide maximum of 15 kW over a TxDefaultProfile of 30 kW (level 0) and, for the first
    hour, one of 20 kW then 10 kW from 30 min (level 1)."""
    for connector, profile in (
        (0, v16_payload(1, "TxDefaultProfile", (0, 30_000), start=start)),
        (
            0,
            v16_payload(
                2, "TxDefaultProfile", (0, 20_000), (1800, 10_000), stack_level=1, start=start, duration=3600
            ),
        ),
        (0, v16_payload(3, "ChargePointMaxProfile", (0, 15_000), start=start)),
    ):
        answer = await lab.csms.call(
            CP, call16.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile)
        )
        assert answer.status == "Accepted", profile


async def test_v16_stacked_profiles_give_the_composite_schedule_and_cap_the_power(lab: Lab) -> None:
    charger = await booted_charger(lab)
    empty = await lab.csms.call(CP, call16.GetCompositeSchedule(connector_id=1, duration=600))
    # No profile: the hardware's maximum (90 kW a connector: 180 kW DC shared by two), as a schedule.
    assert (empty.status, periods(empty.charging_schedule)) == ("Accepted", [(0, 90_000)])
    await charging(lab, charger, power_w=50_000)
    start = whole_second(lab.clock.now())
    await stacked_v16(lab, start)

    answer = await lab.csms.call(
        CP, call16.GetCompositeSchedule(connector_id=1, duration=7200, charging_rate_unit="W")
    )
    assert answer.status == "Accepted" and answer.connector_id == 1
    begin = answer.schedule_start
    assert periods(answer.charging_schedule) == [
        (0, 15_000),  # the maximum caps the 20 kW of level 1
        (offset(start + timedelta(seconds=1800), begin), 10_000),  # level 1's second period
        (offset(start + timedelta(seconds=3600), begin), 15_000),  # level 1 ended: level 0's 30 kW, capped
    ]
    assert await power_at(lab) == 15_000

    # A level-1 replacement (same purpose, level and connector) and a clear by purpose and level.
    higher = v16_payload(4, "TxDefaultProfile", (0, 5_000), stack_level=1, start=start)
    replaced = await lab.csms.call(CP, call16.SetChargingProfile(connector_id=0, cs_charging_profiles=higher))
    assert replaced.status == "Accepted"
    assert await power_at(lab) == 5_000
    cleared = await lab.csms.call(
        CP, call16.ClearChargingProfile(charging_profile_purpose="TxDefaultProfile", stack_level=1)
    )
    assert cleared.status == "Accepted"
    assert await power_at(lab) == 15_000
    installed = [e.profile_id for e in recorded(lab, charger, ChargePoint.ChargingProfileInstalled)]
    removed = [e.profile_ids for e in recorded(lab, charger, ChargePoint.ChargingProfilesRemoved)]
    assert (installed, removed) == ([1, 2, 3, 4], [[2], [4]])


async def power_at(lab: Lab, identity: str = CP, connector_id: int = 1) -> float:
    return float((await fresh_sample(lab, identity, connector_id))["Power.Active.Import"])


async def test_v16_connectors_charging_at_once_share_the_charge_point_maximum(lab: Lab) -> None:
    charger = await booted_charger(lab)
    start = whole_second(lab.clock.now())
    maximum = v16_payload(1, "ChargePointMaxProfile", (0, 30_000), start=start)
    answer = await lab.csms.call(CP, call16.SetChargingProfile(connector_id=0, cs_charging_profiles=maximum))
    assert answer.status == "Accepted"
    await charging(lab, charger, power_w=50_000)
    assert await power_at(lab) == 30_000  # alone, it may take the whole maximum
    await charging(lab, charger, connector_id=2, id_tag="TAG-2", power_w=50_000)
    assert (await power_at(lab), await power_at(lab, connector_id=2)) == (15_000, 15_000)
    grid = await lab.csms.call(CP, call16.GetCompositeSchedule(connector_id=0, duration=60))
    assert periods(grid.charging_schedule) == [(0, 30_000)]  # what the two may draw together
    at = mark(lab, CP)
    await lab.run(charger, StopSession(connector_id=2))
    await received(lab, CP, at, ["StopTransaction Local", "Status 2 Finishing", "Status 2 Available"])
    assert await power_at(lab) == 30_000  # the one left takes it all again


async def test_v16_the_smart_charging_keys_are_read_only_and_bound_what_is_accepted(lab: Lab) -> None:
    await booted_charger(lab)
    keys = ["ChargeProfileMaxStackLevel", "ChargingScheduleMaxPeriods", "MaxChargingProfilesInstalled"]
    got = await lab.csms.call(CP, call16.GetConfiguration(key=keys))
    values = {k["key"]: (k["readonly"], int(k["value"])) for k in got.configuration_key}
    assert set(values) == set(keys) and all(readonly for readonly, _ in values.values())
    change = await lab.csms.call(CP, call16.ChangeConfiguration(key="ChargeProfileMaxStackLevel", value="99"))
    assert change.status == "Rejected"
    start = whole_second(lab.clock.now())
    top = values["ChargeProfileMaxStackLevel"][1]
    for level, status in ((top, "Accepted"), (top + 1, "Rejected")):
        profile = v16_payload(level + 1, "TxDefaultProfile", (0, 1_000), stack_level=level, start=start)
        answer = await lab.csms.call(
            CP, call16.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
        )
        assert answer.status == status, level
    periods_max = values["ChargingScheduleMaxPeriods"][1]
    many = [(60 * n, 1_000 + n) for n in range(periods_max + 1)]
    too_long = v16_payload(50, "TxDefaultProfile", *many, start=start)
    answer = await lab.csms.call(CP, call16.SetChargingProfile(connector_id=1, cs_charging_profiles=too_long))
    assert answer.status == "Rejected"


async def test_v16_the_power_changes_at_a_schedule_period_boundary(lab: Lab) -> None:
    charger = await booted_charger(lab)
    # Samples an hour apart: only the profile's timer can move the power at the boundary.
    answer = await lab.csms.call(CP, call16.ChangeConfiguration(key="MeterValueSampleInterval", value="3600"))
    assert answer.status == "Accepted"
    transaction_id = int(await charging(lab, charger, power_w=50_000))
    start = whole_second(lab.clock.now())
    boundary = start + timedelta(seconds=BOUNDARY_S)
    at = mark(lab, CP)
    profile = v16_payload(
        9, "TxProfile", (0, 20_000), (BOUNDARY_S, 0), start=start, transaction_id=transaction_id
    )
    set_answer = await lab.csms.call(
        CP, call16.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
    )
    assert set_answer.status == "Accepted"

    # At the boundary: a sample at 0 W, then SuspendedEVSE (the charger offers nothing).
    await received(lab, CP, at, ["Status 1 SuspendedEVSE"], timeout=15)
    samples = recorded(lab, charger, ChargePoint.MeterSampled)
    stopped = next(s for s in samples if s.power_w == 0.0)
    assert boundary <= datetime.fromisoformat(stopped.sampled_at) < boundary + ON_TIME
    before = [s.power_w for s in samples if datetime.fromisoformat(s.sampled_at) < boundary]
    assert before[-1] == 20_000
    limits = [e.limit_w for e in recorded(lab, charger, ChargePoint.ChargingLimitChanged)]
    assert limits == [20_000, 0.0]

    # The TxProfile ends with its transaction: the next one charges at full power.
    at = mark(lab, CP)
    await lab.csms.call(CP, call16.RemoteStopTransaction(transaction_id=transaction_id))
    await received(lab, CP, at, ["StopTransaction Remote", "Status 1 Finishing"])
    removed = await ledger_until(
        lab, lambda: recorded(lab, charger, ChargePoint.ChargingProfilesRemoved) or None
    )
    assert [e.profile_ids for e in removed] == [[9]]


async def test_v16_a_remote_start_profile_binds_to_its_transaction_and_survives_a_restart(lab: Lab) -> None:
    charger = await booted_charger(lab)
    profile = v16_payload(5, "TxProfile", (0, 5_000), kind="Relative", start=None)
    at = mark(lab, CP)
    answer = await lab.csms.call(
        CP, call16.RemoteStartTransaction(id_tag="REMOTE-1", connector_id=1, charging_profile=profile)
    )
    assert answer.status == "Accepted"
    await received(lab, CP, at, ["Status 1 Preparing", "StartTransaction", "Status 1 Charging"])
    assert await power_at(lab) == 5_000  # below any EV's maximum
    (started,) = recorded(lab, charger, ChargePoint.TransactionStarted)
    bound = await ledger_until(
        lab,
        lambda: (
            [
                e
                for e in recorded(lab, charger, ChargePoint.ChargingProfileInstalled)
                if e.record and f'"transaction_id":"{started.transaction_id}"' in e.record
            ]
            or None
        ),
    )
    assert [e.profile_id for e in bound] == [5]
    kept = profile_store(lab, charger)

    await restart_station(lab, charger, CP)
    assert profile_store(lab, charger) == kept
    schedule = await lab.csms.call(CP, call16.GetCompositeSchedule(connector_id=1, duration=300))
    assert periods(schedule.charging_schedule) == [(0, 5_000)]
    assert await power_at(lab) == 5_000
    # The profile of a remote start must be a TxProfile: the start is rejected with it.
    start_time = whole_second(lab.clock.now())
    other = v16_payload(6, "TxDefaultProfile", (0, 1_000), start=start_time)
    rejected = await lab.csms.call(
        CP, call16.RemoteStartTransaction(id_tag="REMOTE-2", connector_id=2, charging_profile=other)
    )
    assert rejected.status == "Rejected"


async def test_v16_a_remote_start_cut_short_by_a_restart_drops_its_profile(context: Context) -> None:
    # The start waits on a slow Authorize; the station restarts meanwhile and never carries it out.
    async with running_lab(context, Behaviour(slow_actions={"Authorize": 3.0})) as lab:
        charger = await booted_charger(lab)
        answer = await lab.csms.call(
            CP, call16.ChangeConfiguration(key="AuthorizeRemoteTxRequests", value="true")
        )
        assert answer.status == "Accepted"
        profile = v16_payload(8, "TxProfile", (0, 5_000), kind="Relative", start=None)
        started = await lab.csms.call(
            CP, call16.RemoteStartTransaction(id_tag="REMOTE-9", connector_id=1, charging_profile=profile)
        )
        assert started.status == "Accepted"
        await lab.csms.wait_for(lambda: lab.csms.messages(CP, "Authorize"))
        assert [e.profile.id for e in profile_store(lab, charger).installed] == [8]
        await restart_station(lab, charger, CP)
        assert profile_store(lab, charger).installed == ()
        removed = recorded(lab, charger, ChargePoint.ChargingProfilesRemoved)
        assert [e.profile_ids for e in removed] == [[8]]
        assert "StartTransaction" not in lab.csms.actions(CP)


# --- OCPP 2.0.1 ---------------------------------------------------------------------------------------


async def boot_v201(lab: Lab) -> UUID:
    charger = await lab.register(CS, OcppVersion.V201)
    await lab.csms.wait_for(lambda: len(lab.csms.messages(CS, "NotifyEvent")) >= 2)
    return charger


async def session_v201(lab: Lab, charger: UUID, evse: int = 1) -> str:
    outcome = await lab.run(charger, StartSession(id_tag="TAG-1", evse_id=evse, power_w=50_000))
    assert outcome["status"] == "completed", outcome
    return str(outcome["result"]["transaction_id"])


async def reported(lab: Lab, request_id: int) -> None:
    """Wait for the last ReportChargingProfiles of a request (tbc false)."""
    await lab.csms.wait_for(
        lambda: any(
            m.payload["request_id"] == request_id and not m.payload.get("tbc")
            for m in lab.csms.messages(CS, "ReportChargingProfiles")
        )
    )


def transaction_events(lab: Lab, position: int) -> list[dict[str, Any]]:
    return [m.payload for m in lab.csms.messages(CS)[position:] if m.action == "TransactionEvent"]


def event_power(event: dict[str, Any]) -> float:
    values = [v for mv in event.get("meter_value", []) for v in mv["sampled_value"]]
    return float(next(v["value"] for v in values if v.get("measurand") == "Power.Active.Import"))


async def test_v201_stacked_profiles_the_composite_and_a_rate_change_at_the_boundary(lab: Lab) -> None:
    charger = await boot_v201(lab)
    await lab.csms.call(
        CS,
        call201.SetVariables(
            set_variable_data=[
                {
                    "component": {"name": "SampledDataCtrlr"},
                    "variable": {"name": "TxUpdatedInterval"},
                    "attribute_value": "3600",
                }
            ]
        ),
    )
    transaction_id = await session_v201(lab, charger)
    start = whole_second(lab.clock.now())
    boundary = start + timedelta(seconds=BOUNDARY_S)
    for evse, profile in (
        (0, v201_payload(1, "ChargingStationMaxProfile", (0, 40_000), start=start)),
        (1, v201_payload(2, "TxDefaultProfile", (0, 30_000), start=start)),
        (
            1,
            v201_payload(
                3,
                "TxProfile",
                (0, 20_000),
                (BOUNDARY_S, 8_000),
                stack_level=1,
                start=start,
                duration=900,
                transaction_id=transaction_id,
            ),
        ),
    ):
        answer = await lab.csms.call(CS, call201.SetChargingProfile(evse_id=evse, charging_profile=profile))
        assert answer.status == "Accepted", (answer, profile)
    same_level = v201_payload(4, "TxDefaultProfile", (0, 1_000), start=start)
    duplicate = await lab.csms.call(CS, call201.SetChargingProfile(evse_id=1, charging_profile=same_level))
    assert (duplicate.status, duplicate.status_info["reason_code"]) == ("Rejected", "DuplicateProfile")

    composite = await lab.csms.call(
        CS, call201.GetCompositeSchedule(evse_id=1, duration=3600, charging_rate_unit="W")
    )
    assert composite.status == "Accepted"
    schedule = composite.schedule
    assert schedule["evse_id"] == 1
    begin = schedule["schedule_start"]
    assert periods(schedule) == [
        (0, 20_000),  # the TxProfile overrules the TxDefaultProfile
        (offset(boundary, begin), 8_000),
        (offset(start + timedelta(seconds=900), begin), 30_000),  # its schedule ended: the default's
    ]

    at = mark(lab, CS)
    # At the boundary: TransactionEvent Updated, ChargingRateChanged, with the new power.
    await lab.csms.wait_for(
        lambda: any(e["trigger_reason"] == "ChargingRateChanged" for e in transaction_events(lab, at)), 15
    )
    rate = next(e for e in transaction_events(lab, at) if e["trigger_reason"] == "ChargingRateChanged")
    assert rate["event_type"] == "Updated" and rate["transaction_info"]["transaction_id"] == transaction_id
    assert event_power(rate) == 8_000
    assert boundary <= datetime.fromisoformat(rate["timestamp"]) < boundary + ON_TIME
    samples = recorded(lab, charger, ChargePoint.MeterSampled)
    changed = next(s for s in samples if s.power_w == 8_000)
    assert boundary <= datetime.fromisoformat(changed.sampled_at) < boundary + ON_TIME


async def test_v201_the_smart_charging_ctrlr_variables_are_reported(lab: Lab) -> None:
    await boot_v201(lab)
    names = ["ProfileStackLevel", "PeriodsPerSchedule", "Entries"]
    got = await lab.csms.call(
        CS,
        call201.GetVariables(
            get_variable_data=[
                {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": n}} for n in names
            ]
        ),
    )
    results = got.get_variable_result
    assert [r["attribute_status"] for r in results] == ["Accepted"] * 3
    assert all(int(r["attribute_value"]) > 0 for r in results)


async def test_v201_get_charging_profiles_reports_what_matches_the_criteria(lab: Lab) -> None:
    charger = await boot_v201(lab)
    start = whole_second(lab.clock.now())
    for evse, profile in (
        (0, v201_payload(1, "ChargingStationMaxProfile", (0, 40_000), start=start)),
        (0, v201_payload(2, "TxDefaultProfile", (0, 30_000), start=start)),
        (2, v201_payload(3, "TxDefaultProfile", (0, 10_000), stack_level=1, start=start)),
    ):
        answer = await lab.csms.call(CS, call201.SetChargingProfile(evse_id=evse, charging_profile=profile))
        assert answer.status == "Accepted"

    at = mark(lab, CS)
    answer = await lab.csms.call(
        CS,
        call201.GetChargingProfiles(
            request_id=7, charging_profile={"charging_profile_purpose": "TxDefaultProfile"}
        ),
    )
    assert answer.status == "Accepted"
    await lab.csms.wait_for(lambda: len(lab.csms.messages(CS, "ReportChargingProfiles")) >= 2)
    reports = [m.payload for m in lab.csms.messages(CS)[at:] if m.action == "ReportChargingProfiles"]
    assert [
        (r["request_id"], r["evse_id"], r["charging_limit_source"], [p["id"] for p in r["charging_profile"]])
        for r in reports
    ] == [(7, 0, "CSO", [2]), (7, 2, "CSO", [3])]
    assert [r.get("tbc") for r in reports] == [True, False]

    # Only EVSE 2, by stack level: nothing; by id: the one.
    none = await lab.csms.call(
        CS, call201.GetChargingProfiles(request_id=8, evse_id=2, charging_profile={"stack_level": 0})
    )
    assert none.status == "NoProfiles"
    by_id = await lab.csms.call(
        CS, call201.GetChargingProfiles(request_id=9, charging_profile={"charging_profile_id": [1]})
    )
    assert by_id.status == "Accepted"
    await reported(lab, 9)
    assert not any(m.payload["request_id"] == 8 for m in lab.csms.messages(CS, "ReportChargingProfiles"))

    # Kept over a restart: the same report again.
    await restart_station(lab, charger, CS)
    at = mark(lab, CS)
    again = await lab.csms.call(CS, call201.GetChargingProfiles(request_id=10, charging_profile={}))
    assert again.status == "Accepted"
    await reported(lab, 10)
    after = [m.payload for m in lab.csms.messages(CS)[at:] if m.action == "ReportChargingProfiles"]
    assert [(r["evse_id"], [p["id"] for p in r["charging_profile"]]) for r in after] == [
        (0, [1, 2]),
        (2, [3]),
    ]


async def test_v201_a_request_start_profile_is_reported_with_its_transaction(lab: Lab) -> None:
    """As CitrineOS does: GetChargingProfiles right after a RequestStartTransaction with a profile."""
    charger = await boot_v201(lab)
    profile = v201_payload(21, "TxProfile", (0, 7_000), kind="Relative", start=None)
    answer = await lab.csms.call(
        CS,
        call201.RequestStartTransaction(
            id_token={"id_token": "REMOTE-1", "type": "ISO14443"},
            remote_start_id=3,
            evse_id=1,
            charging_profile=profile,
        ),
    )
    assert answer.status == "Accepted"
    await lab.csms.wait_for(lambda: any(e["event_type"] == "Started" for e in transaction_events(lab, 0)), 10)
    started = next(e for e in transaction_events(lab, 0) if e["event_type"] == "Started")
    transaction_id = started["transaction_info"]["transaction_id"]
    await ledger_until(
        lab,
        lambda: lab.station(charger).cp.connectors[1].limit_w == 7_000 or None,
    )
    report = await lab.csms.call(
        CS,
        call201.GetChargingProfiles(request_id=1, charging_profile={"charging_profile_purpose": "TxProfile"}),
    )
    assert report.status == "Accepted"
    await lab.csms.wait_for(lambda: lab.csms.messages(CS, "ReportChargingProfiles"))
    (sent,) = [m.payload for m in lab.csms.messages(CS, "ReportChargingProfiles")]
    assert [(p["id"], p.get("transaction_id")) for p in sent["charging_profile"]] == [(21, transaction_id)]


async def test_v201_a_report_the_csms_fails_leaves_the_profiles_as_they_were(context: Context) -> None:
    async with running_lab(context, Behaviour(failing_actions={"ReportChargingProfiles": 1})) as lab:
        await boot_v201(lab)
        start = whole_second(lab.clock.now())
        for evse, profile_id in ((0, 1), (2, 2)):
            profile = v201_payload(profile_id, "TxDefaultProfile", (0, 10_000), stack_level=evse, start=start)
            answer = await lab.csms.call(
                CS, call201.SetChargingProfile(evse_id=evse, charging_profile=profile)
            )
            assert answer.status == "Accepted"
        first = await lab.csms.call(CS, call201.GetChargingProfiles(request_id=1, charging_profile={}))
        assert first.status == "Accepted"
        # The first report got a CALLERROR: the charger stops reporting that request; the next is whole.
        second = await lab.csms.call(CS, call201.GetChargingProfiles(request_id=2, charging_profile={}))
        assert second.status == "Accepted"
        await reported(lab, 2)
        reports = [
            (m.payload["request_id"], m.payload["evse_id"])
            for m in lab.csms.messages(CS, "ReportChargingProfiles")
        ]
        assert reports == [(1, 0), (2, 0), (2, 2)]
