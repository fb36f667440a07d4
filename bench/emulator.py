"""Emulator throughput and seeding benchmark.

1. v2 SendEmail (a small raw message) driven from this process against ``sesflow emulator --latency-ms 0``
   running as a separate process: requests per second over keep-alive connections (target >= 1,500).
2. Seeding 1,000,000 messages through ``POST /_sesflow/seed``: wall time (target < 60 s) and the emulator's
   peak RSS (target < 2 GB); plus one 10,000-record export out of that store.

Prints a table and writes bench/results/emulator.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from _emulator_process import start_emulator, stop

RESULTS = Path(__file__).resolve().parent / "results" / "emulator.json"
RAW = (
    b"From: bench@example.com\r\nTo: success@simulator.amazonses.com\r\nSubject: bench\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello from the benchmark\r\n"
)


def signed_request(endpoint: str) -> bytes:
    """One SigV4-signed SendEmail request as raw HTTP/1.1 bytes (reused: auth=any checks only its form)."""
    import base64

    body = json.dumps({"Content": {"Raw": {"Data": base64.b64encode(RAW).decode()}}}).encode()
    url = f"{endpoint}/v2/email/outbound-emails"
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIDBENCH", "bench-secret"), "ses", "us-east-1").add_auth(request)
    host = endpoint.removeprefix("http://")
    lines = ["POST /v2/email/outbound-emails HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _connection(host: str, port: int, request: bytes, until: float, counts: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            counts[status] = counts.get(status, 0) + 1
    finally:
        writer.close()


async def _drive(endpoint: str, connections: int, seconds: float) -> tuple[dict[int, int], float]:
    host, port = endpoint.removeprefix("http://").split(":")
    request = signed_request(endpoint)
    counts: dict[int, int] = {}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_connection(host, int(port), request, until, counts) for _ in range(connections)))
    return counts, time.perf_counter() - started


def throughput(seconds: float, connections: int) -> dict[str, Any]:
    """Requests/s of v2 SendEmail against an emulator in another process."""
    process, endpoint = start_emulator(
        "--latency-ms", "0", "--max-send-rate", "1000000000", "--max-24h-send", "1000000000000"
    )
    try:
        asyncio.run(_drive(endpoint, connections, 1.0))  # warm-up
        counts, elapsed = asyncio.run(_drive(endpoint, connections, seconds))
        server_cpu = psutil.Process(process.pid).cpu_times()
    finally:
        stop(process)
    ok = counts.get(200, 0)
    return {
        "requests": sum(counts.values()),
        "accepted": ok,
        "statuses": {str(k): v for k, v in counts.items()},
        "seconds": round(elapsed, 3),
        "requests_per_second": round(ok / elapsed, 1),
        "connections": connections,
        "server_cpu_seconds": round(server_cpu.user + server_cpu.system, 2),
    }


def seeding(count: int) -> dict[str, Any]:
    """Seed ``count`` messages into a fresh emulator; time it, its peak RSS, and one capped export."""
    process, endpoint = start_emulator("--export-delay", "0")
    try:
        server = psutil.Process(process.pid)
        rss_before = server.memory_info().rss
        started = time.perf_counter()
        answer = httpx.post(
            f"{endpoint}/_sesflow/seed",
            json={"count": count, "start": "2026-01-01T00:00:00Z", "end": "2026-10-31T23:59:59Z", "seed": 1},
            timeout=600,
        )
        answer.raise_for_status()
        seed_seconds = time.perf_counter() - started
        peak = _peak_rss(server)
        export_seconds = _export(endpoint)
        peak = max(peak, _peak_rss(server))
    finally:
        stop(process)
    return {
        "messages": answer.json()["seeded"],
        "seconds": round(seed_seconds, 3),
        "messages_per_second": round(count / seed_seconds),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "export_10000_seconds": round(export_seconds, 3),
    }


def _peak_rss(process: psutil.Process) -> int:
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return int(process.memory_info().rss)


def _export(endpoint: str) -> float:
    import boto3

    sesv2 = boto3.client(
        "sesv2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    started = time.perf_counter()
    job_id = sesv2.create_export_job(
        ExportDataSource={
            "MessageInsightsDataSource": {
                "StartDate": "2026-03-01T00:00:00Z",
                "EndDate": "2026-09-01T00:00:00Z",
            }
        },
        ExportDestination={"DataFormat": "JSON"},
    )["JobId"]
    while True:
        job = sesv2.get_export_job(JobId=job_id)
        if job["JobStatus"] == "COMPLETED":
            break
        time.sleep(0.05)
    lines = httpx.get(job["ExportDestination"]["S3Url"], timeout=600).text.count("\n")
    if lines != min(10_000, job["Statistics"]["ProcessedRecordsCount"]):
        raise SystemExit(f"export returned {lines} records")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the driver")
    parser.add_argument("--seed-count", type=int, default=1_000_000, help="messages to seed")
    args = parser.parse_args()

    send = throughput(args.seconds, args.connections)
    seed = seeding(args.seed_count)
    rows = [
        ("v2 SendEmail req/s (latency 0)", f"{send['requests_per_second']:,.0f}", ">= 1,500",
         send["requests_per_second"] >= 1500),
        (f"seed {seed['messages']:,} messages, s", f"{seed['seconds']:.2f}", "< 60", seed["seconds"] < 60),
        ("emulator peak RSS, MB", f"{seed['peak_rss_mb']:,.0f}", "< 2,048", seed["peak_rss_mb"] < 2048),
        ("10,000-record export of that store, s", f"{seed['export_10000_seconds']:.2f}", "-", True),
    ]  # fmt: skip
    print(f"{'measure':<42} {'value':>10} {'target':>10}  ok")
    for name, value, target, ok in rows:
        print(f"{name:<42} {value:>10} {target:>10}  {'yes' if ok else 'NO'}")
    result = {
        "benchmark": "emulator",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "send_email": send,
        "seeding": seed,
        "targets_met": all(ok for *_, ok in rows),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
