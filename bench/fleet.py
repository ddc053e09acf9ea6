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
from datetime import datetime
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


BRIDGE_TOTALS = {
    "writer_saves": "ocpp_ledger_bridge_writer_save_seconds_count",
    "writer_events": "ocpp_ledger_bridge_writer_events_per_save_sum",
    "writer_seconds": "ocpp_ledger_bridge_writer_save_seconds_sum",
    "lag_samples": "ocpp_ledger_bridge_loop_lag_seconds_count",
    "lag_over_100ms": 'ocpp_ledger_bridge_loop_lag_seconds_bucket{le="0.1"}',
    "lag_seconds": "ocpp_ledger_bridge_loop_lag_seconds_sum",
}


def bridge_totals(api: httpx.Client, port: int) -> dict[str, float]:
    """Counters so far from the bridge's Prometheus metrics: the writer's saves, the loop's lag samples
    (and how many were under 100 ms), and the seconds spent in garbage collection."""
    values: dict[str, float] = {}
    for line in api.get(f"http://127.0.0.1:{port}/metrics").text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("ocpp_ledger_bridge_"):
            values[name] = float(value)
    totals = {key: values.get(name, 0.0) for key, name in BRIDGE_TOTALS.items()}
    totals["gc_seconds"] = sum(
        v for k, v in values.items() if k.startswith("ocpp_ledger_bridge_gc_pause_seconds_sum")
    )
    return totals


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
        row = conn.execute(sql, params).fetchone()
        return int(row[0] or 0) if row is not None else 0


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
    csms_port, api_port, metrics_port = free_port(), free_port(), free_port()
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
            process(
                [cli, "bridge", "--metrics-port", str(metrics_port)], env, work / f"bridge-{n}.log"
            ) as bridge,
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
            bridge0 = bridge_totals(api, metrics_port)
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
                    "/ocpp/commands/authorize-id-tag",
                    json={"target": {"charger_id": random.choice(ids)}, "event": {"id_tag": tag}},
                )
                if response.status_code == 202:
                    accepted[tag] = time.monotonic()
            elapsed = time.monotonic() - t0
            cpu1, csms_cpu1, gateway_cpu1 = (cpu_seconds(p.pid) for p in (bridge, csms, gateway))
            busy1, total1 = machine_busy_seconds()
            bridge1 = bridge_totals(api, metrics_port)
            delta = {key: bridge1[key] - bridge0[key] for key in bridge0}
            saves = delta["writer_saves"]
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
            stages = command_stages(url, schema, arrivals)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    arrived = {tag: monotonic for tag, (monotonic, _) in read_arrivals(arrivals).items()}
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
        # the bridge's group commits: how often, how big, how long (every frame it sends waits for one)
        "writer_saves_per_s": round(saves / elapsed, 1),
        "writer_events_per_save": round(delta["writer_events"] / saves, 1) if saves else None,
        "writer_ms_per_save": round(1000 * delta["writer_seconds"] / saves, 1) if saves else None,
        # the bridge's event loop: mean lag, share of samples lagging over 100 ms; time spent in GC
        "loop_lag_mean_ms": round(1000 * delta["lag_seconds"] / max(1.0, delta["lag_samples"]), 1),
        "loop_lag_over_100ms_percent": round(
            100 * (1 - delta["lag_over_100ms"] / max(1.0, delta["lag_samples"])), 1
        ),
        "gc_percent_of_time": round(100 * delta["gc_seconds"] / elapsed, 1),
        "commands": len(accepted),
        "commands_answered": len(latencies),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1)
        if latencies
        else None,
        "csms_violations": counts["violations"],
        **stages,
    }


def read_arrivals(path: Path) -> dict[str, tuple[float, float]]:
    """When each tagged Authorize first reached the CSMS: (monotonic, wall-clock) seconds."""
    arrived: dict[str, tuple[float, float]] = {}
    for line in path.read_text().splitlines():
        tag, monotonic, wall = line.split()
        arrived.setdefault(tag, (float(monotonic), float(wall)))
    return arrived


def command_stages(url: str, schema: str, arrivals: Path) -> dict[str, float | None]:
    """Where a command's latency goes, p50 and p99 of each stage, from the ledger's own timestamps (wall
    clock): queued -> dispatched (the bridge learns of it and its charger starts it), dispatched -> the
    Authorize frame recorded (waiting for the charger's previous call to be answered), recorded -> at the
    CSMS (the frame is committed to the ledger, then sent)."""
    at_csms = {tag: wall for tag, (_, wall) in read_arrivals(arrivals).items()}
    with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema}") as conn:
        rows = conn.execute(
            "SELECT c.payload, c.queued_at, c.dispatched_at, min(f.timestamp) FROM commands c "
            "JOIN ocpp_frames f ON f.command_id = c.id AND f.direction = 'cp_to_csms' "
            "WHERE c.event_type = 'authorize' GROUP BY c.id, c.payload, c.queued_at, c.dispatched_at"
        ).fetchall()

    def seconds(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    spans: dict[str, list[float]] = {
        name: [] for name in ("queued_to_dispatched", "dispatched_to_frame", "frame_to_csms")
    }
    for payload, queued, dispatched, frame in rows:
        tag = json.loads(payload)["id_tag"]
        if tag not in at_csms or dispatched is None:
            continue
        spans["queued_to_dispatched"].append(seconds(dispatched) - seconds(queued))
        spans["dispatched_to_frame"].append(seconds(frame) - seconds(dispatched))
        spans["frame_to_csms"].append(at_csms[tag] - seconds(frame))
    stages: dict[str, float | None] = {}
    for name, values in spans.items():
        values.sort()
        for label, q in (("p50", 0.5), ("p99", 0.99)):
            value = values[min(len(values) - 1, int(q * len(values)))] if values else None
            stages[f"{name}_{label}_ms"] = None if value is None else round(1000 * value, 1)
    return stages


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
