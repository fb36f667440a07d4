"""Emulator throughput and seeding benchmark.

1. v2 SendEmail (a small raw message) driven from this process against ``sesflow emulator --latency-ms 0``
   running as a separate process: requests per second over keep-alive connections (target >= 3,000).
2. v2 SendBulkEmail with 50 destinations (a stored template, per-destination data): calls per second and
   destinations per second (each destination is one message, counted against the rate).
3. Seeding 1,000,000 messages through ``POST /_sesflow/seed`` (history plus the suppression list,
   identities and configuration sets it implies): wall time (target < 30 s) and the emulator's peak RSS
   (target < 2 GB); plus one 10,000-record export out of that store.

Prints a table and writes bench/results/emulator.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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


SEND_BODY = {"Content": {"Raw": {"Data": base64.b64encode(RAW).decode()}}}
BULK_BODY = {
    "FromEmailAddress": "bench@example.com",
    "DefaultContent": {"Template": {"TemplateName": "bench", "TemplateData": '{"name": "friend"}'}},
    "BulkEmailEntries": [
        {
            "Destination": {"ToAddresses": [f"user{i}@example.org"]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {"ReplacementTemplateData": f'{{"name": "U{i}"}}'}
            },
        }
        for i in range(50)
    ],
}


def signed_request(endpoint: str, path: str = "/v2/email/outbound-emails", payload: Any = None) -> bytes:
    """One SigV4-signed request as raw HTTP/1.1 bytes (reused: auth=any checks only its form)."""
    body = json.dumps(SEND_BODY if payload is None else payload).encode()
    url = f"{endpoint}{path}"
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIDBENCH", "bench-secret"), "ses", "us-east-1").add_auth(request)
    host = endpoint.removeprefix("http://")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
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


async def _drive(
    endpoint: str, connections: int, seconds: float, request: bytes | None = None
) -> tuple[dict[int, int], float]:
    host, port = endpoint.removeprefix("http://").split(":")
    request = request or signed_request(endpoint)
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


def bulk(seconds: float, connections: int) -> dict[str, Any]:
    """SendBulkEmail calls/s (50 destinations each) against an emulator in another process."""
    import boto3

    process, endpoint = start_emulator(
        "--latency-ms", "0", "--max-send-rate", "1000000000", "--max-24h-send", "1000000000000"
    )
    try:
        sesv2 = boto3.client("sesv2", endpoint_url=endpoint, region_name="us-east-1",
                             aws_access_key_id="a", aws_secret_access_key="b")  # fmt: skip
        sesv2.create_email_template(
            TemplateName="bench",
            TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello {{name}}, here it is."},
        )
        request = signed_request(endpoint, "/v2/email/outbound-bulk-emails", BULK_BODY)
        asyncio.run(_drive(endpoint, connections, 1.0, request))  # warm-up
        counts, elapsed = asyncio.run(_drive(endpoint, connections, seconds, request))
        server_cpu = psutil.Process(process.pid).cpu_times()
    finally:
        stop(process)
    ok = counts.get(200, 0)
    return {
        "calls": sum(counts.values()),
        "accepted": ok,
        "statuses": {str(k): v for k, v in counts.items()},
        "seconds": round(elapsed, 3),
        "calls_per_second": round(ok / elapsed, 1),
        "destinations_per_second": round(50 * ok / elapsed, 1),
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
    bulk_send = bulk(args.seconds, min(args.connections, 8))
    seed = seeding(args.seed_count)
    rows = [
        ("v2 SendEmail req/s (latency 0)", f"{send['requests_per_second']:,.0f}", ">= 3,000",
         send["requests_per_second"] >= 3000),
        ("v2 SendBulkEmail calls/s (50 destinations)", f"{bulk_send['calls_per_second']:,.1f}", "-", True),
        ("  destinations/s", f"{bulk_send['destinations_per_second']:,.0f}", "-", True),
        (f"seed {seed['messages']:,} messages, s", f"{seed['seconds']:.2f}", "< 30", seed["seconds"] < 30),
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
        "send_bulk_email": bulk_send,
        "seeding": seed,
        "targets_met": all(ok for *_, ok in rows),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
