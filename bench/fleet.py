"""Fleet benchmark: N simulated chargers on one bridge process against a CSMS in a second process, beside
the same N charge points written with the bare `ocpp` library (recording nothing), in the same run.

Processes (all on loopback, PostgreSQL from LEDGER_BENCH_DATABASE_URL in a fresh schema):
  - the CSMS (bench/fleet_csms.py: the project's `ocpp`-library CSMS, schema validation on),
  - `ocpp-ledger serve --no-bridge` (gateway, projections, auto-stop policy),
  - `ocpp-ledger bridge` (the N charge points),
  - or instead of the last two, bench/fleet_baseline.py (the baseline: the library's charge points).
Every charger boots, reports its statuses and runs a charging session (meter values every 10 s, heartbeat
every 60 s) while the driver sends `authorize` commands through the API at a steady rate (the baseline
sends the same Authorize calls itself). The yardstick is CPU per message the CSMS receives, for each of
our processes (bridge, gateway, PostgreSQL's backends serving them) and for the baseline. Also reported:
boot time (from the bridge's start to every charger's statuses at the CSMS), resident memory per charger,
events appended per message, and command latency from the API's 202 to the Authorize frame arriving at
the CSMS (p50/p99).

`--before WORKTREE` also measures another checkout's code in the same run (`git worktree add --detach
/tmp/before <commit>`), so a change is compared with what came before it under the same load;
`--repeat` interleaves several runs of each. A Markdown summary (medians) ends the output.

Run: `make bench-fleet ARGS='--sizes 100,1000 --window 60 --repeat 2 --before /tmp/before'`.
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
def process(
    args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    # The working directory matters: `python -c` puts it first on the import path.
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
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


@dataclass(frozen=True)
class Variant:
    """Whose code a run measures: this tree ("ours"), a previous commit's worktree ("before"), or the
    bare `ocpp` library's charge points ("baseline")."""

    name: str
    root: Path = ROOT

    def env(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, "PYTHONPATH": str(self.root)}

    @property
    def cli(self) -> list[str]:
        # The tree's own code: PYTHONPATH comes before the editable install of this checkout.
        return [sys.executable, "-c", "from ocpp_ledger.cli import main; main()"]


def csms_received(work: Path, n: int) -> dict[str, int]:
    path = work / f"arrivals-{n}.counts"
    if not path.exists():
        return {}
    with contextlib.suppress(ValueError):
        return dict(json.loads(path.read_text())["counts"])
    return {}


def booted(work: Path, n: int) -> bool:
    """Every charger booted and reported connector 0 and 1 to the CSMS."""
    counts = csms_received(work, n)
    return counts.get("BootNotification", 0) >= n and counts.get("StatusNotification", 0) >= 2 * n


class Meter:
    """CPU seconds of processes over a window: our processes by pid, PostgreSQL's backends by the
    application name their process connected with (PGAPPNAME); the messages the CSMS received."""

    def __init__(self, url: str, work: Path, n: int, procs: dict[str, int], apps: dict[str, str]) -> None:
        self.url, self.work, self.n, self.procs, self.apps = url, work, n, procs, apps

    def backends(self) -> dict[int, str]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid, application_name FROM pg_stat_activity WHERE application_name = ANY(%s)",
                (list(self.apps.values()),),
            ).fetchall()
        return {int(pid): app for pid, app in rows}

    def sample(self) -> Sample:
        # The CSMS writes its counters every second: up to a second stale at either end of a window.
        cpu: dict[str, float] = {name: cpu_seconds(pid) for name, pid in self.procs.items()}
        backend_cpu: dict[int, float] = {}
        for pid in self.backends():
            with contextlib.suppress(OSError, IndexError):
                backend_cpu[pid] = cpu_seconds(pid)
        busy, total = machine_busy_seconds()
        received = sum(csms_received(self.work, self.n).values())
        return Sample(cpu, backend_cpu, busy, total, received, time.monotonic())

    @staticmethod
    def per_message(before: Sample, after: Sample) -> dict[str, Any]:
        messages = after.received - before.received
        elapsed = after.at - before.at
        cpu = {name: after.cpu[name] - before.cpu[name] for name in after.cpu}
        # A backend that connected during the window started from zero; one that ended is not counted.
        cpu["postgres"] = sum(value - before.backends.get(pid, 0.0) for pid, value in after.backends.items())
        result: dict[str, Any] = {
            "csms_messages": messages,
            "csms_messages_per_s": round(messages / elapsed, 1),
            "machine_busy_percent": round(100 * (after.busy - before.busy) / (after.total - before.total), 1),
        }
        for name, seconds in cpu.items():
            result[f"{name}_cpu_percent"] = round(100 * seconds / elapsed, 1)
            result[f"{name}_ms_per_msg"] = round(1000 * seconds / messages, 3) if messages else None
        return result


@dataclass(frozen=True)
class Sample:
    cpu: dict[str, float]
    backends: dict[int, float]
    busy: float
    total: float
    received: int
    at: float


def run_baseline(n: int, window: float, rate: float, url: str, work: Path) -> dict[str, object]:
    """The same fleet, traffic and CSMS with the bare `ocpp` library's charge points."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    csms_port = free_port()
    arrivals = work / f"arrivals-{n}.txt"
    arrivals.unlink(missing_ok=True)
    (work / f"arrivals-{n}.counts").unlink(missing_ok=True)
    status = work / f"baseline-{n}.status"
    status.unlink(missing_ok=True)
    with process(
        [sys.executable, str(ROOT / "bench" / "fleet_csms.py"), str(csms_port), str(arrivals)],
        env,
        work / f"csms-{n}.log",
    ) as csms:
        wait(lambda: (work / f"arrivals-{n}.counts").exists(), 60, "the CSMS")
        started = time.monotonic()
        with process(
            [
                sys.executable,
                str(ROOT / "bench" / "fleet_baseline.py"),
                f"ws://127.0.0.1:{csms_port}/ocpp",
                str(n),
                str(rate),
                str(status),
            ],
            env,
            work / f"baseline-{n}.log",
        ) as baseline:
            wait(lambda: booted(work, n), 600, f"{n} baseline chargers booted")
            boot = time.monotonic() - started
            wait(lambda: status.exists() and int(status.read_text() or 0) >= n, 600, f"{n} charging")
            time.sleep(12)  # the meter phases settle into their steady rhythm, as for the bridge
            meter = Meter(url, work, n, {"baseline": baseline.pid, "csms": csms.pid}, {})
            s0 = meter.sample()
            time.sleep(window)
            s1 = meter.sample()
            rss = rss_bytes(baseline.pid)
    return {
        "variant": "baseline",
        "chargers": n,
        "window_s": round(s1.at - s0.at, 1),
        "boot_s": round(boot, 1),
        **Meter.per_message(s0, s1),
        "rss_mb": round(rss / 2**20, 1),
        "rss_kb_per_charger": round(rss / 1024 / n, 1),
    }


def run_size(
    variant: Variant, n: int, window: float, rate: float, url: str, work: Path, profile: bool = False
) -> dict[str, object]:
    schema = f"fleet_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = variant.env(
        {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")},
            "LEDGER_DATABASE_URL": url,
            "LEDGER_DATABASE_SCHEMA": schema,
            "LEDGER_POOL_SIZE": "8",
        }
    )
    apps = {"gateway": f"{schema}-gateway", "bridge": f"{schema}-bridge"}
    csms_port, api_port, metrics_port = free_port(), free_port(), free_port()
    arrivals = work / f"arrivals-{n}.txt"
    arrivals.unlink(missing_ok=True)
    (work / f"arrivals-{n}.counts").unlink(missing_ok=True)
    cli = variant.cli
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=variant.root)
    token = subprocess.run(
        [*cli, "token", "create", "--org", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=variant.root,
    ).stdout.strip()
    tag = f"{variant.name}-{n}"
    try:
        with (
            process(
                [sys.executable, str(ROOT / "bench" / "fleet_csms.py"), str(csms_port), str(arrivals)],
                env,
                work / f"csms-{tag}.log",
            ) as csms,
            process(
                [*cli, "serve", "--no-bridge", "--port", str(api_port)],
                {**env, "PGAPPNAME": apps["gateway"]},
                work / f"gateway-{tag}.log",
                variant.root,
            ) as gateway,
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
            wait(lambda: scalar(url, schema, "SELECT count(*) FROM chargers") >= n, 600, f"{n} chargers")
            # Boot: from the bridge's start to every charger connected, accepted, and its statuses sent
            # (each frame is on record before it leaves).
            started = time.monotonic()
            with process(
                [*cli, "bridge", "--metrics-port", str(metrics_port)],
                {**env, "PGAPPNAME": apps["bridge"]},
                work / f"bridge-{tag}.log",
                variant.root,
            ) as bridge:
                wait(lambda: booted(work, n), 600, f"{n} chargers booted")
                boot = time.monotonic() - started
                result = _measure(
                    variant,
                    n,
                    window,
                    rate,
                    url,
                    work,
                    schema,
                    api,
                    location,
                    arrivals,
                    {"bridge": bridge.pid, "gateway": gateway.pid, "csms": csms.pid},
                    apps,
                    metrics_port,
                    profile,
                )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    commit = subprocess.run(
        ["git", "-C", str(variant.root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {"variant": variant.name, "commit": commit, "chargers": n, "boot_s": round(boot, 1), **result}


def _measure(
    variant: Variant,
    n: int,
    window: float,
    rate: float,
    url: str,
    work: Path,
    schema: str,
    api: httpx.Client,
    location: str,
    arrivals: Path,
    procs: dict[str, int],
    apps: dict[str, str],
    metrics_port: int,
    profile: bool,
) -> dict[str, object]:
    """The steady state: every charger charging, commands sent through the API for `window` seconds."""
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
        c["id"] for c in api.get(f"/ocpp/locations/{location}/chargers", params={"limit": 100}).json()["data"]
    ]
    if profile:  # a sampling profile of each of our processes during the window (py-spy, if installed)
        for name in ("bridge", "gateway"):
            subprocess.Popen(
                [
                    str(BIN / "py-spy"),
                    "record",
                    "--gil",  # only samples holding the interpreter lock: where the CPU goes
                    "-d",
                    str(int(window)),
                    "-f",
                    "raw",
                    "-o",
                    str(work / f"{name}-{variant.name}-{n}.prof"),
                    "-p",
                    str(procs[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    meter = Meter(url, work, n, procs, apps)
    s0 = meter.sample()
    bridge0 = bridge_totals(api, metrics_port)
    t0 = time.monotonic()
    head0 = scalar(url, schema, "SELECT max(notification_id) FROM ocpp_ledger_events")
    accepted: dict[str, float] = {}
    # OCPPLAB's path; a commit measured with --before may predate it and know only /authorize.
    authorize_path = "/ocpp/commands/authorize-id-tag"
    if api.post(authorize_path, json={}).status_code in (404, 405):
        authorize_path = "/ocpp/commands/authorize"
    next_send = time.monotonic()
    seq = 0
    while time.monotonic() - t0 < window:
        next_send += 1.0 / rate
        time.sleep(max(0.0, next_send - time.monotonic()))
        seq += 1
        tag = f"LAT{seq}"
        response = api.post(
            authorize_path,
            json={"target": {"charger_id": random.choice(ids)}, "event": {"id_tag": tag}},
        )
        if response.status_code == 202:
            accepted[tag] = time.monotonic()
    elapsed = time.monotonic() - t0
    bridge1 = bridge_totals(api, metrics_port)
    head1 = scalar(url, schema, "SELECT max(notification_id) FROM ocpp_ledger_events")
    s1 = meter.sample()
    delta = {key: bridge1[key] - bridge0[key] for key in bridge0}
    saves = delta["writer_saves"]
    frames = scalar(
        url,
        schema,
        "SELECT count(*) FROM ocpp_ledger_events "
        "WHERE notification_id > %s AND notification_id <= %s AND topic = %s",
        (head0, head1, FRAME_TOPIC),
    )
    rss = rss_bytes(procs["bridge"])
    time.sleep(3)  # the last commands' frames
    counts = json.loads((work / f"arrivals-{n}.counts").read_text())
    stages = command_stages(url, schema, arrivals)
    arrived = {tag: monotonic for tag, (monotonic, _) in read_arrivals(arrivals).items()}
    latencies = sorted((arrived[t] - accepted[t]) * 1000 for t in accepted if t in arrived)
    per_message = Meter.per_message(s0, s1)
    messages = s1.received - s0.received
    ours = ("bridge", "gateway", "postgres")
    return {
        "window_s": round(elapsed, 1),
        **per_message,
        "ours_ms_per_msg": round(sum(per_message[f"{p}_ms_per_msg"] or 0.0 for p in ours), 3),
        "rss_mb": round(rss / 2**20, 1),
        "rss_kb_per_charger": round(rss / 1024 / n, 1),
        "frames_per_s": round(frames / elapsed),
        "events_per_s": round((head1 - head0) / elapsed),
        "events_per_msg": round((head1 - head0) / messages, 2) if messages else None,
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


def summary(results: list[dict[str, Any]]) -> str:
    """A Markdown table: per N, the median over repetitions of each variant's CPU per CSMS message."""
    lines = [
        "| N | msgs/s | baseline ms/msg | variant | bridge | gateway | PostgreSQL | ours in all | "
        "all / baseline | bridge / baseline | boot s (baseline) | KB/charger (baseline) | events/msg | "
        "p50 / p99 ms | machine busy % |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def median(rows: list[dict[str, Any]], key: str) -> float:
        values = [float(r[key]) for r in rows if r.get(key) is not None]
        return statistics.median(values) if values else float("nan")

    for n in sorted({int(r["chargers"]) for r in results}):
        of_n = [r for r in results if r["chargers"] == n]
        base = [r for r in of_n if r["variant"] == "baseline"]
        base_ms = median(base, "baseline_ms_per_msg")
        for name in sorted({str(r["variant"]) for r in of_n} - {"baseline"}, key=lambda v: v != "before"):
            rows = [r for r in of_n if r["variant"] == name]
            ours = median(rows, "ours_ms_per_msg")
            lines.append(
                f"| {n:,} | {median(rows, 'csms_messages_per_s'):.0f} | {base_ms:.3f} | {name} "
                f"({len(rows)}x) | {median(rows, 'bridge_ms_per_msg'):.3f} | "
                f"{median(rows, 'gateway_ms_per_msg'):.3f} | {median(rows, 'postgres_ms_per_msg'):.3f} | "
                f"{ours:.3f} | {ours / base_ms:.2f} | {median(rows, 'bridge_ms_per_msg') / base_ms:.2f} | "
                f"{median(rows, 'boot_s'):.1f} ({median(base, 'boot_s'):.1f}) | "
                f"{median(rows, 'rss_kb_per_charger'):.0f} ({median(base, 'rss_kb_per_charger'):.0f}) | "
                f"{median(rows, 'events_per_msg'):.2f} | {median(rows, 'latency_p50_ms'):.1f} / "
                f"{median(rows, 'latency_p99_ms'):.1f} | {median(rows, 'machine_busy_percent'):.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.0, help="authorize commands per second")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant per size, interleaved")
    parser.add_argument(
        "--before",
        type=Path,
        help="also measure the code of this worktree (e.g. `git worktree add /tmp/before <commit>`)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare `ocpp` library's run")
    parser.add_argument("--no-ours", action="store_true", help="skip this tree's run")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles of our processes")
    args = parser.parse_args()
    url = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    work = ROOT / "bench" / "results"
    work.mkdir(exist_ok=True)
    variants = [] if args.no_ours else [Variant("ours")]
    if args.before is not None:
        variants.insert(0, Variant("before", args.before.resolve()))
    results: list[dict[str, Any]] = []
    out = work / f"fleet-{int(time.time())}.json"
    for n in (int(s) for s in args.sizes.split(",")):
        for _ in range(args.repeat):
            if not args.no_baseline:
                results.append(run_baseline(n, args.window, args.rate, url, work))
                print(json.dumps(results[-1]), flush=True)
            for variant in variants:
                results.append(run_size(variant, n, args.window, args.rate, url, work, args.profile))
                print(json.dumps(results[-1]), flush=True)
            out.write_text(json.dumps(results, indent=1))
    print(summary(results))


if __name__ == "__main__":
    main()
