"""The limit in force on an EVSE at each moment: GetCompositeSchedule, and what the meter must follow.

At any instant, per purpose, the prevailing profile is the valid one (validFrom ≤ t < validTo) whose
schedule has a period at t and whose stack level is highest (1.6 3.13.2, 2.0.1 K08): a schedule that
ended (its duration passed) lets the next lower level prevail. A TxProfile overrules the TxDefaultProfile
while it has a period; the result is capped by the station maximum (ChargePointMaxProfile /
ChargingStationMaxProfile), the external constraints (2.0.1) and what the hardware delivers.

- Absolute schedules start at startSchedule. 1.6 defines an Absolute one without it as "relative to the
  start of charging" and so treats it as Relative here.
- Relative schedules start with the EVSE's transaction, or — with none running — at the start of the
  window asked for (what would apply if charging started then).
- Recurring schedules restart every day/week from startSchedule (before it too: the recurrence has no
  first day; validFrom says when a profile begins). A 1.6 one without startSchedule recurs from midnight
  UTC (Daily) or Monday 00:00 UTC (Weekly), the "beginning of the next day / week" of the 1.6 enum.
- A TxDefaultProfile installed on a 1.6 connector replaces the connector-0 ones for that connector only
  (1.6 ChargingProfilePurposeType); in 2.0.1 both stack, and at one level the EVSE's own wins.

Amps and watts: each constraint's limit is per phase (A) or total (W); on AC the phases used are the
fewest any constraint allows (numberPhases, default 3, never more than the EVSE has), the current the
least any allows at that many phases, and the power current * 230 V * phases. DC: W = A * 400 V. The
station maximum caps each EVSE as a whole here; sharing it between EVSEs is the caller's business.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.clock import iso
from domain.protocol import OcppVersion

from .model import (
    DEFAULT_PHASES,
    InstalledProfile,
    ProfileKind,
    Purpose,
    RateUnit,
    Rejection,
    SchedulePeriod,
    Station,
    Supply,
)
from .store import ProfileStore

# 1970-01-05 was a Monday: a whole number of days and of weeks before any 1.6 recurrence without a start.
_RECURRENCE_ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)
_NEXT_CHANGE_HORIZON = timedelta(days=8)  # covers a weekly recurrence and a day more


@dataclass(frozen=True)
class _Segment:
    """One period of one profile placed in time: [start, end)."""

    start: datetime
    end: datetime
    limit: float
    unit: RateUnit
    phases: int | None
    entry: InstalledProfile
    rank: tuple[int, int, int]  # who prevails within a purpose: stack level, EVSE's own, newest


@dataclass(frozen=True)
class ActiveLimit:
    """The cap at one instant, in both units: what the EVSE may deliver."""

    power_w: float
    current_a: float  # per phase on AC, total on DC
    phases: int | None  # AC phases in use; None on DC
    by_profile: bool  # False: no profile is in force, only the hardware's maximum

    def follow(self, ev_accepted_w: float) -> float:
        """The power the meter delivers: what the EV takes, never more than the limit."""
        return max(0.0, min(ev_accepted_w, self.power_w))


@dataclass(frozen=True)
class CompositeSchedule:
    evse_id: int
    start: datetime  # whole seconds
    duration: int
    rate_unit: RateUnit
    periods: tuple[SchedulePeriod, ...]

    def v16_payload(self) -> dict[str, Any]:
        """GetCompositeSchedule.conf keyword arguments (status Accepted)."""
        return {
            "status": "Accepted",
            "connector_id": self.evse_id,
            "schedule_start": iso(self.start),
            "charging_schedule": {
                "duration": self.duration,
                "start_schedule": iso(self.start),
                "charging_rate_unit": self.rate_unit.value,
                "charging_schedule_period": [_period_payload(p) for p in self.periods],
            },
        }

    def v201_payload(self) -> dict[str, Any]:
        """GetCompositeScheduleResponse keyword arguments (status Accepted)."""
        return {
            "status": "Accepted",
            "schedule": {
                "evse_id": self.evse_id,
                "duration": self.duration,
                "schedule_start": iso(self.start),
                "charging_rate_unit": self.rate_unit.value,
                "charging_schedule_period": [_period_payload(p) for p in self.periods],
            },
        }


def _period_payload(period: SchedulePeriod) -> dict[str, Any]:
    out: dict[str, Any] = {"start_period": period.start_period, "limit": period.limit}
    if period.number_phases is not None:
        out["number_phases"] = period.number_phases
    return out


def _anchors(
    entry: InstalledProfile, start: datetime, end: datetime, relative_to: datetime
) -> list[datetime]:
    """Where each run of the profile's schedule starts, for runs that may reach into [start, end)."""
    profile = entry.profile
    schedule = profile.schedule
    kind = profile.kind
    if kind is ProfileKind.ABSOLUTE and schedule.start_schedule is not None:
        return [schedule.start_schedule]
    if kind is not ProfileKind.RECURRING or profile.recurrency is None:
        return [relative_to]  # Relative, or a 1.6 Absolute without a start
    every = timedelta(seconds=profile.recurrency.seconds)
    origin = schedule.start_schedule or _RECURRENCE_ORIGIN
    first = math.floor((start - origin) / every)
    last = math.floor((end - origin) / every)
    return [origin + k * every for k in range(first, last + 1)]


def _segments(
    entry: InstalledProfile, rank: tuple[int, int, int], start: datetime, end: datetime, relative_to: datetime
) -> list[_Segment]:
    profile = entry.profile
    schedule = profile.schedule
    lo = max(start, profile.valid_from) if profile.valid_from else start
    hi = min(end, profile.valid_to) if profile.valid_to else end
    if lo >= hi:
        return []
    run_s = schedule.duration
    if profile.kind is ProfileKind.RECURRING and profile.recurrency is not None:
        run_s = min(run_s if run_s is not None else profile.recurrency.seconds, profile.recurrency.seconds)
    out: list[_Segment] = []
    for anchor in _anchors(entry, start, end, relative_to):
        run_end = hi if run_s is None else min(hi, anchor + timedelta(seconds=run_s))
        periods = schedule.periods
        for period, following in zip(periods, (*periods[1:], None), strict=True):
            seg_start = max(lo, anchor + timedelta(seconds=period.start_period))
            seg_end = (
                run_end
                if following is None
                else min(run_end, anchor + timedelta(seconds=following.start_period))
            )
            if seg_start < seg_end:
                out.append(
                    _Segment(
                        seg_start,
                        seg_end,
                        period.limit,
                        schedule.rate_unit,
                        period.number_phases,
                        entry,
                        rank,
                    )
                )
    return out


def _applicable(
    store: ProfileStore, station: Station, evse_id: int
) -> list[tuple[InstalledProfile, tuple[int, int, int]]]:
    """The installed profiles that limit this EVSE, each with its rank within its purpose."""
    running = station.transactions.get(evse_id)
    current = None if running is None else running.transaction_id

    def in_force(e: InstalledProfile) -> bool:
        # A TxProfile limits its own transaction only (or the one a remote start is about to begin).
        return e.profile.purpose is not Purpose.TX or e.transaction_id in (None, current)

    mine = [(n, e) for n, e in enumerate(store.installed) if e.evse_id in (0, evse_id) and in_force(e)]
    if evse_id == 0:
        mine = [
            (n, e)
            for n, e in mine
            if e.profile.purpose in (Purpose.STATION_MAX, Purpose.EXTERNAL_CONSTRAINTS)
        ]
    elif station.version is OcppVersion.V16 and any(
        e.evse_id == evse_id and e.profile.purpose is Purpose.TX_DEFAULT for _, e in mine
    ):
        mine = [(n, e) for n, e in mine if not (e.evse_id == 0 and e.profile.purpose is Purpose.TX_DEFAULT)]
    return [(e, (e.profile.stack_level, int(e.evse_id != 0), n)) for n, e in mine]


def _combine(segments: list[_Segment], supply: Supply) -> ActiveLimit:
    """The limit where these segments (the prevailing one per purpose) are in force, with the hardware's."""
    volts = supply.volts
    if supply.current_type == "dc":
        watts = min(
            [supply.max_power_w]
            + [s.limit if s.unit is RateUnit.WATTS else s.limit * volts for s in segments]
        )
        return ActiveLimit(watts, watts / volts, None, bool(segments))
    phases = min([supply.phases] + [s.phases or DEFAULT_PHASES for s in segments])
    per_phase = volts * phases
    amps = min(
        [supply.max_power_w / per_phase]
        + [s.limit if s.unit is RateUnit.AMPS else s.limit / per_phase for s in segments]
    )
    return ActiveLimit(amps * per_phase, amps, phases, bool(segments))


def _prevailing(segments: list[_Segment], at: datetime) -> list[_Segment]:
    """At `at`: per purpose the highest-ranked segment in force, a TxProfile hiding the TxDefaultProfile."""
    best: dict[Purpose, _Segment] = {}
    for s in segments:
        if s.start <= at < s.end:
            purpose = s.entry.profile.purpose
            if purpose not in best or s.rank > best[purpose].rank:
                best[purpose] = s
    if Purpose.TX in best:
        best.pop(Purpose.TX_DEFAULT, None)
    return list(best.values())


def _relative_start(station: Station, evse_id: int, otherwise: datetime) -> datetime:
    running = station.transactions.get(evse_id)
    return running.started_at if running is not None else otherwise


def _all_segments(
    store: ProfileStore, station: Station, evse_id: int, start: datetime, end: datetime
) -> list[_Segment]:
    relative_to = _relative_start(station, evse_id, start)
    return [
        seg
        for e, rank in _applicable(store, station, evse_id)
        for seg in _segments(e, rank, start, end, relative_to)
    ]


@dataclass(frozen=True)
class _Window:
    """Everything that limits one EVSE in a window; for evse 0 (the grid connection) also each EVSE's
    limits, since the whole charger draws at most what its EVSEs may (1.6 5.7, 2.0.1 K08: "the expected
    consumption of the grid connection")."""

    supply: Supply
    own: list[_Segment]
    evses: list[tuple[Supply, list[_Segment]]]

    @classmethod
    def of(
        cls, store: ProfileStore, station: Station, evse_id: int, start: datetime, end: datetime
    ) -> _Window:
        evses = []
        if evse_id == 0:
            evses = [
                (supply, _all_segments(store, station, n, start, end)) for n, supply in station.evses.items()
            ]
        return cls(station.supply(evse_id), _all_segments(store, station, evse_id, start, end), evses)

    def cuts(self, start: datetime, end: datetime) -> list[datetime]:
        """Where the limit may change, strictly inside (start, end)."""
        every = [*self.own, *(seg for _, segs in self.evses for seg in segs)]
        return sorted({t for s in every for t in (s.start, s.end) if start < t < end})

    def limits(self, moments: list[datetime]) -> list[tuple[ActiveLimit, bool]]:
        """The limit at each of the (ascending) moments, and whether a prevailing profile stated its
        phases. Each segment is looked at only for the moments it covers (a long window stays linear)."""
        own = _by_moment(self.own, moments)
        parts = [(supply, _by_moment(segs, moments)) for supply, segs in self.evses]
        out = []
        for i, at in enumerate(moments):
            prevailing = _prevailing(own[i], at)
            stated = any(s.phases is not None for s in prevailing)
            limit = _combine(prevailing, self.supply)
            if parts:
                each = [_combine(_prevailing(active[i], at), supply) for supply, active in parts]
                limit = _within(limit, each, self.supply)
            out.append((limit, stated))
        return out


def _by_moment(segments: list[_Segment], moments: list[datetime]) -> list[list[_Segment]]:
    """For each moment, the segments in force then."""
    active: list[list[_Segment]] = [[] for _ in moments]
    for seg in segments:
        for i in range(bisect_left(moments, seg.start), bisect_left(moments, seg.end)):
            active[i].append(seg)
    return active


def _within(own: ActiveLimit, parts: list[ActiveLimit], grid: Supply) -> ActiveLimit:
    """The grid connection's limit: its own, or less if its EVSEs together may draw less."""
    total_w = sum(p.power_w for p in parts)
    by_profile = own.by_profile or any(p.by_profile for p in parts)
    if total_w >= own.power_w:
        return replace(own, by_profile=by_profile)
    return ActiveLimit(total_w, total_w / (grid.volts * (own.phases or 1)), own.phases, by_profile)


def limit_at(store: ProfileStore, station: Station, evse_id: int, at: datetime) -> ActiveLimit:
    """The cap on `evse_id` at `at` (0: the whole charger): `by_profile` False where no profile rules."""
    return _Window.of(store, station, evse_id, at, at + timedelta(seconds=1)).limits([at])[0][0]


def shared_power(
    store: ProfileStore, station: Station, at: datetime, demands: Mapping[int, float]
) -> dict[int, float]:
    """The power each EVSE delivers at `at` when several draw at once: each takes what it wants within
    its own limit (`demands`: what its EV accepts), and the charger's maximum and external constraints
    cap the total, shared out equally, what one does not take going to the others ("water-filling")."""
    wanted = {n: max(0.0, min(w, limit_at(store, station, n, at).power_w)) for n, w in demands.items()}
    station_only = _Window(station.grid, _all_segments(store, station, 0, at, at + timedelta(seconds=1)), [])
    budget = station_only.limits([at])[0][0].power_w
    given: dict[int, float] = {}
    left = sorted(wanted, key=lambda n: wanted[n])
    while left:
        share = budget / len(left)
        n = left.pop(0)
        given[n] = min(wanted[n], share)
        budget -= given[n]
    return {n: given[n] for n in demands}


def _floor_1dp(value: float) -> float:
    """Limits carry at most one decimal (2.0.1 schema); rounding down never exceeds the real cap."""
    return math.floor(value * 10 + 1e-6) / 10


def composite_schedule(
    store: ProfileStore, station: Station, evse_id: int, start: datetime, duration: int, unit: RateUnit
) -> CompositeSchedule:
    """The limits in force on `evse_id` from `start` for `duration` seconds, merged into periods."""
    start = start.replace(microsecond=0)
    end = start + timedelta(seconds=duration)
    window = _Window.of(store, station, evse_id, start, end)
    by_offset: dict[int, SchedulePeriod] = {}
    cuts = [start, *window.cuts(start, end)]
    for cut, (limit, stated) in zip(cuts, window.limits(cuts), strict=True):
        value = _floor_1dp(limit.power_w if unit is RateUnit.WATTS else limit.current_a)
        phases = limit.phases
        if phases is not None and not stated and phases == DEFAULT_PHASES:
            phases = None  # the default goes unsaid
        offset = round((cut - start).total_seconds())
        by_offset[offset] = SchedulePeriod(offset, value, phases)  # cuts within a second: the last one
    periods: list[SchedulePeriod] = []
    for period in by_offset.values():
        last = periods[-1] if periods else None
        if last is None or (last.limit, last.number_phases) != (period.limit, period.number_phases):
            periods.append(period)
    return CompositeSchedule(evse_id, start, duration, unit, tuple(periods))


def next_change(store: ProfileStore, station: Station, evse_id: int, after: datetime) -> datetime | None:
    """When the limit on `evse_id` next changes after `after` (within 8 days): when to look again."""
    end = after + _NEXT_CHANGE_HORIZON
    window = _Window.of(store, station, evse_id, after, end)
    moments = [after, *window.cuts(after, end)]
    limits = [limit for limit, _ in window.limits(moments)]
    for cut, limit in zip(moments[1:], limits[1:], strict=True):
        if (limit.power_w, limit.phases) != (limits[0].power_w, limits[0].phases):
            return cut
    return None


def default_unit(station: Station) -> RateUnit | None:
    """The unit a GetCompositeSchedule without one is answered in: watts if supported (what the charger
    answered before profiles were stacked), else amps."""
    units = station.capabilities.rate_units
    return RateUnit.WATTS if RateUnit.WATTS in units else next(iter(units), None)


def get_composite_schedule(
    store: ProfileStore,
    station: Station,
    evse_id: int,
    duration: int,
    unit: str | None,
    now: datetime,
) -> CompositeSchedule | Rejection:
    """GetCompositeSchedule from the handler's arguments: the schedule, or why a charger rejects it."""
    if evse_id != 0 and evse_id not in station.evses:
        return Rejection("InvalidValue", f"evse {evse_id} does not exist")
    if duration < 0:
        return Rejection("InvalidValue", "duration is negative")
    wanted = default_unit(station) if unit is None else next((u for u in RateUnit if u.value == unit), None)
    if wanted is None or wanted not in station.capabilities.rate_units:
        return Rejection("UnsupportedRateUnit", f"rate unit {unit} is not supported")
    return composite_schedule(store, station, evse_id, now, duration, wanted)
