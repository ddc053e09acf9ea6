"""Charging profiles to and from the payloads of both versions, as the `ocpp` library hands them over.

The library delivers (and takes) nested objects as dicts with snake_case keys and timestamps as strings.
It validates the JSON schema before a handler runs, so a `ProfileFormatError` here means input that did
not come through it (a recording, a test, our own API): the error names the field in the wire's spelling.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from domain.clock import iso
from domain.protocol import OcppVersion

from .model import (
    ChargingProfile,
    ChargingSchedule,
    InstalledProfile,
    LimitSource,
    ProfileKind,
    RateUnit,
    Recurrency,
    SchedulePeriod,
    purpose_from_name,
    purpose_name,
)

_Choice = TypeVar("_Choice", ProfileKind, Recurrency, RateUnit)


class ProfileFormatError(ValueError):
    """A payload that is not a charging profile; `field` is its path in the wire's camelCase."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Reader:
    """Typed access to one object of a payload, naming the field on any error."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ProfileFormatError(path, "must be an object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{_camel(key)}" if self.path else _camel(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileFormatError(self.where(key), "must be an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return self.integer(key) if self.has(key) else None

    def number(self, key: str) -> float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileFormatError(self.where(key), "must be a number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return self.number(key) if self.has(key) else None

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str):
            raise ProfileFormatError(self.where(key), "must be a string")
        return value

    def opt_moment(self, key: str) -> datetime | None:
        if not self.has(key):
            return None
        text = self.text(key)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ProfileFormatError(self.where(key), f"not an RFC 3339 date-time: {text!r}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def choice(self, key: str, enum: type[_Choice]) -> _Choice:
        text = self.text(key)
        try:
            return enum(text)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise ProfileFormatError(self.where(key), f"{text!r} is not one of {allowed}") from None

    def objects(self, key: str) -> list[_Reader]:
        value = self.data.get(key)
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            raise ProfileFormatError(self.where(key), "must be a non-empty array")
        return [_Reader(item, f"{self.where(key)}[{i}]") for i, item in enumerate(value)]


def _period(r: _Reader) -> SchedulePeriod:
    return SchedulePeriod(
        start_period=r.integer("start_period"),
        limit=r.number("limit"),
        number_phases=r.opt_integer("number_phases"),
        phase_to_use=r.opt_integer("phase_to_use"),
    )


def _schedule(r: _Reader, version: OcppVersion) -> ChargingSchedule:
    return ChargingSchedule(
        rate_unit=r.choice("charging_rate_unit", RateUnit),
        periods=tuple(_period(p) for p in r.objects("charging_schedule_period")),
        start_schedule=r.opt_moment("start_schedule"),
        duration=r.opt_integer("duration"),
        min_charging_rate=r.opt_number("min_charging_rate"),
        id=r.integer("id") if version is OcppVersion.V201 else None,
    )


def parse_profile(payload: Mapping[str, Any], version: OcppVersion, path: str = "") -> ChargingProfile:
    """A profile from 1.6 `csChargingProfiles` / RemoteStart `chargingProfile`, or a 2.0.1 `chargingProfile`.

    `path` prefixes field names in errors (e.g. "csChargingProfiles").
    """
    r = _Reader(payload, path)
    purpose_text = r.text("charging_profile_purpose")
    purpose = purpose_from_name(purpose_text, version)
    if purpose is None:
        raise ProfileFormatError(
            r.where("charging_profile_purpose"), f"{purpose_text!r} is not a {version} purpose"
        )
    if version is OcppVersion.V16:
        profile_id = r.integer("charging_profile_id")
        schedules: tuple[ChargingSchedule, ...] = (
            _schedule(_Reader(payload.get("charging_schedule"), r.where("charging_schedule")), version),
        )
        tx = r.opt_integer("transaction_id")
        transaction_id = None if tx is None else str(tx)
    else:
        profile_id = r.integer("id")
        schedules = tuple(_schedule(s, version) for s in r.objects("charging_schedule"))
        transaction_id = r.text("transaction_id") if r.has("transaction_id") else None
    return ChargingProfile(
        id=profile_id,
        stack_level=r.integer("stack_level"),
        purpose=purpose,
        kind=r.choice("charging_profile_kind", ProfileKind),
        schedules=schedules,
        recurrency=r.choice("recurrency_kind", Recurrency) if r.has("recurrency_kind") else None,
        valid_from=r.opt_moment("valid_from"),
        valid_to=r.opt_moment("valid_to"),
        transaction_id=transaction_id,
    )


def _without_none(items: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in items.items() if v is not None}


def period_payload(period: SchedulePeriod, version: OcppVersion) -> dict[str, Any]:
    return _without_none(
        {
            "start_period": period.start_period,
            "limit": period.limit,
            "number_phases": period.number_phases,
            "phase_to_use": period.phase_to_use if version is OcppVersion.V201 else None,
        }
    )


def schedule_payload(schedule: ChargingSchedule, version: OcppVersion) -> dict[str, Any]:
    return _without_none(
        {
            "id": schedule.id if version is OcppVersion.V201 else None,
            "start_schedule": None if schedule.start_schedule is None else iso(schedule.start_schedule),
            "duration": schedule.duration,
            "charging_rate_unit": schedule.rate_unit.value,
            "charging_schedule_period": [period_payload(p, version) for p in schedule.periods],
            "min_charging_rate": schedule.min_charging_rate,
        }
    )


def profile_payload(profile: ChargingProfile, version: OcppVersion) -> dict[str, Any]:
    """The profile in the version's snake_case payload shape (what `parse_profile` reads back)."""
    if version is OcppVersion.V16:
        tx = profile.transaction_id
        head: dict[str, Any] = {
            "charging_profile_id": profile.id,
            "transaction_id": int(tx) if tx is not None and tx.lstrip("-").isdigit() else None,
            "charging_schedule": schedule_payload(profile.schedule, version),
        }
    else:
        head = {
            "id": profile.id,
            "transaction_id": profile.transaction_id,
            # 2.0.1 requires schedule ids: one read from 1.6 (none) gets the profile's id and its index
            "charging_schedule": [
                schedule_payload(s if s.id is not None else replace(s, id=profile.id * 10 + n), version)
                for n, s in enumerate(profile.schedules)
            ],
        }
    return _without_none(
        {
            **head,
            "stack_level": profile.stack_level,
            "charging_profile_purpose": purpose_name(profile.purpose, version),
            "charging_profile_kind": profile.kind.value,
            "recurrency_kind": None if profile.recurrency is None else profile.recurrency.value,
            "valid_from": None if profile.valid_from is None else iso(profile.valid_from),
            "valid_to": None if profile.valid_to is None else iso(profile.valid_to),
        }
    )


def installed_record(entry: InstalledProfile, version: OcppVersion) -> str:
    """An installed profile as one JSON text, for the event that records it (typed fields: a string)."""
    record = {
        "evse_id": entry.evse_id,
        "source": entry.source.value,
        "transaction_id": entry.transaction_id,
        "profile": profile_payload(entry.profile, version),
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def installed_from_record(text: str, version: OcppVersion) -> InstalledProfile:
    """The installed profile `installed_record` wrote (rebuilding the store from the events)."""
    record = json.loads(text)
    return InstalledProfile(
        parse_profile(record["profile"], version),
        int(record["evse_id"]),
        LimitSource(record["source"]),
        record["transaction_id"],
    )
