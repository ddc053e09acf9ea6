"""Replay benchmark: export, verify and projection-rebuild throughput on a large ledger, with peak memory,
next to a baseline of reading the same rows with a plain SQL cursor (the driver's own, no ledger code) —
in the same run, on each backend.

The ledger is filled with N CommandQueued events (1,000 chargers, through the application in saves of
5,000 events). Each measured step runs in a process of its own, so its peak resident memory is its own.

Run: `.venv/bin/python bench/replay.py [--events 1000000] [--backends sqlite,postgres]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from domain.catalog import find_model  # noqa: E402
from domain.charger import Charger, ChargerSettings  # noqa: E402
from domain.commands import PlugConnector  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.protocol import OcppVersion  # noqa: E402
from domain.settings import Settings  # noqa: E402
from infra import patches  # noqa: E402

CHARGERS = 1000


def settings_for(env: dict[str, str]) -> Settings:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fill(env: dict[str, str], events: int) -> float:
    ledger = Ledger(env=settings_for(env).persistence_env())
    ledger.create_tables()
    model = find_model("wallbox", "wallbox-pulsar-plus")
    chargers = [
        Charger.register(
            tenant="bench",
            identity=f"R-{i}",
            model=model,
            settings=ChargerSettings(
                name=f"R-{i}", connector_type="Type2", ocpp_version=OcppVersion.V16, ws_url="ws://h/o"
            ),
            location_id=None,
            requested_by="bench",
        )
        for i in range(CHARGERS)
    ]
    ledger.save(*chargers)
    payload = PlugConnector(connector_id=1)
    started = time.perf_counter()
    written = CHARGERS
    while written < events:
        batch = chargers[: min(len(chargers), events - written)]
        for _ in range(5):
            for charger in batch:
                charger.queue(uuid4(), payload, "location", "bench", "api", uuid4())
        ledger.save(*batch)
        written += 5 * len(batch)
    elapsed = time.perf_counter() - started
    ledger.close()
    return written / elapsed


def plain_read(db: object) -> int:
    """The baseline: the same columns of every row, through the driver's own cursor, no ledger code."""
    from infra.sql import Database

    assert isinstance(db, Database)
    table, column = db.events_table
    columns = f"{column}, originator_id, originator_version, topic, state"
    sql = f"SELECT {columns} FROM {table} ORDER BY {column}"  # noqa: S608 - the ledger's own names
    count = 0
    if db.dialect == "sqlite":
        with sqlite3.connect(db.datastore.pool.db_name) as conn:
            cursor = conn.execute(sql)
            while rows := cursor.fetchmany(10_000):
                count += len(rows)
        return count
    kwargs = {k: v for k, v in db.datastore.pool.kwargs.items() if k != "row_factory"}  # plain tuples
    with psycopg.connect(**kwargs) as conn, conn.cursor(name="baseline") as cursor:
        cursor.itersize = 10_000
        cursor.execute(sql)
        while rows := cursor.fetchmany(10_000):
            count += len(rows)
    return count


def step(name: str, env: dict[str, str], path: str) -> dict[str, float]:
    """One measurement, in this (child) process."""
    from infra.sql import Database
    from projections.readmodels import ReadModels
    from replays.export import Slice, export
    from replays.recording import read_header, verify

    ledger = Ledger(env=settings_for(env).persistence_env())
    db = Database(ledger)
    started = time.perf_counter()
    if name == "sql-baseline":
        count = plain_read(db)
    elif name == "export":
        count, _ = export(db, Slice(), Path(path))
    elif name == "verify":
        with open(path, "rb") as handle:
            head = read_header(handle.readline().decode())
            assert verify(iter(handle), head) is None
        count = head["count"]
    elif name == "rebuild":
        read = ReadModels(ledger)
        read.create_tables()
        read.rebuild("commands")
        with db.reader() as cur:
            count = cur.execute("SELECT COUNT(*) AS n FROM commands").scalar()
    else:
        raise ValueError(name)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "events": count,
        "seconds": round(elapsed, 2),
        "events_per_s": round(count / elapsed),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def run_backend(backend: str, events: int) -> dict[str, object]:
    tmp = tempfile.mkdtemp(prefix="bench-replay-")
    schema = None
    if backend == "sqlite":
        env = {"LEDGER_VAR_DIR": tmp}
    else:
        url = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        schema = f"bench_replay_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        env = {"LEDGER_DATABASE_URL": url, "LEDGER_DATABASE_SCHEMA": schema}
    try:
        fill_rate = fill(env, events)
        results: dict[str, object] = {"fill_events_per_s": round(fill_rate)}
        recording = str(Path(tmp) / "all.jsonl")
        for name in ("sql-baseline", "export", "verify", "rebuild"):
            out = subprocess.run(
                [sys.executable, __file__, "--step", name, "--env", json.dumps(env), "--path", recording],
                check=True,
                capture_output=True,
                text=True,
            )
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        return results
    finally:
        if schema:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    patches.install()  # as the CLI does
    if args.step:
        print(json.dumps(step(args.step, json.loads(args.env), args.path)))
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; {args.events:,} events")
    print("| backend | step | events/s | ratio to SQL baseline | seconds | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|")
    everything = {}
    for backend in args.backends.split(","):
        results = run_backend(backend, args.events)
        everything[backend] = results
        base = results["sql-baseline"]["events_per_s"]  # type: ignore[index]
        for name in ("sql-baseline", "export", "verify", "rebuild"):
            r: dict[str, float] = results[name]  # type: ignore[assignment]
            ratio = r["events_per_s"] / base
            cells = [
                backend,
                name,
                f"{r['events_per_s']:,}",
                f"{ratio:.2f}",
                str(r["seconds"]),
                str(r["peak_rss_mb"]),
            ]
            print("| " + " | ".join(cells) + " |")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"replay-{int(time.time())}.json").write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
