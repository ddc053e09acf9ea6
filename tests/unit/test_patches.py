"""Library patches: applied once, each only on the library versions it was written for."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import ocpp.charge_point
import ocpp.messages
import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event
from ocpp.v16 import ChargePoint as Client16
from ocpp.v16 import call as call16
from psycopg_pool import ConnectionPool

from infra import patches


@pytest.fixture
def unsupported(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every library reports a version no patch was written for."""
    patches.applies.cache_clear()
    monkeypatch.setattr(patches, "version", lambda distribution: "99.0")
    yield
    monkeypatch.undo()
    patches.applies.cache_clear()


def test_every_patch_was_written_for_the_installed_library() -> None:
    assert [p.name for p in patches.PATCHES if not patches.applies(p)] == []


def test_install_applies_the_process_wide_patches_once() -> None:
    patches.install()
    patched = (ocpp.charge_point.serialize_as_dict, ProcessingEvent.collect_events)
    patches.install()
    assert ocpp.charge_point.serialize_as_dict is patches.serialize_as_dict
    assert ocpp.messages.ASYNC_VALIDATION is False
    assert (ocpp.charge_point.serialize_as_dict, ProcessingEvent.collect_events) == patched
    assert patches.library_serialize_as_dict is not patches.serialize_as_dict


def test_a_patch_that_only_saves_time_is_skipped_with_a_warning_on_another_version(
    unsupported: None, caplog: pytest.LogCaptureFixture
) -> None:
    pool: ConnectionPool[Any] = ConnectionPool("", open=False, check=ConnectionPool.check_connection)
    with caplog.at_level(logging.WARNING, logger="infra.patches"):
        patches.cheap_pre_ping(pool)
    assert pool._check is ConnectionPool.check_connection  # the library's full check stays
    [record] = caplog.records
    assert "psycopg-pool >=3.2,<3.4, 99.0 is installed; not patched" in record.getMessage()


def test_a_patch_that_behaviour_depends_on_refuses_another_version(unsupported: None) -> None:
    client = Client16("CP-1", connection=None)
    with pytest.raises(patches.UnsupportedLibrary, match=r"seeded message ids: written for ocpp >=2\.1"):
        patches.seed_message_ids(client, lambda: "1")
    with pytest.raises(patches.UnsupportedLibrary):
        patches.install()  # at process start, before any charger


class Sent:
    """The client's side of a connection that never answers."""

    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send(self, frame: str) -> None:
        self.frames.append(frame)


async def test_a_seeded_client_sends_the_ids_it_is_given() -> None:
    connection = Sent()
    client = Client16("CP-1", connection=connection, response_timeout=0.01)
    ids = iter(["seeded-1", "seeded-2"])
    patches.seed_message_ids(client, lambda: next(ids))
    for _ in range(2):
        with pytest.raises(TimeoutError):
            await client.call(call16.Heartbeat())
    assert [frame.split(",")[1] for frame in connection.frames] == ['"seeded-1"', '"seeded-2"']


class Counter(Aggregate):
    class Counted(Aggregate.Event):
        pass

    @event(Counted)
    def count(self) -> None:
        pass


def collected(collect: Any, *objs: Any) -> tuple[list[Any], dict[Any, Any], dict[str, Any]]:
    processing: ProcessingEvent[Any] = ProcessingEvent()
    collect(processing, *objs, note=1)
    return processing.events, processing.aggregates, processing.saved_kwargs


def test_fast_event_collection_collects_what_the_library_does() -> None:
    def objects() -> tuple[Any, ...]:
        first, second = Counter(), Counter()
        first.count()
        loose = Counter()
        [created] = loose.collect_events()
        return first, None, second, created

    one, two = objects(), objects()
    fast = collected(patches._fast_collect_events, *one)
    library = collected(patches._library_collect_events, *two)
    assert (
        [type(e) for e in fast[0]]
        == [type(e) for e in library[0]]
        == [
            Counter.Created,
            Counter.Counted,
            Counter.Created,
            Counter.Created,
        ]
    )
    assert [e.originator_id for e in fast[0]] == [one[0].id, one[0].id, one[2].id, one[3].originator_id]
    assert list(fast[1].values()) == [one[0], one[2]]
    assert list(library[1].values()) == [two[0], two[2]]
    assert fast[2] == library[2] == {"note": 1}
    assert one[0].pending_events == []
