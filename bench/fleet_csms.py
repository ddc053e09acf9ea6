"""The CSMS side of bench/fleet.py: the project's test CSMS (the `ocpp` library, schema validation on),
keeping only counters, and writing when each benchmark Authorize arrives (CLOCK_MONOTONIC, which is
shared by every process on the machine, and wall-clock time, which the ledger's timestamps use) so the
driver can measure command latency and where it goes."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra import patches
from ocpp_bridge.lab.csms import Csms, Received
from ocpp_ledger.process import tune_interpreter


async def main(port: int, out: Path) -> None:
    tune_interpreter()  # as `ocpp-ledger csms` does
    patches.install()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    arrivals = out.open("a", buffering=1)

    def seen(item: Received) -> None:
        if item.action == "Authorize":
            token = item.payload.get("id_tag") or item.payload.get("id_token", {}).get("id_token", "")
            if token.startswith("LAT"):
                arrivals.write(f"{token} {time.monotonic()} {time.time()}\n")

    csms = Csms(keep=False, on_received=seen)
    await csms.start("127.0.0.1", port)
    stats = out.with_suffix(".counts")
    while True:
        await asyncio.sleep(1)
        stats.write_text(
            json.dumps(
                {
                    "counts": csms.counts,
                    "violations": len(csms.violations),
                    "connected": len(csms.connections),
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
