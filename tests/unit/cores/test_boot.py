"""Booting (1.6 4.2, 2.0.1 B01-B03): BootNotification until Accepted; Pending and Rejected wait."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from domain.chargepoint import ChargePoint
from domain.failures import FailureCode
from ocpp_bridge.core.boot import boot
from ocpp_bridge.core.effects import Answered, SendCall, Wait
from ocpp_bridge.core.errors import CommandError
from tests.unit.cores.charger import charge_point
from tests.unit.cores.drive import TIMEOUT, drive, ok

REQUEST = "BootNotification"  # stands for the version's call: the step only hands it on
SEND = SendCall(REQUEST, require_online=False)  # it goes before the charger counts as online


def answer(status: str, interval: int) -> Answered:
    return ok(SimpleNamespace(status=status, interval=interval))


def boot_statuses(cp: ChargePoint) -> list[tuple[str, int]]:
    return [(e.status, e.interval) for e in cp.collect_events() if isinstance(e, ChargePoint.BootAnswered)]


def test_an_accepted_boot_returns_the_heartbeat_interval() -> None:
    cp = charge_point()
    effects, interval = drive(boot(cp, REQUEST, own_wait_s=10.0), [answer("Accepted", 300)])
    assert (effects, interval) == ([SEND], 300)
    assert boot_statuses(cp) == [("Accepted", 300)]


def test_pending_and_rejected_wait_their_interval_or_the_chargers_own_then_boot_again() -> None:
    cp = charge_point()
    answers = [answer("Pending", 30), answer("Rejected", 0), answer("Accepted", 60)]
    effects, interval = drive(boot(cp, REQUEST, own_wait_s=10.0), answers)
    assert effects == [SEND, Wait(30.0), SEND, Wait(10.0), SEND]
    assert interval == 60
    assert boot_statuses(cp) == [("Pending", 30), ("Rejected", 0), ("Accepted", 60)]


def test_a_boot_the_csms_does_not_answer_ends_the_connection_attempt() -> None:
    cp = charge_point()
    with pytest.raises(CommandError) as failed:
        drive(boot(cp, REQUEST, own_wait_s=10.0), [TIMEOUT])
    assert failed.value.code is FailureCode.CSMS_TIMEOUT
