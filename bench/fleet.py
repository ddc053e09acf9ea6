"""Fleet benchmark: N simulated chargers on one bridge process against a CSMS in a second process.

Processes (all on loopback, PostgreSQL from LEDGER_BENCH_DATABASE_URL in a fresh schema):
  - the CSMS (bench/fleet_csms.py: the project's `ocpp`-library CSMS, schema validation on),
  - `ocpp-ledger serve --no-bridge` (gateway, projections, auto-stop policy),
  - `ocpp-ledger bridge` (the N charge points) — the process measured.
Every charger runs a charging session (meter values every 10 s, heartbeat every 60 s) while the driver
sends `authorize` commands through the API at a steady rate. Reported per N: the bridge's CPU and resident
memory per charger (and the CPU of the CSMS, of the gateway, and how busy the whole machine was), frames
and events appended per second, and command latency from the API's 202 to the Authorize frame arriving
at the CSMS (p50/p99).

Run: `.venv/bin/python bench/fleet.py --sizes 100,1000,5000 --window 60`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
FRAME_TOPIC = "ocpp_ledger:ChargePoint.FrameRecorded"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, summed over cores (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / CLK_TCK, sum(ticks) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def scalar(url: str, schema: str, sql: str, params: tuple[object, ...] = ()) -> int:
    with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}") as conn:
        return int(conn.execute(sql, params).fetchone()[0] or 0)


def run_size(
    n: int, window: float, rate: float, url: str, work: Path, profile: bool = False
) -> dict[str, object]:
    schema = f"fleet_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
        "LEDGER_DATABASE_URL": url,
        "LEDGER_DATABASE_SCHEMA": schema,
        "LEDGER_POOL_SIZE": "8",
    }
    csms_port, api_port = free_port(), free_port()
    arrivals = work / f"arrivals-{n}.txt"
    arrivals.unlink(missing_ok=True)
    cli = str(BIN / "ocpp-ledger")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [cli, "token", "create", "--org", "bench"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        with (
            process(
                [sys.executable, str(ROOT / "bench" / "fleet_csms.py"), str(csms_port), str(arrivals)],
                env,
                work / f"csms-{n}.log",
            ) as csms,
            process(
                [cli, "serve", "--no-bridge", "--port", str(api_port)], env, work / f"gateway-{n}.log"
            ) as gateway,
            process([cli, "bridge"], env, work / f"bridge-{n}.log") as bridge,
            httpx.Client(
                base_url=f"http://127.0.0.1:{api_port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            ) as api,
        ):
            wait(lambda: _ready(api), 60, "the gateway")
            location = api.post("/ocpp/locations", json={"name": f"fleet {n}"}).json()["id"]
            remaining = n
            while remaining:
                batch = min(remaining, 5000)
                group = {
                    "template": {
                        "brand_slug": "wallbox",
                        "model_slug": "wallbox-pulsar-plus",
                        "ws_url": f"ws://127.0.0.1:{csms_port}/ocpp",
                        "identity_prefix": f"F{n}-",
                    },
                    "chargers_number": batch,
                }
                assert api.post(f"/ocpp/locations/{location}/chargers", json=[group]).status_code == 202
                remaining -= batch
            wait(
                lambda: scalar(url, schema, "SELECT count(*) FROM charge_points WHERE connected") >= n,
                600,
                f"{n} chargers connected",
            )
            api.post(
                "/ocpp/commands/start-session",
                json={"target": {"location_id": location}, "event": {"id_tag": "FLEET"}},
            )
            wait(
                lambda: (
                    scalar(
                        url,
                        schema,
                        "SELECT count(*) FROM charge_point_connectors WHERE transaction_id IS NOT NULL",
                    )
                    >= n
                ),
                600,
                f"{n} sessions",
            )
            time.sleep(12)  # let the meter phases settle into their steady rhythm
            ids = [
                c["id"]
                for c in api.get(f"/ocpp/locations/{location}/chargers", params={"limit": 100}).json()["data"]
            ]
            if profile:  # a sampling profile of the bridge during the window (py-spy, if installed)
                subprocess.Popen(
                    [
                        str(BIN / "py-spy"),
                        "record",
                        "-d",
                        str(int(window)),
                        "-f",
                        "raw",
                        "-o",
                        str(work / f"bridge-{n}.prof"),
                        "-p",
                        str(bridge.pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            cpu0, csms_cpu0, gateway_cpu0 = (cpu_seconds(p.pid) for p in (bridge, csms, gateway))
            busy0, total0 = machine_busy_seconds()
            t0 = time.monotonic()
            head0 = scalar(url, schema, "SELECT max(notification_id) FROM ocpp_ledger_events")
            accepted: dict[str, float] = {}
            next_send = time.monotonic()
            seq = 0
            while time.monotonic() - t0 < window:
                next_send += 1.0 / rate
                time.sleep(max(0.0, next_send - time.monotonic()))
                seq += 1
                tag = f"LAT{seq}"
                response = api.post(
                    "/ocpp/commands/authorize",
                    json={"target": {"charger_id": random.choice(ids)}, "event": {"id_tag": tag}},
                )
                if response.status_code == 202:
                    accepted[tag] = time.monotonic()
            elapsed = time.monotonic() - t0
            cpu1, csms_cpu1, gateway_cpu1 = (cpu_seconds(p.pid) for p in (bridge, csms, gateway))
            busy1, total1 = machine_busy_seconds()
            head1 = scalar(url, schema, "SELECT max(notification_id) FROM ocpp_ledger_events")
            frames = scalar(
                url,
                schema,
                "SELECT count(*) FROM ocpp_ledger_events "
                "WHERE notification_id > %s AND notification_id <= %s AND topic = %s",
                (head0, head1, FRAME_TOPIC),
            )
            rss = rss_bytes(bridge.pid)
            time.sleep(3)  # the last commands' frames
            counts = json.loads((work / f"arrivals-{n}.counts").read_text())
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    arrived = {}
    for line in arrivals.read_text().splitlines():
        tag, at = line.split()
        arrived.setdefault(tag, float(at))
    latencies = sorted((arrived[t] - accepted[t]) * 1000 for t in accepted if t in arrived)
    return {
        "chargers": n,
        "window_s": round(elapsed, 1),
        "bridge_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "csms_cpu_percent": round(100 * (csms_cpu1 - csms_cpu0) / elapsed, 1),
        "gateway_cpu_percent": round(100 * (gateway_cpu1 - gateway_cpu0) / elapsed, 1),
        # the whole machine, every process (PostgreSQL, the driver, ...): 100 % = all cores busy
        "machine_busy_percent": round(100 * (busy1 - busy0) / (total1 - total0), 1),
        "bridge_rss_mb": round(rss / 2**20, 1),
        "rss_kb_per_charger": round(rss / 1024 / n, 1),
        "frames_per_s": round(frames / elapsed),
        "events_per_s": round((head1 - head0) / elapsed),
        "commands": len(accepted),
        "commands_answered": len(latencies),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1)
        if latencies
        else None,
        "csms_violations": counts["violations"],
    }


def _ready(api: httpx.Client) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return api.get("/readyz").status_code == 200
    return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.0, help="authorize commands per second")
    parser.add_argument("--profile", action="store_true", help="record a py-spy profile of the bridge")
    args = parser.parse_args()
    url = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    work = ROOT / "bench" / "results"
    work.mkdir(exist_ok=True)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        result = run_size(n, args.window, args.rate, url, work, args.profile)
        print(json.dumps(result), flush=True)
        results.append(result)
    (work / f"fleet-{int(time.time())}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
