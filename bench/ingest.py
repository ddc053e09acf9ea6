"""Ingest benchmark: a location fan-out of 1,000 chargers over HTTP, against its baseline.

For each backend (SQLite file; PostgreSQL from LEDGER_BENCH_DATABASE_URL, default the local server, in a
fresh schema) this measures, in the same run:

- http:   POST /ocpp/commands/plug-connector to a location of 1,000 chargers, end to end through a real
          `ocpp-ledger serve` process over loopback (client-observed latency). "isolated": each request
          starts when the read models have caught up; "back-to-back": requests follow each other.
- direct: the same 1,000 CommandQueued events recorded on the 1,000 Charger aggregates and appended
          through the eventsourcing application in one save() (the floor the HTTP path builds on).

Run: `.venv/bin/python bench/ingest.py [--rounds 30] [--backends sqlite,postgres]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.charger import Charger  # noqa: E402
from domain.commands import PlugConnector  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.settings import Settings  # noqa: E402
from infra import patches  # noqa: E402

CLI = str(Path(sys.executable).parent / "ocpp-ledger")
CHARGERS = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def backend_env(name: str) -> Iterator[dict[str, str]]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield {"LEDGER_VAR_DIR": tmp}
        return
    url = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"LEDGER_DATABASE_URL": url, "LEDGER_DATABASE_SCHEMA": schema}
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def server(env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [CLI, "serve", "--no-bridge", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_http(env: dict[str, str], rounds: int) -> dict[str, object]:
    token = subprocess.run(
        [CLI, "token", "create", "--org", "bench"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with server(env, free_port()) as base, httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        location = http.post("/ocpp/locations", json={"name": "bench"}).json()["id"]
        group = {
            "template": {
                "brand_slug": "wallbox",
                "model_slug": "wallbox-pulsar-plus",
                "ws_url": "ws://127.0.0.1:9/ocpp",
                "identity_prefix": "B-",
            },
            "chargers_number": CHARGERS,
        }
        assert http.post(f"/ocpp/locations/{location}/chargers", json=[group]).status_code == 202
        request = {"target": {"location_id": location}, "event": {"connector_id": 1}}

        def fan_out() -> float:
            started = time.perf_counter()
            response = http.post("/ocpp/commands/plug-connector", json=request)
            elapsed = time.perf_counter() - started
            assert response.status_code == 202, response.text
            assert response.json()["queued_count"] == CHARGERS, response.text
            return elapsed

        for _ in range(3):  # warm-up: aggregate cache, connections
            fan_out()
        isolated = []
        for _ in range(rounds):
            http.get("/ocpp/commands", params={"limit": 1})  # returns once the read models caught up
            isolated.append(fan_out())
        back_to_back = [fan_out() for _ in range(rounds)]
        charger_ids = [
            c["id"]
            for c in http.get(f"/ocpp/locations/{location}/chargers", params={"limit": 100}).json()["data"]
        ]
        total = http.get(f"/ocpp/locations/{location}/chargers", params={"limit": 1}).json()["total"]
        assert total == CHARGERS, total
    return {"isolated": isolated, "back_to_back": back_to_back, "sample_ids": charger_ids}


def measure_direct(env: dict[str, str], rounds: int) -> list[float]:
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    ledger = Ledger(env=settings.persistence_env())
    ids = [
        n.originator_id
        for n in ledger.recorder.select_notifications(
            start=1, limit=10_000_000, topics=[Charger.Registered.TOPIC]
        )
    ]
    chargers = [ledger.repository.get(i) for i in ids[:CHARGERS]]
    payload = PlugConnector(connector_id=1)
    timings = []
    for _ in range(rounds + 3):
        batch = uuid4()
        started = time.perf_counter()
        for charger in chargers:
            charger.queue(uuid4(), payload, "location", "bench", "api", batch)
        ledger.save(*chargers)
        timings.append(time.perf_counter() - started)
    ledger.close()
    return timings[3:]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    patches.install()  # as the CLI does: the direct saves go the same way as the gateway's
    results: dict[str, dict[str, object]] = {}
    print(f"machine: {machine()}\n")
    print("| backend | path | p50 ms | p90 ms | events/s (p50) | ratio to direct (p50) |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.backends.split(","):
        with backend_env(name) as env:
            http = measure_http(env, args.rounds)
            direct = measure_direct(env, args.rounds)
        base = statistics.median(direct)
        rows = [
            ("direct save()", direct),
            ("HTTP isolated", http["isolated"]),
            ("HTTP back-to-back", http["back_to_back"]),
        ]
        for label, values in rows:
            p50 = statistics.median(values)  # type: ignore[arg-type]
            print(
                f"| {name} | {label} | {p50 * 1000:.1f} | {percentile(values, 90) * 1000:.1f} | "  # type: ignore[arg-type]
                f"{CHARGERS / p50:,.0f} | {p50 / base:.2f}x |"
            )
        results[name] = {
            "direct": direct,
            "http_isolated": http["isolated"],
            "http_back_to_back": http["back_to_back"],
        }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"ingest-{int(time.time())}.json").write_text(
        json.dumps({"machine": machine(), "results": results}, indent=1)
    )


if __name__ == "__main__":
    main()
