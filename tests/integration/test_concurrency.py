"""Concurrent writers to the same aggregates: optimistic concurrency with retries, so every request that
was answered 202 is in the ledger exactly once and no stream has a gap or a duplicate."""

from __future__ import annotations

import threading
from collections import Counter

from domain.charger import Charger
from domain.commands import Authorize
from gateway.context import Context
from tests.conftest import CSMS_URL, Api, new_location
from tests.events import events_of


def test_concurrent_fan_outs_to_the_same_chargers_are_all_queued_once(api: Api, context: Context) -> None:
    location = new_location(api)
    group = {
        "template": {
            "brand_slug": "abb",
            "model_slug": "terra-184",
            "ws_url": CSMS_URL,
            "identity_prefix": "CC-",
        },
        "chargers_number": 20,
    }
    assert api.post(f"/ocpp/locations/{location}/chargers", json=[group]).status_code == 202
    answers: list[int] = []
    barrier = threading.Barrier(12)

    def fan_out(n: int) -> None:
        barrier.wait()
        response = api.post(
            "/ocpp/commands/authorize-id-tag",
            json={"target": {"location_id": location}, "event": {"id_tag": f"T{n}"}},
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=fan_out, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * 12
    queued = events_of(context.ledger, Charger.CommandQueued)
    per_charger = Counter(e.originator_id for e in queued)
    assert len(per_charger) == 20
    assert set(per_charger.values()) == {12}
    for charger_id in per_charger:  # each stream: versions 2..13 after registration, no gap, no duplicate
        versions = sorted(e.originator_version for e in queued if e.originator_id == charger_id)
        assert versions == list(range(versions[0], versions[0] + 12))
    assert all(isinstance(e.payload, Authorize) for e in queued)
    tags = Counter(e.payload.id_tag for e in queued if isinstance(e.payload, Authorize))
    assert set(tags.values()) == {20}


def test_concurrent_updates_of_one_charger_all_land(api: Api, context: Context) -> None:
    charger = api.post(
        "/ocpp/chargers",
        json={"identity": "U-1", "brand_slug": "abb", "model_slug": "terra-184", "ws_url": CSMS_URL},
    ).json()["charger_id"]
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def rename(n: int) -> None:
        barrier.wait()
        answers.append(
            api.put(f"/ocpp/chargers/{charger}", json={"charge_point_name": f"name {n}"}).status_code
        )

    threads = [threading.Thread(target=rename, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 8
    updates = events_of(context.ledger, Charger.Updated)
    assert sorted(e.settings.name for e in updates) == sorted(f"name {n}" for n in range(8))
