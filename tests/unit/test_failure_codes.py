"""A failed command's code becomes its HTTP status in one table, which knows every FailureCode."""

from __future__ import annotations

from domain.failures import FailureCode
from gateway.outcomes import FAILURE_STATUS, failure_status


def test_every_failure_code_has_an_http_status() -> None:
    assert set(FAILURE_STATUS) == set(FailureCode)


def test_the_csms_failing_is_a_gateway_error_and_the_chargers_state_unprocessable() -> None:
    assert failure_status("csms_error") == 502
    assert failure_status("csms_timeout") == 504
    assert failure_status("interrupted") == 503
    assert failure_status("internal_error") == 500
    assert failure_status("transaction_running") == 422
    assert failure_status("charger_not_connected") == 422
    assert failure_status("connector_reserved") == 422  # reserved for another id tag (ReserveNow)


def test_a_code_recorded_by_another_build_is_unprocessable() -> None:
    assert failure_status("some_future_code") == 422
