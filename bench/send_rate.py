"""Benchmark: does the sender stay under an SES sending rate it is told, and how close does it get?

For R in {14, 50, 200} recipients/s, the local SES emulator enforces ``--max-send-rate R`` (an exact sliding
one-second window, counted in recipients, like SES). sesflow's Mailer at ``rate=R`` (50 connections) sends
for ``--duration`` seconds, single-recipient and 3-recipient messages; with ``--with-node``, Nodemailer 6's
SES transport (``sendingRate=R``, ``maxConnections=50``, AWS SDK v3 defaults) does the same run.

Measured on the server side, from ``GET /_sesflow/sends``: the most recipients *attempted* in any one-second
window, the most *accepted*, the achieved rate (accepted recipients per second) and the throttled attempts.
Prints a table and writes ``bench/results/send_rate.json``.

    .venv/bin/python bench/send_rate.py [--duration 30] [--rates 14,50,200] [--with-node]

The helpers at the top (emulator process, npm install, Node script runner) are shared with
``bench/send_throughput.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from _emulator_process import start_emulator, stop

BENCH = Path(__file__).resolve().parent
NODE_DIR = BENCH / ".cache" / "node"
RESULTS = BENCH / "results"
NODE_PACKAGES = ("nodemailer@6", "@aws-sdk/client-ses@3")
SENDER = "bench@example.com"
REGION = "us-east-1"
CONNECTIONS = 50

# The Nodemailer side: one run, its parameters as JSON in argv[2]; prints one JSON line.
NODE_SCRIPT = r"""
const nodemailer = require('nodemailer');
const aws = require('@aws-sdk/client-ses');
const p = JSON.parse(process.argv[2]);
const ses = new aws.SES({
  region: p.region, endpoint: p.endpoint,
  credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'benchmark' },
});
const options = { SES: { ses, aws }, maxConnections: p.connections };
if (p.rate) options.sendingRate = p.rate;
const transporter = nodemailer.createTransport(options);
const html = '<p>' + 'Hello from the benchmark. '.repeat(20) + '</p>';
// Nodemailer's sending-rate timer is unref'd: keep the process alive until every send settled.
const keepAlive = setInterval(() => {}, 1000);
const message = (i) => {
  const to = [];
  for (let j = 0; j < p.recipients; j++) to.push(`r${i}-${j}@example.com`);
  return { from: p.sender, to, subject: `Benchmark message ${i}`, text: 'Hello from the benchmark.', html };
};
// Like the Python side, one warm-up send (client built, connection open) before measuring, if asked.
const warmup = p.warmup ? transporter.sendMail(message(-1)).catch(() => {}) : Promise.resolve();
warmup.then(() => {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let ok = 0, failed = 0;
  const sends = [];
  for (let i = 0; i < p.count; i++) {
    sends.push(transporter.sendMail(message(i)).then(() => { ok++; }, () => { failed++; }));
  }
  return Promise.all(sends).then(() => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ ok, failed, wall, cpu_ms: (cpu.user + cpu.system) / 1000 }));
    transporter.close();
    clearInterval(keepAlive);
  });
});
"""


def http_json(url: str, method: str = "GET", body: Any = None) -> Any:
    """One JSON request to the emulator's private API."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


@contextlib.contextmanager
def emulator_process(**flags: Any) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``sesflow emulator`` in its own process with the given flags; yield its URL and process."""
    args = ["--auth", "any"]
    for name, value in flags.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    process, url = start_emulator(*args)
    try:
        yield url, process
    finally:
        stop(process)


@contextlib.contextmanager
def emulator(**flags: Any) -> Iterator[str]:
    """Run ``sesflow emulator`` in its own process with the given flags; yield its endpoint URL."""
    with emulator_process(**flags) as (url, _):
        yield url


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sends_since(url: str, since: float) -> list[dict[str, Any]]:
    """The send attempts the emulator logged since ``since`` (epoch seconds), in arrival order."""
    sends: list[dict[str, Any]] = http_json(f"{url}/_sesflow/sends?since={since}")["sends"]
    return [s for s in sends if s["operation"] in ("SendEmail", "SendRawEmail")]


def install_node() -> bool:
    """Install Nodemailer 6 and the AWS SDK v3 SES client into bench/.cache/node (npm); False if no npm."""
    if not _which("node") or not _which("npm"):
        print("node/npm not found: the Nodemailer columns are left out", file=sys.stderr)
        return False
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    if (
        not (NODE_DIR / "node_modules" / "nodemailer").exists()
        or not (NODE_DIR / "node_modules" / "@aws-sdk" / "client-ses").exists()
    ):
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(NODE_DIR),
                "--no-audit",
                "--no-fund",
                "--silent",
                *NODE_PACKAGES,
            ],
            check=True,
        )
    (NODE_DIR / "send_bench.js").write_text(NODE_SCRIPT)
    return True


def node_version(package: str) -> str:
    """The installed version of an npm package in the cache folder."""
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else "?"


def run_node(**params: Any) -> dict[str, Any]:
    """One Nodemailer run (see NODE_SCRIPT); returns its JSON line."""
    params.setdefault("region", REGION)
    params.setdefault("sender", SENDER)
    done = subprocess.run(
        ["node", "--no-warnings", str(NODE_DIR / "send_bench.js"), json.dumps(params)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _which(name: str) -> bool:
    return any((Path(p) / name).exists() for p in os.environ.get("PATH", "").split(os.pathsep))


def bench_transport(url: str) -> Any:
    """An SESTransport pointed at the emulator, with throwaway credentials (the emulator runs auth=any)."""
    import boto3

    from sesflow import SESTransport

    session = boto3.Session(
        aws_access_key_id="AKIDBENCHMARK", aws_secret_access_key="benchmark", region_name=REGION
    )
    return SESTransport(session=session, endpoint_url=url)


def bench_messages(count: int, recipients: int) -> Iterator[Any]:
    """``count`` small text+html messages of ``recipients`` recipients each (built lazily)."""
    from sesflow import Message

    html = "<p>" + "Hello from the benchmark. " * 20 + "</p>"
    for i in range(count):
        yield Message(
            from_=SENDER,
            to=[f"r{i}-{j}@example.com" for j in range(recipients)],
            subject=f"Benchmark message {i}",
            text="Hello from the benchmark.",
            html=html,
        )


# -- the rate measurement ----------------------------------------------------------------------------------


def max_in_any_second(sends: Sequence[dict[str, Any]]) -> int:
    """Most recipients whose arrival falls in one half-open window [t, t + 1) (two pointers, sorted input)."""
    best = total = left = 0
    times = [s["t"] for s in sends]
    for right, send in enumerate(sends):
        total += send["recipients"]
        while times[left] <= times[right] - 1.0:
            total -= sends[left]["recipients"]
            left += 1
        best = max(best, total)
    return best


def summarise(sends: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Server-side numbers of one run."""
    accepted = [s for s in sends if s["status"] == 200]
    throttled = len(sends) - len(accepted)
    achieved = 0.0
    if len(accepted) > 1:
        span = accepted[-1]["t"] - accepted[0]["t"]
        achieved = sum(s["recipients"] for s in accepted[:-1]) / span if span > 0 else 0.0
    return {
        "attempts": len(sends),
        "accepted": len(accepted),
        "throttled_attempts": throttled,
        "max_attempted_1s": max_in_any_second(sends),
        "max_accepted_1s": max_in_any_second(accepted),
        "achieved_rate": round(achieved, 2),
        "achieved_ratio": round(achieved / rate, 3),
    }


def run_sesflow(url: str, rate: float, recipients: int, duration: float) -> dict[str, Any]:
    """sesflow's Mailer at ``rate`` for about ``duration`` seconds; server-side summary."""
    from sesflow import Mailer

    count = math.ceil(rate * duration / recipients)
    transport = bench_transport(url)
    since = time.time()
    with Mailer(transport, rate=rate, max_connections=CONNECTIONS) as mailer:
        statuses = [result.status for result in mailer.send_many(bench_messages(count, recipients))]
    transport.close()
    time.sleep(0.2)
    summary = summarise(sends_since(url, since), rate)
    summary["client_failed"] = sum(1 for s in statuses if s != "sent")
    return summary


def run_nodemailer(url: str, rate: float, recipients: int, duration: float) -> dict[str, Any]:
    """Nodemailer 6 at ``sendingRate=rate`` for about ``duration`` seconds; server-side summary."""
    count = math.ceil(rate * duration / recipients)
    since = time.time()
    answer = run_node(endpoint=url, rate=rate, recipients=recipients, count=count, connections=CONNECTIONS)
    time.sleep(0.2)
    summary = summarise(sends_since(url, since), rate)
    summary["client_failed"] = answer["failed"]
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--rates", default="14,50,200", help="comma-separated R values")
    parser.add_argument("--recipients", default="1,3", help="recipients per message, comma-separated")
    parser.add_argument("--with-node", action="store_true", help="also run Nodemailer 6 (npm install)")
    args = parser.parse_args(argv)
    with_node = args.with_node and install_node()
    rows: list[dict[str, Any]] = []
    for rate in [float(r) for r in args.rates.split(",")]:
        for recipients in [int(k) for k in args.recipients.split(",")]:
            contenders = [("sesflow", run_sesflow)]
            if with_node:
                contenders.append(("nodemailer6", run_nodemailer))
            for name, run in contenders:
                # A fresh emulator per run: an empty window and an empty log.
                with emulator(max_send_rate=rate, max_24h_send=10**9) as url:
                    row = {"client": name, "rate": rate, "recipients": recipients, "duration": args.duration}
                    row.update(run(url, rate, recipients, args.duration))
                rows.append(row)
                print(
                    f"{name:12} R={rate:>5g} k={recipients}  max attempted/1s {row['max_attempted_1s']:>4}  "
                    f"max accepted/1s {row['max_accepted_1s']:>4}  achieved {row['achieved_rate']:>7.2f}/s "
                    f"({row['achieved_ratio']:.3f} R)  throttled {row['throttled_attempts']}  "
                    f"client failures {row['client_failed']}",
                    flush=True,
                )
    print()
    print("| client | R | recipients/msg | max attempted in 1 s | max accepted in 1 s | achieved (/s) | "
          "achieved / R | throttled attempts |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['client']} | {row['rate']:g} | {row['recipients']} | {row['max_attempted_1s']} | "
            f"{row['max_accepted_1s']} | {row['achieved_rate']:.2f} | {row['achieved_ratio']:.3f} | "
            f"{row['throttled_attempts']} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": "send_rate",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duration_s": args.duration,
        "connections": CONNECTIONS,
        "nodemailer": node_version("nodemailer") if with_node else None,
        "rows": rows,
    }
    (RESULTS / "send_rate.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
