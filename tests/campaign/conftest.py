"""Fixtures for the campaign tests: an emulator over HTTP, a campaign folder with its files, the CLI, and
the truth (what the emulator stored, per recipient)."""

from __future__ import annotations

import collections
import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sesflow.cli.app import run
from sesflow.emulator import Emulator
from tests.send.conftest import Private

SENDER = "Shop <news@shop.example>"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator per test module; no rate or quota in the way, events at send time, quick exports,
    every delivered message opened and none clicked (so outcomes are the same on every run)."""
    with Emulator(
        port=0,
        max_send_rate=100_000,
        max_24h_send=10**9,
        event_delay_scale=0.0,
        export_delay=0.2,
        open_probability=1.0,
        click_probability=0.0,
    ) as ses:
        yield ses


@pytest.fixture
def ses(emulator: Emulator) -> Private:
    """The module's emulator, emptied of messages, sends, faults and suppressed addresses."""
    private = Private(emulator.endpoint_url)
    private("DELETE", "/_sesflow/faults")
    private("DELETE", "/_sesflow/messages")
    client = sesv2(emulator.endpoint_url)
    for item in client.list_suppressed_destinations().get("SuppressedDestinationSummaries", []):
        client.delete_suppressed_destination(EmailAddress=item["EmailAddress"])
    return private


def sesv2(endpoint: str) -> Any:
    """A boto3 sesv2 client for the emulator."""
    import boto3

    return boto3.client(
        "sesv2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder as working directory, own sesflow/Sling homes, dummy AWS credentials."""
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in ("AWS_PROFILE", "SESFLOW_REDIS_URL", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SESV2"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def people(count: int, start: int = 0, domain: str = "example.com") -> list[dict[str, Any]]:
    """``count`` recipient rows: email, first_name, id."""
    return [
        {"email": f"user{n}@{domain}", "first_name": f"Name{n}", "id": str(n)}
        for n in range(start, start + count)
    ]


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Rows as a CSV file with a header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_campaign(
    folder: Path, endpoint: str, rows: Sequence[dict[str, Any]] | None = None, **keys: Any
) -> Path:
    """``campaign.yaml`` (+ ``recipients.csv`` from ``rows``) in ``folder``; ``keys`` replace or add keys."""
    folder.mkdir(parents=True, exist_ok=True)
    if rows is not None:
        write_csv(folder / "recipients.csv", rows)
    spec: dict[str, Any] = {
        "name": "news",
        "from": SENDER,
        "subject": "{{ first_name }}, our news",
        "text": "Hello {{ first_name }}.\nUnsubscribe: {{ unsubscribe_url }}\n",
        "html": "<p>Hello {{ first_name }}</p>",
        "recipients": {"csv": "recipients.csv"},
        "unsubscribe": {"url": "https://shop.example/u/{{ id }}"},
        "connections": 4,
        "ses": {"endpoint_url": endpoint, "region": "us-east-1"},
    }
    spec.update(keys)
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def stored(endpoint: str) -> list[dict[str, Any]]:
    """Every message the emulator stored (all pages)."""
    out: list[dict[str, Any]] = []
    offset = 0
    with httpx.Client(base_url=endpoint, timeout=60) as http:
        while True:
            page = http.get("/_sesflow/messages", params={"limit": 1000, "offset": offset, "kind": "sent"})
            messages = page.json()["messages"]
            out.extend(messages)
            if len(messages) < 1000:
                return out
            offset += 1000


def copies(endpoint: str) -> collections.Counter[str]:
    """How many messages each recipient got."""
    return collections.Counter(address for m in stored(endpoint) for address in m["Destination"])


def cli(*args: str, capsys: pytest.CaptureFixture[str] | None = None) -> tuple[int, str, str]:
    """Run ``sesflow ARGS`` in this process; (exit code, stdout, stderr)."""
    code = run(list(args))
    if capsys is None:
        return code, "", ""
    out, err = capsys.readouterr()
    return code, out, err


def sesflow_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``sesflow ARGS`` as a real process in ``cwd`` (output to pipes)."""
    environment = dict(os.environ)
    environment.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "sesflow", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def status(name: str, *extra: str) -> dict[str, Any]:
    """``sesflow campaign status NAME --json`` as a dict."""
    process = subprocess.run(
        [sys.executable, "-m", "sesflow", "campaign", "status", name, "--json", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(process.stdout)
    return data


def sync_into(target: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, schema: str = "ses") -> None:
    """A real sync of the emulator's Message Insights (today) into the DuckDB file or PostgreSQL URL."""
    from datetime import UTC, datetime

    from sesflow.sync import sync

    today = datetime.now(UTC).date().isoformat()
    inputs = {"region": "us-east-1", "endpoint_url": emulator.endpoint_url, "anchor_date": today}
    monkeypatch.setenv("CAMPAIGN_TEST_SES", json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs}))
    if str(target).startswith("postgresql://"):
        monkeypatch.setenv("CAMPAIGN_TEST_TARGET", json.dumps({"type": "postgres", "url": str(target)}))
    else:
        monkeypatch.setenv("CAMPAIGN_TEST_TARGET", json.dumps({"type": "duckdb", "instance": str(target)}))
    sync(
        {
            "source": "CAMPAIGN_TEST_SES",
            "target": "CAMPAIGN_TEST_TARGET",
            "defaults": {"mode": "incremental", "object": f"{schema}.{{stream_name}}"},
            "streams": {"ses_emails": None},
        }
    )
