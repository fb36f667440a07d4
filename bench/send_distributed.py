"""Benchmark: one account rate across P processes — sesflow's RedisLimiter beside what users do today.

The local SES emulator (its own process) enforces R recipients per second (R = 200 and 1,000). P worker
processes (P = 2, 4, 8), each with C connections, send mixed 1- and 3-recipient messages for ``--duration``
seconds, three ways:

- ``sesflow-redis``: a Mailer per process at ``rate=R`` sharing one RedisLimiter (``redis_url``, one key);
- ``gcra-per-process``: a Mailer per process with its own in-process GCRALimiter at R (the first wave's, which
  did not learn from throttling): P x R in total;
- ``celery-rate_limit``: P real ``celery worker`` processes (prefork pool, 4 children, prefetch multiplier 64)
  on the Redis broker, a task per message with ``rate_limit="R/s"`` — Celery's documented per-worker limit —
  sending once each.

Server side (``GET /_sesflow/sends``): the most recipients attempted and accepted in any one-second window,
throttled attempts, and the achieved rate (accepted recipients per second over the run) against R. Client
side: Redis commands per accepted message (``INFO commandstats`` of a Redis started for the benchmark; for
Celery, the broker's) and the worker processes' CPU milliseconds per accepted message. Then one more
``sesflow-redis`` run at R = 200, P = 4 in which one worker is killed with SIGKILL a third of the way in:
the same numbers after the kill, and the accepted recipients per second around it. Prints the tables and
writes ``bench/results/send_distributed.json``.

    flock /work/wt/heavy.lock .venv/bin/python bench/send_distributed.py [--duration 30] [--rates 200,1000]
        [--processes 2,4,8] [--connections 8] [--contenders sesflow-redis,gcra-per-process,celery-rate_limit]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from send_rate import RESULTS, emulator_process, max_in_any_second, sends_since

BENCH = Path(__file__).resolve().parent
CONTENDERS = ("sesflow-redis", "gcra-per-process", "celery-rate_limit")
# Celery's rate_limit holds rate-limited tasks in the worker's prefetch slots, and on the Redis broker a
# worker whose slots are all held stalls at a few tasks per second (celery/celery#5927): with the default
# prefetch multiplier (4) a worker told 200/s ran ~3 tasks/s here, with the threads pool too. A multiplier of
# 64 and the prefork pool let it run at its limit: the best Celery setup we found, and the one measured.
CELERY_CHILDREN = 4
CELERY_PREFETCH = 64


# -- Redis ---------------------------------------------------------------------------------------------------


REDIS_PID: list[int] = []  # the benchmark's Redis, whose CPU is measured per run


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A Redis of the benchmark's own (its command counts and CPU are this benchmark's alone); yields its
    URL."""
    import socket

    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="sesflow-bench-redis-")
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    REDIS_PID[:] = [process.pid]
    try:
        for _ in range(300):
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(url).ping():
                    break
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def redis_calls(url: str, leave_out: str = "", scripted: bool = False) -> tuple[int, int]:
    """(round trips, all commands) Redis has run so far. With ``scripted`` (sesflow's limiter) the round
    trips are the script calls and BLPOPs, and all commands include those run inside the scripts (INFO
    commandstats counts both); else every command is a round trip. ``leave_out``: a command not counted."""
    import redis

    stats = redis.Redis.from_url(url).info("commandstats")
    total = sum(int(entry["calls"]) for name, entry in stats.items() if name != f"cmdstat_{leave_out}")
    if not scripted:
        return total, total
    trips = sum(int(stats.get(f"cmdstat_{n}", {}).get("calls", 0)) for n in ("evalsha", "eval", "blpop"))
    return trips, total


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live children (Celery's prefork pool)."""
    import psutil

    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for member in family:
        with contextlib.suppress(psutil.Error):
            times = member.cpu_times()
            total += times.user + times.system
    return total


# -- one run ------------------------------------------------------------------------------------------------


def run_sesflow(
    kind: str,
    endpoint: str,
    redis_url: str,
    rate: float,
    processes: int,
    connections: int,
    duration: float,
    kill_at: float | None = None,
    read_timeout: float = 30.0,
    connect_timeout: float = 5.0,
) -> dict[str, Any]:
    """P ``_send_worker.py`` processes (``kind`` "redis" or "gcra"); server- and client-side numbers."""
    key = f"bench:{uuid.uuid4().hex[:8]}"
    # Time for every worker to start, build its Mailer and warm up, and a second for the warm-up's sends to
    # leave SES's one-second window before the measured one begins.
    start_at = time.time() + 6.0 + processes * 1.5
    base = {
        "limiter": kind, "endpoint": endpoint, "rate": rate, "redis_url": redis_url, "key": key,
        "connections": connections, "start_at": start_at, "duration": duration,
        "read_timeout": read_timeout, "connect_timeout": connect_timeout,
    }  # fmt: skip
    workers = [
        subprocess.Popen(
            [sys.executable, str(BENCH / "_send_worker.py"), json.dumps({**base, "index": i})],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    for worker in workers:
        assert worker.stdout is not None
        json.loads(worker.stdout.readline())  # ready
    if time.time() > start_at - 1.0:
        print(f"  warning: the workers were ready {time.time() - start_at + 1.0:.1f} s late", flush=True)
    time.sleep(max(0.0, start_at - time.time()))
    calls0 = redis_calls(redis_url, scripted=True)
    cpu0 = [tree_cpu_s(w.pid) for w in workers]
    killed_at = None
    victim_cpu = 0.0
    if kill_at is not None:
        time.sleep(kill_at)
        victim_cpu = tree_cpu_s(workers[0].pid)
        workers[0].send_signal(signal.SIGKILL)
        killed_at = time.time()
    time.sleep(max(0.0, start_at + duration - time.time()))
    cpu1 = [tree_cpu_s(w.pid) for w in workers]  # at the end of the window, before they exit
    if killed_at is not None:
        cpu1[0] = victim_cpu
    outcomes = []
    for i, worker in enumerate(workers):
        out, _ = worker.communicate(timeout=120)
        if i == 0 and killed_at is not None:
            continue
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    calls1 = redis_calls(redis_url, scripted=True)
    time.sleep(0.5)
    sends = [s for s in sends_since(endpoint, start_at) if s["t"] < start_at + duration + 1.0]
    cpu_s = sum(c1 - c0 for c0, c1 in zip(cpu0, cpu1, strict=True))
    row = summarise(
        sends, rate, start_at, duration, calls=(calls1[0] - calls0[0], calls1[1] - calls0[1]), cpu_s=cpu_s
    )
    row["failed_messages"] = sum(o["statuses"].get("failed", 0) for o in outcomes)
    row["unknown_messages"] = sum(o["statuses"].get("unknown", 0) for o in outcomes)
    row["permit_held_ms_mean"] = round(sum(o["held_ms_mean"] for o in outcomes) / len(outcomes), 1)
    row["permit_held_ms_p90"] = round(max(o["held_ms_p90"] for o in outcomes), 1)
    # Rule 2 (a request occupies the window until one second after its answer) caps any sender that obeys it
    # at R / (1 + request time): the ceiling a perfect shared limiter would reach with these requests. (The
    # per-process limiters overshoot: R itself is theirs.)
    if kind == "redis":
        row["rule2_ceiling"] = round(rate / (1 + row["permit_held_ms_mean"] / 1000), 1)
        row["achieved_over_rule2_ceiling"] = round(row["achieved_rate"] / row["rule2_ceiling"], 3)
    if killed_at is not None:
        lease = read_timeout + connect_timeout + 1.0
        row["kill"] = after_kill(sends, rate, killed_at, lease, start_at + duration)
    return row


def run_celery(
    endpoint: str, redis_url: str, rate: float, processes: int, connections: int, duration: float
) -> dict[str, Any]:
    """P real ``celery worker`` processes with ``rate_limit=R/s``; server- and client-side numbers."""
    import redis
    from celery import Celery

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "BENCH_BROKER": redis_url,
        "BENCH_RATE_LIMIT": f"{rate:g}/s",
        "BENCH_ENDPOINT": endpoint,
        "BENCH_QUEUE": queue,
        "BENCH_PREFETCH": str(CELERY_PREFETCH),
        "PYTHONPATH": str(BENCH) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "_celery_sender", "worker", "--pool", "prefork",
        "--concurrency", str(CELERY_CHILDREN), "-Q", queue, "-l", "WARNING",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(
            [*command, "-n", f"w{i}-{queue}@%h"],
            cwd=BENCH,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(processes)
    ]
    app = Celery("bench_producer", broker=redis_url)
    app.conf.task_default_queue = queue
    try:
        deadline = time.time() + 120
        while True:
            replies = app.control.ping(timeout=1.0) or []
            if sum(1 for r in replies for name in r if queue in name) >= processes:
                break
            if time.time() > deadline:
                raise SystemExit("the celery workers did not start")
        broker = redis.Redis.from_url(redis_url)
        stop = threading.Event()
        enqueued = [0]

        template = _message_template(app, queue, broker)

        def produce() -> None:
            # Keep a backlog so that every worker always has work and only rate_limit paces it. Messages are
            # written in Celery's protocol 2 straight into the queue (a template from send_task, new ids and
            # arguments each): send_task itself, at ~3 ms a call on this busy machine, could not keep up.
            while not stop.is_set():
                if broker.llen(queue) > 20_000:
                    time.sleep(0.02)
                    continue
                pipe = broker.pipeline(transaction=False)
                for _ in range(500):
                    i = enqueued[0]
                    to = [f"c-{i}-{j}@example.org" for j in range(1 if i % 2 == 0 else 3)]
                    pipe.lpush(queue, _celery_message(template, to, f"Celery {i}"))
                    enqueued[0] += 1
                pipe.execute()

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        deadline = time.time() + 60
        while broker.llen(queue) < 2000 and time.time() < deadline:  # a backlog before the clock starts
            time.sleep(0.05)
        start_at = time.time()
        calls0 = redis_calls(redis_url, leave_out="lpush")  # the workers' commands, not the producer's
        cpu0 = [tree_cpu_s(w.pid) for w in workers]
        time.sleep(duration)
        cpu1 = [tree_cpu_s(w.pid) for w in workers]
        calls1 = redis_calls(redis_url, leave_out="lpush")
        stop.set()
        producer.join(timeout=30)
        broker.delete(queue)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    time.sleep(0.5)
    sends = [s for s in sends_since(endpoint, start_at) if s["t"] < start_at + duration]
    cpu_s = sum(c1 - c0 for c0, c1 in zip(cpu0, cpu1, strict=True))
    row = summarise(
        sends, rate, start_at, duration, calls=(calls1[0] - calls0[0], calls1[1] - calls0[1]), cpu_s=cpu_s
    )
    row["failed_messages"] = sum(1 for s in sends if s["status"] != 200)  # one attempt per task
    row["unknown_messages"] = 0
    return row


def _message_template(app: Any, queue: str, broker: Any) -> dict[str, Any]:
    """One message as Celery's send_task writes it to the Redis queue (taken back out of the queue)."""
    aside = f"{queue}-template"  # a queue no worker reads
    app.send_task("send_one", args=[["template@example.org"], "template"], queue=aside)
    template = dict(json.loads(broker.lpop(aside)))
    info = template["properties"]["delivery_info"]
    template["properties"] = {**template["properties"], "delivery_info": {**info, "routing_key": queue}}
    return template


def _celery_message(template: dict[str, Any], to: list[str], subject: str) -> str:
    """``template`` with new ids and the arguments ``(to, subject)``."""
    task_id = str(uuid.uuid4())
    body = [[to, subject], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    headers = {**template["headers"], "id": task_id, "root_id": task_id, "argsrepr": repr([to, subject])}
    properties = {**template["properties"], "correlation_id": task_id, "delivery_tag": str(uuid.uuid4())}
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    return json.dumps({**template, "body": encoded, "headers": headers, "properties": properties})


def summarise(
    sends: list[dict[str, Any]],
    rate: float,
    start_at: float,
    duration: float,
    *,
    calls: tuple[int, int],
    cpu_s: float,
) -> dict[str, Any]:
    """Server-side numbers of one run, and the client-side costs per accepted message."""
    accepted = [s for s in sends if s["status"] == 200]
    in_window = [s for s in accepted if start_at <= s["t"] < start_at + duration]
    achieved = sum(s["recipients"] for s in in_window) / duration
    messages = max(len(accepted), 1)
    per_second = [0] * max(1, math.ceil(duration))
    for send in in_window:
        per_second[min(int(send["t"] - start_at), len(per_second) - 1)] += send["recipients"]
    return {
        "attempts": len(sends),
        "accepted_messages": len(accepted),
        "throttled_attempts": len(sends) - len(accepted),
        "max_attempted_1s": max_in_any_second(sends) if sends else 0,
        "max_accepted_1s": max_in_any_second(accepted) if accepted else 0,
        "achieved_rate": round(achieved, 1),
        "achieved_ratio": round(achieved / rate, 3),
        "redis_round_trips_per_message": round(calls[0] / messages, 2),
        "redis_commands_per_message": round(calls[1] / messages, 2),
        "client_cpu_ms_per_message": round(1000 * cpu_s / messages, 3),
        "client_cpu_cores": round(cpu_s / duration, 2),
        "accepted_per_second": per_second,
    }


def after_kill(
    sends: list[dict[str, Any]], rate: float, killed_at: float, lease: float, end: float
) -> dict[str, Any]:
    """What the server saw after the kill (until ``end``, the end of the run): the most in any second, and
    accepted recipients per second."""
    later = [s for s in sends if s["t"] >= killed_at]
    accepted = [s for s in later if s["status"] == 200]
    per_second: dict[int, int] = {}
    for send in sends:
        if send["status"] == 200:
            k = math.floor(send["t"] - killed_at)
            per_second[k] = per_second.get(k, 0) + send["recipients"]
    timeline = {k: per_second.get(k, 0) for k in range(-3, min(int(lease) + 4, int(end - killed_at)))}
    below = [k for k in range(0, max(timeline) + 1) if timeline[k] < 0.95 * rate]
    return {
        "lease_s": lease,
        "max_attempted_1s_after_kill": max_in_any_second(later) if later else 0,
        "max_accepted_1s_after_kill": max_in_any_second(accepted) if accepted else 0,
        "throttled_after_kill": len(later) - len(accepted),
        "seconds_below_0.95R_after_kill": len(below),
        "last_second_below_0.95R": max(below) if below else None,
        "accepted_per_second_around_kill": timeline,
    }


# -- the whole benchmark -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--rates", default="200,1000", help="comma-separated R values")
    parser.add_argument("--processes", default="2,4,8", help="comma-separated P values")
    parser.add_argument("--connections", type=int, default=8, help="connections (threads) per process")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--no-kill", action="store_true", help="leave out the SIGKILL run")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "send_distributed.json",
        help="where the JSON goes (a quick "
        "subset while trying things: somewhere else than the default bench/results/send_distributed.json)",
    )
    args = parser.parse_args(argv)
    contenders = [c for c in args.contenders.split(",") if c]
    rows: list[dict[str, Any]] = []
    with redis_server() as redis_url:
        for rate in [float(r) for r in args.rates.split(",")]:
            for processes in [int(p) for p in args.processes.split(",")]:
                for contender in contenders:
                    # A fresh emulator per run: an empty window and an empty log.
                    with emulator_process(max_send_rate=rate, max_24h_send=10**9) as (url, ses):
                        ses_cpu0 = tree_cpu_s(ses.pid)
                        redis_cpu0 = tree_cpu_s(REDIS_PID[0])
                        if contender == "celery-rate_limit":
                            row = run_celery(url, redis_url, rate, processes, args.connections, args.duration)
                        else:
                            kind = "redis" if contender == "sesflow-redis" else "gcra"
                            row = run_sesflow(
                                kind, url, redis_url, rate, processes, args.connections, args.duration
                            )
                        # Nearly all of the emulator's work falls in the measured window.
                        row["emulator_cpu_cores"] = round((tree_cpu_s(ses.pid) - ses_cpu0) / args.duration, 2)
                        redis_cpu = tree_cpu_s(REDIS_PID[0]) - redis_cpu0  # the whole run, warm-up included
                        row["redis_cpu_ms_per_message"] = round(
                            1000 * redis_cpu / max(row["accepted_messages"], 1), 3
                        )
                    row["load_average_1m"] = round(os.getloadavg()[0], 1)
                    row = {"contender": contender, "rate": rate, "processes": processes,
                           "connections": args.connections, **row}  # fmt: skip
                    rows.append(row)
                    print_row(row)
        kill_row = None
        if not args.no_kill:
            with emulator_process(max_send_rate=200, max_24h_send=10**9) as (url, _):
                kill_row = run_sesflow(
                    "redis", url, redis_url, 200, 4, args.connections, args.duration,
                    kill_at=args.duration / 3, read_timeout=5.0, connect_timeout=2.0,
                )  # fmt: skip
            kill_row = {"contender": "sesflow-redis, 1 of 4 killed", "rate": 200.0, "processes": 4,
                        "connections": args.connections, **kill_row}  # fmt: skip
            print_row(kill_row)
            print("  after the kill:", json.dumps(kill_row["kill"]), flush=True)
    print()
    print_table(rows + ([kill_row] if kill_row else []))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": "send_distributed",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duration_s": args.duration,
        "messages": "alternating 1 and 3 recipients (2 on average)",
        "rows": rows,
        "kill": kill_row,
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


def print_row(row: dict[str, Any]) -> None:
    print(
        f"{row['contender']:32} R={row['rate']:>5g} P={row['processes']} C={row['connections']}  "
        f"max attempted/1s {row['max_attempted_1s']:>5}  accepted/1s {row['max_accepted_1s']:>5}  "
        f"throttled {row['throttled_attempts']:>6}  failed {row['failed_messages']:>5}  "
        f"achieved {row['achieved_rate']:>7.1f}/s ({row['achieved_ratio']:.3f} R, "
        f"{row.get('achieved_over_rule2_ceiling', '-')} of the rule-2 ceiling)  "
        f"redis {row['redis_round_trips_per_message']:.2f} calls "
        f"({row['redis_commands_per_message']:.1f} cmds)/msg  "
        f"cpu {row['client_cpu_ms_per_message']:.2f} ms/msg "
        f"({row['client_cpu_cores']:.2f} cores)  "
        f"redis cpu {row.get('redis_cpu_ms_per_message', '-')} ms/msg  "
        f"held {row.get('permit_held_ms_mean', '-')} ms  "
        f"emulator {row.get('emulator_cpu_cores', '-')} cores  load {row.get('load_average_1m', '-')}",
        flush=True,
    )


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| sender | R | P x C | max attempted in 1 s | max accepted in 1 s | throttled attempts "
        "| failed messages | achieved (/s) | achieved / R | achieved / rule-2 ceiling "
        "| Redis calls / message (commands run) | Redis CPU ms / message "
        "| client CPU ms / message | client CPU (cores) | permit held, mean (ms) |"
    )
    print("| --- " + "| ---: " * 14 + "|")
    for row in rows:
        print(
            f"| {row['contender']} | {row['rate']:g} | {row['processes']} x {row['connections']} | "
            f"{row['max_attempted_1s']} | {row['max_accepted_1s']} | {row['throttled_attempts']} | "
            f"{row['failed_messages']} | {row['achieved_rate']:.1f} | {row['achieved_ratio']:.3f} | "
            f"{row.get('achieved_over_rule2_ceiling', '-')} | "
            f"{row['redis_round_trips_per_message']:.2f} ({row['redis_commands_per_message']:.1f}) | "
            f"{row.get('redis_cpu_ms_per_message', '-')} | "
            f"{row['client_cpu_ms_per_message']:.2f} | "
            f"{row['client_cpu_cores']:.2f} | {row.get('permit_held_ms_mean', '-')} |"
        )


if __name__ == "__main__":
    sys.exit(main())
