"""Interpreter settings for the long-running processes (serve, bridge, csms): thousands of long-lived
objects per process, a stream of short-lived ones per frame, and worker threads beside an event loop.

Garbage collection: with CPython's default thresholds a young collection runs every 700 container
allocations. At 5,000 chargers (over 1,000 frames/s) that promoted every object a frame keeps alive for a
few milliseconds (payload dicts, futures, events waiting for the writer's commit) to the old generation,
and full collections over the fleet's millions of objects took 37 % of the bridge's time, stalling its
event loop for up to seconds (bench/fleet.py, docs/benchmarks.md). A much larger young generation lets
those objects die young (GC time: 2.6 %); the old generations' thresholds stay as they are.

Thread switching: a thread coming back from the database waits for the interpreter lock until the event
loop's thread gives it up, by default after 5 ms. The bridge's writer makes several round trips per save
while the loop is busy, so each save paid that wait several times; 1 ms bounds it.
"""

from __future__ import annotations

import gc
import sys

YOUNG_GENERATION_THRESHOLD = 50_000
SWITCH_INTERVAL_SECONDS = 0.001


def tune_interpreter() -> None:
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(YOUNG_GENERATION_THRESHOLD, young), older, oldest)
    sys.setswitchinterval(min(SWITCH_INTERVAL_SECONDS, sys.getswitchinterval()))
