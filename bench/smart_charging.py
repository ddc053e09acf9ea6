"""Smart charging: what holding the meter to its profiles costs each `settle` (every meter sample, every
change of power or state), against the charger without profiles measured in the same run.

A settle on a charger with profiles asks `limit_at` for its connector; with a charger-wide maximum and two
connectors charging, `shared_power` too and `limit_at` for the other connector; the timer asks
`next_change` only when the profiles or transactions change. Without profiles it asks none of these (the
baseline: the empty store's `limit_at`, which the station does not even call, as an upper bound of it).

Run: `.venv/bin/python bench/smart_charging.py [--repeat 2000]`.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocpp_bridge.core.smart_charging.composite import limit_at, next_change, shared_power
from ocpp_bridge.core.smart_charging.rules import set_profile
from ocpp_bridge.core.smart_charging.store import ProfileStore
from tests.unit.cores.smart_charging_cases import MONDAY, V16, station, v16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    repeat = parser.parse_args().repeat
    facts = station(V16, transactions={1: ("9", MONDAY), 2: ("10", MONDAY)})
    store = ProfileStore()
    for profile in (
        v16(1, "TxDefaultProfile", (0, 30_000)),
        v16(2, "TxDefaultProfile", (0, 20_000), (1800, 10_000), stack_level=1, duration=3600),
        v16(3, "ChargePointMaxProfile", (0, 15_000)),
    ):
        store, rejection = set_profile(store, profile, 0, facts)
        assert rejection is None, rejection
    at = MONDAY + timedelta(minutes=10)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("no profiles: limit_at (baseline)", lambda: limit_at(ProfileStore(), facts, 1, at)),
        ("3 stacked: limit_at", lambda: limit_at(store, facts, 1, at)),
        ("3 stacked: shared_power, 2 EVSEs", lambda: shared_power(store, facts, at, {1: 50_000, 2: 50_000})),
        ("3 stacked: next_change (timer)", lambda: next_change(store, facts, 1, at)),
    ]
    baseline = None
    for name, case in cases:
        seconds = min(timeit.repeat(case, number=repeat, repeat=3)) / repeat
        baseline = baseline or seconds
        print(f"{name:40} {seconds * 1e6:8.0f} µs  {seconds / baseline:5.1f}x")


if __name__ == "__main__":
    main()
