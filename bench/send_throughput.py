"""Benchmark: messages per second and client CPU per message with C parallel connections.

The local SES emulator answers every send after ``--latency-ms 50`` and enforces no rate. For C in
{1, 8, 32, 64}, sesflow's Mailer (``max_connections=C``, no rate limit) composes and sends a batch of small
text+html messages; the ideal is C / 0.05 s messages per second until the client runs out of CPU. With
``--with-node``, Nodemailer 6's SES transport (``maxConnections=C``) sends the same batch. Client CPU is the
sending process's user+system time (the emulator runs in its own process); "cores" is CPU time over wall
time, for the client and for the emulator process (Linux /proc), so a CPU-bound side shows as ~1 core (the
GIL lets a Python process use one core, Node's event loop is one thread too).

    .venv/bin/python bench/send_throughput.py [--connections 1,8,32,64] [--seconds 2] [--with-node]

Prints a table and writes ``bench/results/send_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from typing import Any

from send_rate import (
    RESULTS,
    bench_messages,
    bench_transport,
    emulator_process,
    install_node,
    node_version,
    process_cpu_s,
    run_node,
)

LATENCY_S = 0.05


def batch_size(connections: int, seconds: float) -> int:
    """Messages for about ``seconds`` at the ideal rate (at least 40)."""
    return max(40, int(connections / LATENCY_S * seconds))


def run_sesflow(url: str, connections: int, count: int) -> dict[str, Any]:
    """sesflow's Mailer with ``connections`` connections, no limit: wall time and CPU per message."""
    from sesflow import Mailer

    transport = bench_transport(url)
    with Mailer(transport, rate=None, max_connections=connections) as mailer:
        mailer.send(next(bench_messages(1, 1)))  # warm up: client built, connection open
        cpu0, t0 = time.process_time(), time.perf_counter()
        failed = sum(1 for r in mailer.send_many(bench_messages(count, 1)) if r.status != "sent")
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    transport.close()
    return {"messages": count, "failed": failed, "wall_s": wall, "cpu_ms": cpu * 1000}


def run_nodemailer(url: str, connections: int, count: int) -> dict[str, Any]:
    """Nodemailer 6 with ``maxConnections=connections``, no sendingRate."""
    answer = run_node(endpoint=url, rate=0, recipients=1, count=count, connections=connections, warmup=True)
    return {
        "messages": count,
        "failed": answer["failed"],
        "wall_s": answer["wall"],
        "cpu_ms": answer["cpu_ms"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="1,8,32,64", help="comma-separated C values")
    parser.add_argument("--seconds", type=float, default=2.0, help="ideal seconds per run (sets batch size)")
    parser.add_argument("--with-node", action="store_true", help="also run Nodemailer 6 (npm install)")
    args = parser.parse_args(argv)
    with_node = args.with_node and install_node()
    rows: list[dict[str, Any]] = []
    flags = {"latency_ms": int(LATENCY_S * 1000), "max_send_rate": 10**9, "max_24h_send": 10**12}
    with emulator_process(**flags) as (url, process):
        for connections in [int(c) for c in args.connections.split(",")]:
            count = batch_size(connections, args.seconds)
            contenders = [("sesflow", run_sesflow)]
            if with_node:
                contenders.append(("nodemailer6", run_nodemailer))
            for name, run in contenders:
                row: dict[str, Any] = {"client": name, "connections": connections}
                emulator_cpu0 = process_cpu_s(process.pid)
                row.update(run(url, connections, count))
                emulator_cpu1 = process_cpu_s(process.pid)
                row["messages_per_s"] = round(row["messages"] / row["wall_s"], 1)
                row["ideal_per_s"] = round(connections / LATENCY_S, 1)
                row["cpu_ms_per_message"] = round(row["cpu_ms"] / row["messages"], 3)
                row["client_cores"] = round(row["cpu_ms"] / 1000 / row["wall_s"], 2)
                row["emulator_cores"] = None
                if emulator_cpu0 is not None and emulator_cpu1 is not None:
                    # Around the whole run (start-up and warm-up, when the emulator is nearly idle, included)
                    # over the measured wall time: a slight overestimate.
                    row["emulator_cores"] = round((emulator_cpu1 - emulator_cpu0) / row["wall_s"], 2)
                rows.append(row)
                print(
                    f"{name:12} C={connections:>3}  {row['messages_per_s']:>8.1f} msg/s "
                    f"(ideal {row['ideal_per_s']:g})  {row['cpu_ms_per_message']:.2f} CPU ms/msg  "
                    f"client {row['client_cores']:.2f} cores  emulator {row['emulator_cores']} cores  "
                    f"failed {row['failed']}",
                    flush=True,
                )
    print()
    print(
        "| client | connections | messages/s | ideal (C / 50 ms) | ratio | client CPU ms / message "
        "| client CPU use (cores) | emulator CPU use (cores) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        emulator_cores = "?" if row["emulator_cores"] is None else f"{row['emulator_cores']:.2f}"
        print(
            f"| {row['client']} | {row['connections']} | {row['messages_per_s']:.1f} | "
            f"{row['ideal_per_s']:g} | "
            f"{row['messages_per_s'] / row['ideal_per_s']:.2f} | {row['cpu_ms_per_message']:.2f} | "
            f"{row['client_cores']:.2f} | {emulator_cores} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": "send_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "latency_ms": LATENCY_S * 1000,
        "nodemailer": node_version("nodemailer") if with_node else None,
        "rows": rows,
    }
    (RESULTS / "send_throughput.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
