"""Where a charger's identity goes in its CSMS URL: appended as a path segment, or where `{identity}` says."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.charger import WsUrl, csms_url

WS_URL: TypeAdapter[str] = TypeAdapter(WsUrl)


@pytest.mark.parametrize(
    ("ws_url", "url"),
    [
        ("ws://h:9000/ocpp", "ws://h:9000/ocpp/CP-1"),
        ("ws://h:9000/ocpp/", "ws://h:9000/ocpp/CP-1"),  # the default, unchanged
        ("ws://h/ocpp/{identity}/", "ws://h/ocpp/CP-1/"),
        ("wss://h/{identity}/ocpp", "wss://h/CP-1/ocpp"),
        ("ws://h/ocpp?cp={identity}", "ws://h/ocpp?cp=CP-1"),
        ("ws://h/ocpp/{identity}?token=abc", "ws://h/ocpp/CP-1?token=abc"),
    ],
)
def test_the_identity_goes_where_the_url_places_it(ws_url: str, url: str) -> None:
    assert csms_url(WS_URL.validate_python(ws_url), "CP-1") == url


def test_an_identity_in_a_query_is_percent_encoded() -> None:
    assert csms_url("ws://h/ocpp?cp={identity}", "a+b=c|d") == "ws://h/ocpp?cp=a%2Bb%3Dc%7Cd"


@pytest.mark.parametrize(
    ("ws_url", "problem"),
    [
        ("ws://h/{identity}/{identity}", "only once"),
        ("ws://{identity}.h/ocpp", "not in the host"),
        ("ws://h/ocpp/{id}", "only placeholder"),
        ("ws://h/ocpp?cp=1", "must not carry a query unless"),
        ("ws://h/ocpp/{identity}#x", "fragment"),
        ("http://h/ocpp/{identity}", "ws:// or wss://"),
    ],
)
def test_a_misplaced_identity_is_refused_saying_why(ws_url: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        WS_URL.validate_python(ws_url)
