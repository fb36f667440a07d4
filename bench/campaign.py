"""Benchmark: what the campaign ledger costs, and what it guarantees.

Three measurements, each against ``sesflow emulator`` in its own process:

1. **overhead** — 100,000 recipients, emulator at ``--latency-ms 0`` and no rate limit, C connections: a
   campaign (``Campaign.send()``: validation, loading the ledger, sending) against plain
   ``Mailer.send_many`` of the same messages (rendered from the same templates, same tags and Message-ID),
   with the SQLite and the PostgreSQL ledger. Each side runs in a fresh process; a Mailer run goes right
   before each campaign run. Peak RSS is the process's (``ru_maxrss``).
2. **multi** — three ``sesflow campaign send`` processes on one PostgreSQL ledger sharing R = 200 through
   Redis, the emulator enforcing R: achieved rate over the ceiling (R, one recipient per message), throttled
   attempts, the most accepted in any one-second window (from the emulator's ``/_sesflow/sends``).
3. **kills** — a 20,000-recipient campaign, ``sesflow campaign send``/``resume`` SIGKILLed at 20 random
   moments (a uniform delay after its first request), resumed each time, then reconciled (settle 0 s) and
   resumed: duplicates and lost counted from the emulator's stored messages, unknown rows per kill.

    .venv/bin/python bench/campaign.py [--parts overhead,multi,kills] [--recipients 100000] [--connections 32]

Prints a table per part and writes ``bench/results/campaign.json``. PostgreSQL and Redis come from
``SESFLOW_TEST_PG_URL`` / ``SESFLOW_TEST_REDIS_URL`` (default the local services).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from send_rate import emulator_process

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache" / "campaign"
RESULTS = BENCH / "results"
PG_URL = os.environ.get("SESFLOW_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SESFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ENV = {"AWS_ACCESS_KEY_ID": "AKIDBENCHMARK", "AWS_SECRET_ACCESS_KEY": "benchmark"}
SPEC: dict[str, Any] = {
    "name": "bench",
    "from": "Shop <news@shop.example>",
    "subject": "{{ first_name }}, our November news",
    "text": "Hello {{ first_name }},\n\nour November news is out.\n\nUnsubscribe: {{ unsubscribe_url }}\n",
    "html": "<p>Hello {{ first_name }},</p><p>our November news is out.</p>",
    "unsubscribe": {"url": "https://shop.example/u/{{ id }}"},
    "tags": {"team": "marketing"},
}


def http_json(url: str, method: str = "GET") -> Any:
    """One JSON request to the emulator's private API."""
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def write_recipients(path: Path, count: int, prefix: str = "user") -> Path:
    """A recipients CSV of ``count`` rows (email, first_name, id)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "id"])
        for n in range(count):
            writer.writerow([f"{prefix}{n}@example.com", f"Name{n}", n])
    return path


def write_spec(folder: Path, endpoint: str, **keys: Any) -> Path:
    """A campaign file in ``folder`` (recipients.csv beside it)."""
    import yaml

    spec = {
        **SPEC,
        "recipients": {"csv": "recipients.csv"},
        "ses": {"endpoint_url": endpoint, "region": "us-east-1"},
    }
    spec.update(keys)
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def stored_copies(endpoint: str) -> collections.Counter[str]:
    """Messages per recipient, from the emulator's stored messages."""
    seen: collections.Counter[str] = collections.Counter()
    offset = 0
    while True:
        page = http_json(f"{endpoint}/_sesflow/messages?limit=1000&offset={offset}&kind=sent")["messages"]
        for message in page:
            seen.update(message["Destination"])
        if len(page) < 1000:
            return seen
        offset += 1000


# -- children: one measured run in a fresh process, printing one JSON line ---------------------------------


def child_mailer(endpoint: str, csv_path: str, connections: int) -> dict[str, Any]:
    """Plain Mailer.send_many of the campaign's messages (rendered and built exactly as the campaign does)."""
    from sesflow import Mailer, SESTransport
    from sesflow.campaign.content import resolve_content
    from sesflow.campaign.recipients import CsvRecipients
    from sesflow.campaign.render import MessageFactory, Renderer
    from sesflow.campaign.spec import parse_spec

    spec = parse_spec({**SPEC, "recipients": {"csv": csv_path}})
    content = resolve_content(spec, Path(csv_path).parent)
    renderer, factory = Renderer(content), MessageFactory(content, "0123456789ab")
    source = CsvRecipients(Path(csv_path))
    messages = (factory.build(r.row, renderer.render(r.values)) for r in source)
    transport = SESTransport(endpoint_url=endpoint, region="us-east-1")
    started, cpu = time.perf_counter(), time.process_time()
    with Mailer(transport, rate=None, max_connections=connections) as mailer:
        sent = sum(1 for result in mailer.send_many(messages) if result.ok)
    wall = time.perf_counter() - started
    transport.close()
    return {"sent": sent, "wall_s": wall, "cpu_s": time.process_time() - cpu, "peak_rss_mb": _peak_mb()}


def child_campaign(endpoint: str, folder: str, connections: int, ledger: str, schema: str) -> dict[str, Any]:
    """``Campaign.send()`` of the campaign in ``folder``: validation, ledger load and sending."""
    from sesflow.campaign import Campaign

    phases: dict[str, float] = {}
    started, cpu = time.perf_counter(), time.process_time()
    campaign = Campaign.from_file(
        Path(folder) / "campaign.yaml",
        ledger=ledger or None,
        ledger_schema=schema or None,
        rate=None,
        connections=connections,
    )

    def validated(_: Any) -> None:
        phases["validated_s"] = time.perf_counter() - started

    summary = campaign.send(check_suppression=False, on_validated=validated)
    wall = time.perf_counter() - started
    return {
        "sent": summary.counts["sent"],
        "wall_s": wall,
        "validate_and_load_s": phases.get("validated_s", 0.0),
        "send_s": wall - phases.get("validated_s", 0.0),
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(*args: str) -> dict[str, Any]:
    """Run this script as ``--child ARGS`` in a fresh process; its JSON answer."""
    env = {**os.environ, **ENV}
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# -- part 1: overhead -------------------------------------------------------------------------------------


def part_overhead(recipients: int, connections: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    work = CACHE / f"overhead-{uuid.uuid4().hex[:6]}"
    csv_path = write_recipients(work / "recipients.csv", recipients)
    flags = {"latency_ms": 0, "max_send_rate": 10**9, "max_24h_send": 10**12, "event_delay_scale": 0}
    with emulator_process(**flags) as (url, _):
        write_spec(work, url)
        for ledger in ("sqlite", "postgres"):
            http_json(f"{url}/_sesflow/messages", "DELETE")
            load_mailer = os.getloadavg()
            base = run_child("mailer", url, str(csv_path), str(connections))
            http_json(f"{url}/_sesflow/messages", "DELETE")
            load_campaign = os.getloadavg()
            schema = f"bench_{uuid.uuid4().hex[:8]}" if ledger == "postgres" else ""
            target = PG_URL if ledger == "postgres" else str(work / f"ledger-{uuid.uuid4().hex[:6]}.sqlite")
            camp = run_child("campaign", url, str(work), str(connections), target, schema)
            if schema:
                _drop_schema(schema)
            ratio = (camp["sent"] / camp["wall_s"]) / (base["sent"] / base["wall_s"])
            rows.append(
                {
                    "ledger": ledger,
                    "load_before_mailer": load_mailer,
                    "load_before_campaign": load_campaign,
                    "recipients": recipients,
                    "connections": connections,
                    "mailer": base,
                    "campaign": camp,
                    "mailer_per_s": base["sent"] / base["wall_s"],
                    "campaign_per_s": camp["sent"] / camp["wall_s"],
                    "campaign_send_phase_per_s": camp["sent"] / camp["send_s"],
                    "ratio": ratio,
                    "ratio_send_phase": (camp["sent"] / camp["send_s"]) / (base["sent"] / base["wall_s"]),
                }
            )
    print(
        "\nLedger overhead: campaign vs plain Mailer.send_many of the same messages "
        f"({recipients:,} recipients, {connections} connections, emulator 0 ms, no rate limit)"
    )
    print(
        "| ledger | Mailer (/s) | campaign, whole run (/s) | ratio | campaign, send phase (/s) | ratio "
        "| validate + load | Mailer peak RSS | campaign peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['ledger']} | {r['mailer_per_s']:,.0f} | {r['campaign_per_s']:,.0f} | {r['ratio']:.2f}x "
            f"| {r['campaign_send_phase_per_s']:,.0f} | {r['ratio_send_phase']:.2f}x "
            f"| {r['campaign']['validate_and_load_s']:.1f} s | {r['mailer']['peak_rss_mb']:.0f} MB "
            f"| {r['campaign']['peak_rss_mb']:.0f} MB |"
        )
    return rows


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- part 2: three processes, one ledger, one rate ----------------------------------------------------------


def part_multi(rate: int, seconds: int) -> dict[str, Any]:
    count = rate * seconds
    work = CACHE / f"multi-{uuid.uuid4().hex[:6]}"
    write_recipients(work / "recipients.csv", count)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    key = f"sesflow-bench:{uuid.uuid4().hex[:8]}"
    flags = {"latency_ms": 0, "max_send_rate": rate, "max_24h_send": 10**12, "event_delay_scale": 0}
    with emulator_process(**flags) as (url, _):
        path = write_spec(work, url, ledger=PG_URL, ledger_schema=schema, connections=16, rate="auto")
        # Load the campaign first, so the three workers measure sending, not three validations racing.
        load = subprocess.run(
            [sys.executable, "-m", "sesflow", "campaign", "send", str(path), "--dry-run", "--previews", "0"],
            env={**os.environ, **ENV},
            capture_output=True,
            text=True,
            check=False,
        )
        assert load.returncode == 0, load.stderr
        command = [
            sys.executable,
            "-m",
            "sesflow",
            "campaign",
            "send",
            str(path),
            "--quiet",
            "--redis-url",
            REDIS_URL,
            "--redis-key",
            key,
        ]
        workers = [
            subprocess.Popen(
                command,
                env={**os.environ, **ENV},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        codes = [(w.wait(timeout=seconds * 10 + 300), w.stderr.read() if w.stderr else "") for w in workers]
        sends = [
            s for s in http_json(f"{url}/_sesflow/sends?since=0")["sends"] if s["operation"] == "SendEmail"
        ]
        copies = stored_copies(url)
    _drop_schema(schema)
    _redis_forget(key)
    accepted = sorted(s["t"] for s in sends if s["status"] == 200)
    throttled = sum(1 for s in sends if s["status"] != 200)
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    achieved = (len(accepted) - 1) / span if span else 0.0
    most = _most_in_a_second(accepted)
    result = {
        "rate": rate,
        "recipients": count,
        "workers": 3,
        "exit_codes": [c for c, _ in codes],
        "accepted": len(accepted),
        "throttled": throttled,
        "achieved_per_s": achieved,
        "achieved_over_ceiling": achieved / rate,
        "max_accepted_in_1s": most,
        "duplicates": sum(1 for n in copies.values() if n > 1),
        "lost": count - len(copies),
    }
    for code, err in codes:
        if code != 0:
            print(f"worker exited {code}: {err[-500:]}")
    print(f"\nThree processes, one PostgreSQL ledger, R = {rate} shared through Redis ({count:,} recipients)")
    print(
        "| workers | accepted | achieved (/s) | achieved / ceiling | max accepted in 1 s | throttled "
        "| duplicates | lost |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| 3 | {len(accepted):,} | {achieved:.1f} | {achieved / rate:.3f} | {most} | {throttled} "
        f"| {result['duplicates']} | {result['lost']} |"
    )
    return result


def _most_in_a_second(times: Sequence[float]) -> int:
    most, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= 1.0:
            left += 1
        most = max(most, right - left + 1)
    return most


def _redis_forget(key: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    found = list(client.scan_iter(match=f"{key}*", count=1000))
    if found:
        client.delete(*found)


# -- part 3: SIGKILL at random moments ---------------------------------------------------------------------


def part_kills(recipients: int, kills: int, connections: int, rate: str, seed: int) -> dict[str, Any]:
    chance = random.Random(seed)
    work = CACHE / f"kills-{uuid.uuid4().hex[:6]}"
    write_recipients(work / "recipients.csv", recipients)
    flags = {
        "latency_ms": 0,
        "max_send_rate": 10**9,
        "max_24h_send": 10**12,
        "event_delay_scale": 0,
        "export_delay": 0.5,
    }
    env = {**os.environ, **ENV}
    unknown_after: list[int] = []
    with emulator_process(**flags) as (url, _):
        path = write_spec(work, url, connections=connections, rate=None if rate == "none" else float(rate))
        done = 0
        for round_ in range(kills):
            before = len(http_json(f"{url}/_sesflow/sends?since=0")["sends"])
            args = ["send", str(path)] if round_ == 0 else ["resume", "bench"]
            process = subprocess.Popen(
                [sys.executable, "-m", "sesflow", "campaign", *args, "--quiet"],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while (
                len(http_json(f"{url}/_sesflow/sends?since=0")["sends"]) == before and process.poll() is None
            ):
                time.sleep(0.01)
            time.sleep(chance.uniform(0.0, 1.0))
            if process.poll() is not None:
                break
            process.send_signal(signal.SIGKILL)
            process.wait()
            done += 1
            status = _status(work, env)
            unknown_after.append(status["counts"]["unknown"])
        finish = subprocess.run(
            [sys.executable, "-m", "sesflow", "campaign", "resume", "bench", "--quiet"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        before_reconcile = _status(work, env)["counts"]
        reconcile = subprocess.run(
            [sys.executable, "-m", "sesflow", "campaign", "reconcile", "bench", "--settle", "0s", "--json"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        settled = json.loads(reconcile.stdout) if reconcile.stdout.strip() else {"error": reconcile.stderr}
        last = subprocess.run(
            [sys.executable, "-m", "sesflow", "campaign", "resume", "bench", "--quiet"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        final = _status(work, env)["counts"]
        copies = stored_copies(url)
    unknown = before_reconcile["unknown"]
    per_kill = [b - a for a, b in zip([0, *unknown_after], unknown_after, strict=False)]
    result = {
        "recipients": recipients,
        "connections": connections,
        "rate": rate,
        "kills": done,
        "unknown_after_each_kill": per_kill,
        "unknown_total": unknown,
        "reconcile": settled,
        "finish_exit": finish.returncode,
        "last_resume_exit": last.returncode,
        "final_counts": final,
        "duplicates": sum(1 for n in copies.values() if n > 1),
        "lost": recipients - len(copies),
        "copies_total": sum(copies.values()),
    }
    print(
        f"\nSIGKILL at {done} random moments of a {recipients:,}-recipient campaign "
        f"({connections} connections, rate {rate}), resumed each time, then reconcile (settle 0 s) + resume"
    )
    print(
        "| kills | unknown rows (all kills) | max unknown after one kill | found sent by reconcile "
        "| back to pending | duplicates | lost |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {done} | {unknown} | {max(per_kill, default=0)} | {settled.get('found_sent')} "
        f"| {settled.get('back_to_pending')} | {result['duplicates']} | {result['lost']} |"
    )
    return result


def _status(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "sesflow", "campaign", "status", "bench", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--child":
        kind, *rest = args[1:]
        answer = (
            child_mailer(rest[0], rest[1], int(rest[2]))
            if kind == "mailer"
            else child_campaign(rest[0], rest[1], int(rest[2]), rest[3], rest[4])
        )
        print(json.dumps(answer))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="overhead,multi,kills")
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=200, help="R for the multi part")
    parser.add_argument("--seconds", type=int, default=30, help="length of the multi part at R")
    parser.add_argument("--kill-recipients", type=int, default=20_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-connections", default="8", help="comma-separated C values for the kills part")
    parser.add_argument("--kill-rate", default="none,200", help="comma-separated rates for the kills part")
    parser.add_argument("--seed", type=int, default=18)
    options = parser.parse_args(args)
    parts = set(options.parts.split(","))
    os.environ.update(ENV)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if "overhead" in parts:
        results["overhead"] = part_overhead(options.recipients, options.connections)
    if "multi" in parts:
        results["multi"] = part_multi(options.rate, options.seconds)
    if "kills" in parts:
        results["kills"] = [
            part_kills(options.kill_recipients, options.kills, int(c), r, options.seed)
            for c in options.kill_connections.split(",")
            for r in options.kill_rate.split(",")
        ]
    results["machine"]["load_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "campaign.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.update(results)
    out.write_text(json.dumps(previous, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
