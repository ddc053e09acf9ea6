"""Time for the simulation: an injectable clock, so tests and replays control it.

`ScaledClock(speed=60)` runs simulated time sixty times faster than the wall clock: meter intervals,
heartbeats, backoffs and auto-stop deadlines all shrink together, and energy accrues at the same rate,
so a one-hour session takes a minute (or 36 ms at speed 100,000 in tests).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Simulated seconds, for intervals."""
        return time.monotonic()

    def real_seconds(self, simulated: float) -> float:
        """How long to really wait for `simulated` seconds to pass."""
        return simulated


class ScaledClock(Clock):
    def __init__(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall0 = datetime.now(UTC)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=(time.monotonic() - self._mono0) * self.speed)

    def monotonic(self) -> float:
        return self._mono0 + (time.monotonic() - self._mono0) * self.speed

    def real_seconds(self, simulated: float) -> float:
        return simulated / self.speed


def clock_for(speed: float) -> Clock:
    return Clock() if speed == 1 else ScaledClock(speed)


def iso(moment: datetime) -> str:
    """OCPP timestamps: UTC, millisecond precision, 'Z'."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
