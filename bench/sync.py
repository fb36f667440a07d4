"""Sync benchmark: emulator -> sesflow.sync (every stream) -> DuckDB / PostgreSQL, then a lookback rerun.

The emulator (``sesflow emulator --export-delay 2``, its own process) is seeded with DAYS x PER_DAY messages
(and the account state such a history implies: VDM on, identities, configuration sets, a suppression list).
Each configuration (target x max_concurrent_jobs) runs a first sync of every stream (``streams: {'*': }``)
in a fresh process, so its peak RSS is its own (the larger of the process's and of any child it waited for).

Export jobs are created at most one per second per account (the message jobs and the metrics jobs alike) and
each takes EXPORT_DELAY seconds. The message streams run their jobs up to ``max_concurrent_jobs`` at once;
the other streams run beside them, ``ses_metrics`` with one job per dimension, all at once. No sync can beat
``max(all jobs x 1 s, EXPORT_DELAY x message jobs / concurrency, EXPORT_DELAY x metrics jobs / dimensions)``
(before the streams overlapped, the bound was the sum of such a term for each: the same at concurrency >= 2,
where creating the jobs takes longest, and looser at 1 by the metrics jobs' term); we report the ratio to
that bound, and:

- ``messages_per_s``: messages (``ses_emails`` rows) / wall time of the whole sync (every stream);
- ``load_messages_per_s``: messages / seconds in dlt's normalize + load steps, summed over the batches
  sesflow loads while the next exports run, plus closing a DuckDB file (its last checkpoint) and the checks
  for messages the target holds already; the rest of the extract step is left out: it mostly waits for
  exports;
- ``load_all_rows_per_s``: the same, counting every row written (``ses_emails`` + ``ses_email_events``);
- ``final_load_s``: the message load time left after the last export; ``peak_rss_mb``.

Then, for each target at one concurrency (``--rerun-at``), a **lookback rerun** in a fresh process over the
loaded target: ``lookback_interval`` (``--lookback``, default 7d) before the saved state, so every message
it exports is held by the target already and is merged (``merge_messages_per_s``: messages / seconds of
loading, as above).

    .venv/bin/python bench/sync.py                  # 30 days x 20,000/day, DuckDB and PostgreSQL, 1/3/5
    .venv/bin/python bench/sync.py --days 3 --concurrency 3 --no-write   # quick, for iterating

Prints a table and writes bench/results/sync.json. Targets: within 1.2x of the bound, loading at
>= 100,000 rows/s (emails + events), peak RSS < 400 MB, the lookback rerun merging >= 50,000 messages/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
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
EMAILS = "ses_emails"
TARGETS = {
    "rss_mb": 400,
    "ratio_to_bound": 1.2,
    "load_all_rows_per_s": 100_000,
    "merge_messages_per_s": 50_000,
}


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    """One sync in this process (a fresh child process); returns its measurements."""
    import sesflow
    from sesflow.sync import process_tuning
    from sesflow.sync.progress import LoadStarted, ProgressEvent, StreamDone, WindowDone

    endpoint, target, concurrency, anchor, folder, schema, phase = args.one
    os.environ["SESFLOW_HOME"] = folder
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    inputs = {
        "region": "us-east-1",
        "endpoint_url": endpoint,
        "anchor_date": anchor,
        "range_interval": "1d",
        "max_concurrent_jobs": int(concurrency),
        "poll_interval": 1,
    }
    if phase == "rerun":
        inputs["lookback_interval"] = args.lookback
    os.environ["AWS_SES"] = json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs})
    if target == "duckdb":
        os.environ["TARGET"] = json.dumps({"type": "duckdb", "instance": str(Path(folder) / "bench.duckdb")})
    else:
        os.environ["TARGET"] = json.dumps({"type": "postgres", "url": args.pg_url})
    marks: dict[str, float] = {}
    unchanged = [0]

    def on_progress(event: ProgressEvent) -> None:
        if isinstance(event, WindowDone):
            unchanged[0] += event.unchanged
        elif isinstance(event, LoadStarted):
            marks["load_start"] = time.perf_counter()
        elif isinstance(event, StreamDone) and event.stream == EMAILS:
            marks["load_end"] = time.perf_counter()

    replication = {
        "source": "AWS_SES",
        "target": "TARGET",
        "defaults": {"object": f"{schema}.{{stream_name}}"},
        "streams": {"*": None},
    }
    streams = [EMAILS] if phase == "rerun" else None  # the rerun measures the message merge alone
    started = time.perf_counter()
    with process_tuning():  # what `sesflow run` does for its process (the library call tunes nothing)
        summary = sesflow.sync(replication, streams=streams, on_progress=on_progress)
    wall = time.perf_counter() - started
    messages = next(stream for stream in summary.streams if stream.stream == EMAILS)
    others = {
        stream.stream: {"status": stream.status, "rows": stream.rows, "seconds": stream.seconds}
        for stream in summary.streams
        if stream is not messages
    }
    return {
        "rows": messages.emails,
        "events": messages.events,
        "unchanged": unchanged[0],  # messages the target held as exported, left out of the merge
        "jobs": messages.jobs,
        "splits": messages.splits,
        "windows": messages.windows,
        "messages_s": round(messages.seconds, 2),
        "wall_s": round(wall, 2),
        "load_phase_s": round(messages.load_seconds, 2),  # normalize + load, DuckDB close, held checks
        "final_load_s": round(marks.get("load_end", 0.0) - marks.get("load_start", 0.0), 2),
        "other_streams": others,
        "peak_rss_mb": round(
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024,
            1,
        ),
    }


def metrics_jobs(endpoint: str) -> int:
    """The VDM metrics export jobs the emulator has seen so far."""
    import boto3

    client = boto3.client(
        "sesv2",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    count, token = 0, None
    while True:
        page = client.list_export_jobs(
            ExportSourceType="METRICS_DATA", **({"NextToken": token} if token else {})
        )
        count += len(page.get("ExportJobs", []))
        token = page.get("NextToken")
        if not token:
            return count


def child(args: argparse.Namespace, *one: str) -> dict[str, Any]:
    """Run ``one_run`` in a fresh process and return its measurements."""
    done = subprocess.run(
        [sys.executable, __file__, "--pg-url", args.pg_url, "--lookback", args.lookback, "--one", *one],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(one[1:3])} {one[-1]} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bound(jobs: int, delay: float, concurrency: int) -> float:
    """The least time ``jobs`` export jobs can take: one created per second, ``delay`` s each."""
    return max(jobs * 1.0, delay * jobs / concurrency) if jobs else 0.0


def cleanup(target: str, folder: str, schema: str, pg_url: str) -> None:
    """Drop what a configuration loaded."""
    if target == "postgres":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as db:
            for (name,) in db.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
                [schema, f"{schema}\\_staging%"],
            ).fetchall():
                db.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    shutil.rmtree(folder, ignore_errors=True)


def first_sync(args: argparse.Namespace, endpoint: str, target: str, c: int, anchor: str) -> dict[str, Any]:
    """A first sync of every stream at ``c`` concurrent jobs; leaves the target loaded (folder, schema)."""
    folder = tempfile.mkdtemp(prefix="sesflow-bench-")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    before = metrics_jobs(endpoint)
    run = child(args, endpoint, target, str(c), anchor, folder, schema, "first")
    jobs, mjobs = run["jobs"], metrics_jobs(endpoint) - before
    limit = max(
        bound(jobs + mjobs, args.export_delay, jobs + mjobs),  # every job created, one per second
        bound(jobs, args.export_delay, c),
        bound(mjobs, args.export_delay, max(mjobs, 1)),
    )
    load = run["load_phase_s"]
    run.update(
        target=target,
        concurrency=c,
        folder=folder,
        schema=schema,
        metrics_jobs=mjobs,
        bound_s=round(limit, 2),
        ratio_to_bound=round(run["wall_s"] / limit, 2),
        messages_per_s=round(run["rows"] / run["wall_s"]),
        load_messages_per_s=round(run["rows"] / load) if load else None,
        load_all_rows_per_s=round((run["rows"] + run["events"]) / load) if load else None,
    )
    other = ", ".join(
        f"{name} {o['rows']:,} in {o['seconds']:.1f} s" for name, o in run["other_streams"].items()
    )
    print(
        f"{target:9} c={c}  {run['rows']:>8,} messages  {jobs:>4}+{mjobs} jobs  "
        f"wall {run['wall_s']:7.1f} s  bound {limit:6.1f} s  x{run['ratio_to_bound']:.2f}  "
        f"load {run['load_messages_per_s'] or 0:>7,} msg/s {run['load_all_rows_per_s'] or 0:>8,} rows/s  "
        f"left {run['final_load_s']:.1f} s  RSS {run['peak_rss_mb']:.0f} MB  [{other}]",
        flush=True,
    )
    return run


def rerun(args: argparse.Namespace, endpoint: str, first: dict[str, Any], anchor: str) -> dict[str, Any]:
    """The lookback rerun over what ``first`` loaded."""
    target, c = first["target"], first["concurrency"]
    run = child(args, endpoint, target, str(c), anchor, first["folder"], first["schema"], "rerun")
    load = run["load_phase_s"]
    result = {
        "target": target,
        "concurrency": c,
        "lookback": args.lookback,
        "rows": run["rows"],
        "events": run["events"],
        "unchanged": run["unchanged"],
        "jobs": run["jobs"],
        "wall_s": run["wall_s"],
        "load_phase_s": load,
        "merge_messages_per_s": round(run["rows"] / load) if load else None,
        "merge_all_rows_per_s": round((run["rows"] + run["events"]) / load) if load else None,
        "peak_rss_mb": run["peak_rss_mb"],
    }
    print(
        f"{target:9} c={c}  lookback {args.lookback} rerun: {run['rows']:>8,} messages "
        f"({run['unchanged']:,} unchanged)  "
        f"wall {run['wall_s']:6.1f} s  load {load:5.2f} s  "
        f"{result['merge_messages_per_s'] or 0:>7,} msg/s  {result['merge_all_rows_per_s'] or 0:>8,} rows/s  "
        f"RSS {run['peak_rss_mb']:.0f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--export-delay", type=float, default=2.0)
    parser.add_argument("--targets", default="duckdb,postgres")
    parser.add_argument("--concurrency", default="1,3,5")
    parser.add_argument("--rerun-at", type=int, default=3, help="the concurrency whose target is rerun")
    parser.add_argument("--lookback", default="7d", help="lookback_interval of the rerun")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/sync.json")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument(
        "--one", nargs=7, metavar=("ENDPOINT", "TARGET", "C", "ANCHOR", "FOLDER", "SCHEMA", "PHASE")
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args)))
        return

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=args.days)
    anchor = start.date().isoformat()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    rerun_at = args.rerun_at if args.rerun_at in concurrencies else concurrencies[0]
    emulator, endpoint = start_emulator("--export-delay", str(args.export_delay))
    results: list[dict[str, Any]] = []
    reruns: list[dict[str, Any]] = []
    began_all = datetime.now(UTC)
    try:
        began = time.perf_counter()
        body = {"per_day": args.per_day, "start": start.isoformat(), "end": today.isoformat(), "seed": 1}
        seeded = httpx.post(f"{endpoint}/_sesflow/seed", json=body, timeout=600).json()["seeded"]
        print(
            f"seeded {seeded:,} messages over {args.days} days in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        for target in args.targets.split(","):
            for c in concurrencies:
                run = first_sync(args, endpoint, target, c, anchor)
                try:
                    if c == rerun_at:
                        reruns.append(rerun(args, endpoint, run, anchor))
                finally:
                    cleanup(target, run.pop("folder"), run.pop("schema"), args.pg_url)
                results.append(run)
    finally:
        stop(emulator)
    missed = [
        f"{r['target']} c={r['concurrency']}: {what}"
        for r in results
        for what, failed in (
            (f"x{r['ratio_to_bound']} of the bound", r["ratio_to_bound"] > TARGETS["ratio_to_bound"]),
            (
                f"{r['load_all_rows_per_s']:,} rows/s loading",
                (r["load_all_rows_per_s"] or 0) < TARGETS["load_all_rows_per_s"],
            ),
            (f"{r['peak_rss_mb']} MB RSS", r["peak_rss_mb"] >= TARGETS["rss_mb"]),
        )
        if failed
    ] + [
        f"{r['target']} rerun: {what}"
        for r in reruns
        for what, failed in (
            (
                f"{r['merge_messages_per_s']:,} msg/s merging",
                (r["merge_messages_per_s"] or 0) < TARGETS["merge_messages_per_s"],
            ),
            (f"{r['peak_rss_mb']} MB RSS", r["peak_rss_mb"] >= TARGETS["rss_mb"]),
        )
        if failed
    ]
    print("targets missed: " + ("; ".join(missed) if missed else "none"))
    if args.no_write:
        return
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "sync",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "started": began_all.isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "days": args.days,
                "per_day": args.per_day,
                "export_delay": args.export_delay,
                "streams": "* (every stream); the rerun: ses_emails + ses_email_events",
                "duckdb_memory_limit": os.environ.get(
                    "SESFLOW_DUCKDB_MEMORY_LIMIT", f"default ({DUCKDB_MEMORY_LIMIT})"
                ),
                "targets": TARGETS,
                "definitions": {
                    "bound_s": (
                        "max((message + metrics export jobs) x 1 s, delay x message jobs / concurrency, "
                        "delay x metrics jobs / metrics jobs at once (one per dimension)): the streams "
                        "overlap, and SES creates one export job per second per account"
                    ),
                    "messages_per_s": "ses_emails rows / wall seconds of the whole sync (every stream)",
                    "load_messages_per_s": (
                        "ses_emails rows / seconds in dlt normalize + load steps (+ closing a DuckDB file, "
                        "+ checking which messages the target holds)"
                    ),
                    "load_all_rows_per_s": "(ses_emails + ses_email_events rows) / the same seconds",
                    "final_load_s": "seconds from the last export handed to dlt to the messages' last load",
                    "peak_rss_mb": "max RSS of the sync process (and of any child process it waited for)",
                    "merge_messages_per_s": (
                        "lookback rerun: ses_emails rows (all held by the target) / seconds of loading"
                    ),
                },
                "results": results,
                "lookback_reruns": reruns,
                "missed": missed,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
