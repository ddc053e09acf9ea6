"""Authorizing an id tag, on both versions: the local list and the cache decide offline and, for a tag
they accept, before asking; otherwise the CSMS decides, and its answer goes into the cache."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from domain.chargepoint import ChargePoint
from domain.connector_state import LocalListEntry
from domain.failures import FailureCode
from ocpp_bridge.core.authorization import AuthorizationSettings, authorize
from ocpp_bridge.core.effects import Effect, SendCall
from ocpp_bridge.core.errors import CommandError
from tests.unit.cores.charger import charge_point
from tests.unit.cores.drive import TIMEOUT, drive, ok

DEFAULTS = AuthorizationSettings(
    local_list_enabled=True, cache_enabled=True, offline=True, pre_authorize=False
)
REQUEST = {"Authorize": "TAG-1"}  # stands for the version's call: the step only hands it on


def status_of(answer: Any) -> str:
    return str(answer["status"])


def run(
    cp: ChargePoint, answers: list[Any], settings: AuthorizationSettings = DEFAULTS, *, online: bool = True
) -> tuple[list[Effect], str]:
    step = authorize(
        cp, "TAG-1", settings, online=online, request=REQUEST, status_of=status_of, command_id=None
    )
    return drive(step, answers)


def authorized_events(cp: ChargePoint) -> list[tuple[str, str]]:
    return [(e.status, e.source) for e in cp.collect_events() if isinstance(e, ChargePoint.Authorized)]


def test_online_the_csms_decides_and_its_answer_is_cached() -> None:
    cp = charge_point()
    effects, status = run(cp, [ok({"status": "Blocked"})])
    assert (effects, status) == ([SendCall(REQUEST)], "Blocked")
    assert authorized_events(cp) == [("Blocked", "csms")]
    assert cp.auth_cache == {"TAG-1": "Blocked"}


def test_offline_the_local_list_decides_before_the_cache() -> None:
    cp = charge_point()
    cp.authorized("TAG-1", "Accepted", "csms", None)  # cached
    cp.local_list_changed(1, "Full", [LocalListEntry(id_tag="TAG-1", status="Blocked")], [], None)
    cp.collect_events()
    effects, status = run(cp, [], online=False)
    assert (effects, status) == ([], "Blocked")
    assert authorized_events(cp) == [("Blocked", "local")]


def test_offline_the_cache_decides_when_the_list_does_not_know_the_tag() -> None:
    cp = charge_point()
    cp.authorized("TAG-1", "Accepted", "csms", None)
    assert run(cp, [], online=False) == ([], "Accepted")


@pytest.mark.parametrize(
    "settings",
    [DEFAULTS, replace(DEFAULTS, offline=False)],
    ids=["unknown tag", "LocalAuthorizeOffline false"],
)
def test_offline_without_a_local_answer_the_command_fails_not_connected(
    settings: AuthorizationSettings,
) -> None:
    cp = charge_point()
    if not settings.offline:
        cp.authorized("TAG-1", "Accepted", "csms", None)  # known, but offline authorization is off
    with pytest.raises(CommandError) as refused:
        run(cp, [], settings, online=False)
    assert refused.value.code is FailureCode.CHARGER_NOT_CONNECTED


def test_offline_an_unknown_tag_is_accepted_when_allow_offline_tx_for_unknown_id() -> None:
    cp = charge_point()
    cp.local_list_changed(1, "Full", [LocalListEntry(id_tag="TAG-1", status="Blocked")], [], None)
    assert run(cp, [], replace(DEFAULTS, offline_unknown=True), online=False) == ([], "Blocked")  # known
    assert run(charge_point(), [], replace(DEFAULTS, offline_unknown=True), online=False) == ([], "Accepted")


def test_a_disabled_list_or_cache_is_not_consulted() -> None:
    cp = charge_point()
    cp.authorized("TAG-1", "Accepted", "csms", None)
    with pytest.raises(CommandError):
        run(cp, [], replace(DEFAULTS, cache_enabled=False), online=False)


def test_pre_authorize_accepts_a_known_tag_without_asking_and_asks_about_the_rest() -> None:
    cp = charge_point()
    settings = replace(DEFAULTS, pre_authorize=True)
    cp.authorized("TAG-1", "Accepted", "csms", None)
    cp.collect_events()
    assert run(cp, [], settings) == ([], "Accepted")
    assert authorized_events(cp) == [("Accepted", "local")]
    cp.authorized("TAG-1", "Blocked", "csms", None)  # a tag the cache does not accept is asked about
    effects, status = run(cp, [ok({"status": "Accepted"})], settings)
    assert (effects, status) == ([SendCall(REQUEST)], "Accepted")


def test_a_csms_that_fails_to_answer_fails_the_authorization_with_its_code() -> None:
    cp = charge_point()
    with pytest.raises(CommandError) as failed:
        run(cp, [TIMEOUT])
    assert failed.value.code is FailureCode.CSMS_TIMEOUT
    assert authorized_events(cp) == []
