"""The meter of a simulated connector: a pure model, inputs and the clock in, readings out.

Power is the least of what the EV takes (it tapers as the battery fills), what the charger model can
deliver per connector, the latest power update, and any charging profile. Energy is integrated from
power over simulated time into a monotone register of whole Wh. Voltage and current agree with power.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

AC_VOLTAGE_V = 230.0
AC_PHASES = 3
DC_VOLTAGE_V = 400.0


@dataclass(frozen=True)
class Reading:
    energy_wh: int
    power_w: float
    voltage_v: float
    current_a: float
    soc: float | None
    taken_at: datetime | None = None  # when it was read (a sample may be sent a little later)


@dataclass
class EvModel:
    """The car on the cable, chosen by the charger's seeded randomness."""

    battery_wh: float
    soc: float  # percent
    max_power_w: float
    target_soc: float | None = None  # a charge limit, percent: the EV takes nothing once it is reached

    @classmethod
    def arrive(cls, rng: random.Random, max_power_w: float | None) -> EvModel:
        return cls(
            battery_wh=rng.choice((40_000.0, 60_000.0, 77_000.0, 100_000.0)),
            soc=round(rng.uniform(15.0, 45.0), 1),
            max_power_w=max_power_w or rng.choice((7_400.0, 11_000.0, 22_000.0, 150_000.0)),
        )

    def accepted_power_w(self) -> float:
        """Constant power up to 80 % state of charge, then a linear taper to 5 % of it at 100 %; nothing
        once the charge limit is reached."""
        if self.soc >= 100.0 or self.full():
            return 0.0
        if self.soc <= 80.0:
            return self.max_power_w
        return self.max_power_w * max(0.05, (100.0 - self.soc) / 20.0)

    def full(self) -> bool:
        return self.target_soc is not None and self.soc >= self.target_soc

    def wh_to_target(self) -> float | None:
        """The energy still to take before the charge limit, or None without one."""
        if self.target_soc is None:
            return None
        return max(0.0, (self.target_soc - self.soc) * self.battery_wh / 100.0)

    def seconds_to_target(self, power_w: float) -> float | None:
        """Simulated seconds until the charge limit at `power_w`, or None if it is not being approached."""
        wh = self.wh_to_target()
        if wh is None or power_w <= 0 or wh <= 0:
            return None
        return wh * 3600.0 / power_w


@dataclass
class Meter:
    current_type: str  # "ac" or "dc"
    connector_max_w: float
    energy_wh: float  # the fractional register; readings floor it

    def power_w(
        self,
        ev: EvModel | None,
        *,
        charging: bool,
        offered_w: float | None,
        limit_w: float | None,
    ) -> float:
        if not charging or ev is None:
            return 0.0
        caps = [ev.accepted_power_w(), self.connector_max_w]
        caps += [c for c in (offered_w, limit_w) if c is not None]
        return max(0.0, min(caps))

    def advance(
        self, ev: EvModel | None, power_w: float, seconds: float, cap_wh: float | None = None
    ) -> None:
        """Let `seconds` of simulated time pass at `power_w`; the register stops at `cap_wh` if given."""
        if seconds <= 0 or power_w <= 0:
            return
        delivered = power_w * seconds / 3600.0
        # The car's charge limit stops the flow exactly when it is reached, whenever it is noticed.
        to_target = None if ev is None else ev.wh_to_target()
        ev_full = to_target is not None and delivered >= to_target
        if ev_full and to_target is not None:
            delivered = to_target
        if cap_wh is not None and self.energy_wh + delivered >= cap_wh:
            delivered = max(0.0, cap_wh - self.energy_wh)
            self.energy_wh = max(self.energy_wh, cap_wh)
            ev_full = False
        else:
            self.energy_wh += delivered
        if ev is not None:
            if ev_full and ev.target_soc is not None:
                ev.soc = ev.target_soc  # exactly: no rounding left short of the limit
            else:
                ev.soc = min(100.0, ev.soc + 100.0 * delivered / ev.battery_wh)

    def reading(self, ev: EvModel | None, power_w: float, taken_at: datetime | None = None) -> Reading:
        if self.current_type == "ac":
            voltage = AC_VOLTAGE_V
            current = power_w / (AC_VOLTAGE_V * AC_PHASES)
        else:
            voltage = DC_VOLTAGE_V if ev is None else DC_VOLTAGE_V + (ev.soc - 50.0) * 0.8
            current = power_w / voltage
        return Reading(
            energy_wh=int(self.energy_wh),
            power_w=round(power_w, 1),
            voltage_v=round(voltage, 1),
            current_a=round(current, 2),
            soc=None if ev is None else round(ev.soc, 1),
            taken_at=taken_at,
        )
