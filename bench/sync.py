"""Message Insights sync benchmark: emulator -> sesflow.sync -> DuckDB / PostgreSQL.

The emulator (``sesflow emulator --export-delay 2``, its own process) is seeded with DAYS x PER_DAY messages;
each configuration (target x max_concurrent_jobs) then runs a full sync in a fresh process, so its peak RSS
is its own (the larger of the process's and of any child it waited for). Export jobs are created at most one
per second and each takes EXPORT_DELAY seconds, so no sync can beat the lower bound
``max(jobs x 1 s, EXPORT_DELAY x jobs / concurrency)``; we report the ratio to it, and:

- ``messages_per_s``: messages (``ses_emails`` rows) / wall time of the whole sync;
- ``load_messages_per_s``: messages / seconds in dlt's normalize + load steps, summed over the batches
  sesflow loads while the next exports run, plus closing a DuckDB file (its last checkpoint) and the checks
  for messages the target holds already; the rest of the extract step is left out: it mostly waits for
  exports;
- ``load_all_rows_per_s``: the same, counting every row written (``ses_emails`` + ``ses_email_events``);
- ``final_load_s``: the load time left after the last export; ``peak_rss_mb``.

    .venv/bin/python bench/sync.py                       # 30 days x 20,000/day, DuckDB and PostgreSQL, 1/3/5
    .venv/bin/python bench/sync.py --targets duckdb --days 7

Prints a table and writes bench/results/sync.json. Targets: within 1.5x of the bound, loading at
>= 50,000 rows/s (given both in messages and in all rows written), peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _emulator_process import start_emulator, stop
from sesflow.connections import DUCKDB_MEMORY_LIMIT

RESULTS = Path(__file__).resolve().parent / "results" / "sync.json"
DEFAULT_PG = os.environ.get("SESFLOW_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")


def one_run(endpoint: str, target: str, concurrency: int, anchor: str, pg_url: str) -> dict[str, Any]:
    """One sync in this process; returns its measurements (called in a fresh child process)."""
    import sesflow
    from sesflow.sync import process_tuning
    from sesflow.sync.progress import LoadStarted, ProgressEvent, StreamDone

    folder = Path(tempfile.mkdtemp(prefix="sesflow-bench-"))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    os.environ["SESFLOW_HOME"] = str(folder)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    inputs = {
        "region": "us-east-1",
        "endpoint_url": endpoint,
        "anchor_date": anchor,
        "range_interval": "1d",
        "max_concurrent_jobs": concurrency,
        "poll_interval": 1,
    }
    os.environ["AWS_SES"] = json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs})
    if target == "duckdb":
        os.environ["TARGET"] = json.dumps({"type": "duckdb", "instance": str(folder / "bench.duckdb")})
    else:
        os.environ["TARGET"] = json.dumps({"type": "postgres", "url": pg_url})
    marks: dict[str, float] = {}

    def on_progress(event: ProgressEvent) -> None:
        if isinstance(event, LoadStarted):
            marks["load_start"] = time.perf_counter()
        elif isinstance(event, StreamDone):
            marks["load_end"] = time.perf_counter()

    replication = {
        "source": "AWS_SES",
        "target": "TARGET",
        "defaults": {"object": f"{schema}.{{stream_name}}"},
        "streams": {"ses_emails": None},
    }
    started = time.perf_counter()
    with process_tuning():  # what `sesflow run` does for its process (the library call tunes nothing)
        summary = sesflow.sync(replication, on_progress=on_progress)
    wall = time.perf_counter() - started
    stream = summary.streams[0]
    if target == "postgres":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as db:
            db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            db.execute(f'DROP SCHEMA IF EXISTS "{schema}_staging" CASCADE')
    load_seconds = stream.load_seconds
    return {
        "rows": stream.emails,
        "events": stream.events,
        "jobs": stream.jobs,
        "splits": stream.splits,
        "wall_s": round(wall, 2),
        "load_phase_s": round(load_seconds, 2),  # normalize + load over the batches, DuckDB close, checks
        "final_load_s": round(marks.get("load_end", 0.0) - marks.get("load_start", 0.0), 2),
        "peak_rss_mb": round(
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024,
            1,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--export-delay", type=float, default=2.0)
    parser.add_argument("--targets", default="duckdb,postgres")
    parser.add_argument("--concurrency", default="1,3,5")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--one", nargs=4, metavar=("ENDPOINT", "TARGET", "CONCURRENCY", "ANCHOR"))
    args = parser.parse_args()
    if args.one:
        endpoint, target, concurrency, anchor = args.one
        print(json.dumps(one_run(endpoint, target, int(concurrency), anchor, args.pg_url)))
        return

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=args.days)
    emulator, endpoint = start_emulator("--export-delay", str(args.export_delay))
    results: list[dict[str, Any]] = []
    try:
        began = time.perf_counter()
        seeded = httpx.post(
            f"{endpoint}/_sesflow/seed",
            json={
                "per_day": args.per_day,
                "start": start.isoformat(),
                "end": today.isoformat(),
                "seed": 1,
            },
            timeout=600,
        ).json()["seeded"]
        print(
            f"seeded {seeded:,} messages over {args.days} days in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        for target in args.targets.split(","):
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--pg-url",
                        args.pg_url,
                        "--one",
                        endpoint,
                        target,
                        str(concurrency),
                        start.date().isoformat(),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if child.returncode != 0:
                    print(child.stderr[-2000:], file=sys.stderr)
                    raise SystemExit(f"{target} x {concurrency} failed")
                run = json.loads(child.stdout.strip().splitlines()[-1])
                jobs = run["jobs"]
                bound = max(jobs * 1.0, args.export_delay * jobs / concurrency)
                run.update(
                    target=target,
                    concurrency=concurrency,
                    bound_s=round(bound, 2),
                    ratio_to_bound=round(run["wall_s"] / bound, 2),
                    messages_per_s=round(run["rows"] / run["wall_s"]),
                    load_messages_per_s=round(run["rows"] / load) if (load := run["load_phase_s"]) else None,
                    load_all_rows_per_s=round((run["rows"] + run["events"]) / load) if load else None,
                )
                results.append(run)
                print(
                    f"{target:9} c={concurrency}  {run['rows']:>8,} messages  {jobs:>4} jobs  "
                    f"wall {run['wall_s']:7.1f} s  bound {bound:6.1f} s  x{run['ratio_to_bound']:.2f}  "
                    f"{run['messages_per_s']:>6,} msg/s  load {run['load_messages_per_s'] or 0:>7,} msg/s "
                    f"{run['load_all_rows_per_s'] or 0:>8,} rows/s  left {run['final_load_s']:.1f} s  "
                    f"RSS {run['peak_rss_mb']:.0f} MB",
                    flush=True,
                )
    finally:
        stop(emulator)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "sync",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "days": args.days,
                "per_day": args.per_day,
                "export_delay": args.export_delay,
                "duckdb_memory_limit": os.environ.get(
                    "SESFLOW_DUCKDB_MEMORY_LIMIT", f"default ({DUCKDB_MEMORY_LIMIT})"
                ),
                "definitions": {
                    "messages_per_s": "ses_emails rows / wall seconds of the whole sync",
                    "load_messages_per_s": (
                        "ses_emails rows / seconds in dlt normalize + load steps (+ closing a DuckDB file, "
                        "+ checking which messages the target holds)"
                    ),
                    "load_all_rows_per_s": "(ses_emails + ses_email_events rows) / the same seconds",
                    "final_load_s": "seconds from the last export handed to dlt to the end of the sync",
                    "peak_rss_mb": "max RSS of the sync process (and of any child process it waited for)",
                },
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
