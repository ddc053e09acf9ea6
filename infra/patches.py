"""Every patch of a library's private parts, each checked against the versions it was written for.

`install()` applies the process-wide ones, once, at process start: `ocpp_ledger.cli.main` (every
command), `tests/conftest.py` and the bench scripts. Two patches concern one object each and are applied
where that object is made: `seed_message_ids` (the bridge, per OCPP client) and `cheap_pre_ping`
(infra.postgres, per connection pool).

Before patching, each checks the installed version of its library against the range it was written and
tested for. Outside it, a patch that only saves time is skipped with a warning (the library's own code
runs: slower, same behaviour); a patch that behaviour depends on raises `UnsupportedLibrary`, so nobody
runs a lab whose replays silently stopped being reproducible.
"""

from __future__ import annotations

import dataclasses
import logging
import select
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from typing import Any

import ocpp.charge_point
import ocpp.messages
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate
from ocpp.charge_point import ChargePoint
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from psycopg import Connection
from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)


class UnsupportedLibrary(RuntimeError):
    """A patch that behaviour depends on met a library version it was not written for."""


@dataclass(frozen=True)
class Patch:
    name: str
    distribution: str  # as pip knows it
    supported: str  # PEP 440 specifiers: the versions whose private parts the patch was checked against
    required: bool  # behaviour depends on it: outside `supported`, raise instead of skipping it


FAST_SERIALIZER = Patch("fast payload serializer", "ocpp", ">=2.1.0,<2.2", required=False)
INLINE_VALIDATION = Patch("inline schema validation", "ocpp", ">=2.1.0,<2.2", required=False)
SEEDED_MESSAGE_IDS = Patch("seeded message ids", "ocpp", ">=2.1.0,<2.2", required=True)
FAST_COLLECT_EVENTS = Patch("collect events without Protocol checks", "eventsourcing", ">=9.5.6,<9.6", False)
CHEAP_PRE_PING = Patch("pre-ping only readable connections", "psycopg-pool", ">=3.2,<3.4", required=False)

PATCHES = (FAST_SERIALIZER, INLINE_VALIDATION, SEEDED_MESSAGE_IDS, FAST_COLLECT_EVENTS, CHEAP_PRE_PING)


@cache
def applies(patch: Patch) -> bool:
    """Whether the installed library is one `patch` was written for (checked once per process)."""
    installed = version(patch.distribution)
    if Version(installed) in SpecifierSet(patch.supported):
        return True
    problem = f"{patch.name}: written for {patch.distribution} {patch.supported}, {installed} is installed"
    if patch.required:
        raise UnsupportedLibrary(
            f"{problem}; check what infra/patches.py relies on in this version, then widen the range"
        )
    log.warning("%s; not patched, the library's own code runs (slower, same behaviour)", problem)
    return False


def install() -> None:
    """Apply the process-wide patches (idempotent) and check the per-object ones' versions, so that an
    unsupported library fails at start rather than at the first charger."""
    for patch in PATCHES:
        applies(patch)
    if applies(FAST_SERIALIZER):
        _install_fast_serializer()
    if applies(INLINE_VALIDATION):
        _install_inline_validation()
    if applies(FAST_COLLECT_EVENTS):
        _install_fast_collect_events()


# The ocpp library turns every payload dataclass into a dict with `dataclasses.asdict` (which deep-copies
# every leaf) and then walks nested dataclasses a second time; for a MeterValues call that was a quarter
# of the bridge's event loop with 5,000 chargers. Payloads are fresh, immutable-leaved values (strings,
# numbers, enums, None) built for one message, so a plain recursive walk without copies gives the same
# dict. The library looks `ocpp.charge_point.serialize_as_dict` up at call time, so replacing the module
# attribute is enough; tests/unit/test_serialization.py holds it equal to the library's on real payloads.


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    if hasattr(type(value), "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def serialize_as_dict(payload: Any) -> dict[str, Any]:
    """`ocpp.charge_point.serialize_as_dict`, without asdict's copies and second pass."""
    plain: dict[str, Any] = _plain(payload)
    return plain


_library_serialize_as_dict = ocpp.charge_point.serialize_as_dict


def library_serialize_as_dict(payload: Any) -> dict[str, Any]:
    """The library's own serializer (what the fast one is held equal to)."""
    plain: dict[str, Any] = _library_serialize_as_dict(payload)
    return plain


def _install_fast_serializer() -> None:
    ocpp.charge_point.serialize_as_dict = serialize_as_dict


def _install_inline_validation() -> None:
    # Validate in the event loop's thread: the default thread-pool hop per message costs 45-60 % more
    # CPU per small message (OCPP.md, measured here). Validation itself stays on.
    ocpp.messages.ASYNC_VALIDATION = False


def seed_message_ids(client: ChargePoint, new_id: Callable[[], str]) -> None:
    """Make an ocpp ChargePoint draw its message ids from `new_id` (seeded: replays reproduce them). The
    library draws them from `self._unique_id_generator` (uuid4 by default) in `call()`."""
    if applies(SEEDED_MESSAGE_IDS):
        client._unique_id_generator = new_id


# eventsourcing's Application.save() collects a save's events with two runtime-Protocol isinstance
# checks per object; on Python 3.11 they cost ~30 µs each, two thirds of recording a 1,000-charger
# fan-out. Our aggregates and events are the library's concrete classes: they are recognised first, and
# anything else goes the library's way.

_library_collect_events = ProcessingEvent.collect_events


def _fast_collect_events(self: ProcessingEvent[Any], *objs: Any, **kwargs: Any) -> None:
    for obj in objs:
        if isinstance(obj, Aggregate):
            self.events.extend(obj.collect_events())
            self.aggregates[obj.id] = obj
        elif isinstance(obj, Aggregate.Event):
            self.events.append(obj)
        elif obj is not None:
            _library_collect_events(self, obj)
    self.saved_kwargs.update(kwargs)


def _install_fast_collect_events() -> None:
    ProcessingEvent.collect_events = _fast_collect_events  # type: ignore[method-assign]  # the patch itself


def cheap_pre_ping(pool: ConnectionPool[Any]) -> None:
    """Check a pooled connection before use only when it has something to say.

    Pre-ping (a round trip on every checkout) is what keeps a restarted database from failing the first
    request on each stale connection; it was also one round trip in four of each bridge save and most of
    what the projection runners waited for. A server that went away (restart, termination, idle timeout)
    leaves its socket readable (a FATAL message, or EOF); a healthy idle connection has nothing to read.
    So only a readable (or already broken) connection gets the real check."""
    if not applies(CHEAP_PRE_PING):
        return
    full_check = type(pool).check_connection

    def check(conn: Connection[Any]) -> None:
        if conn.closed or conn.broken:
            full_check(conn)  # raises: the pool drops it and hands out another
            return
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
        if readable:
            full_check(conn)

    pool._check = check  # psycopg_pool keeps the `check` callback given at construction here
