"""A Message Insights dataset made the real way: the emulator seeded with history, synced by sesflow.sync."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
DAYS = 14
SCHEMA = "ses_sync_report"


@dataclass(frozen=True)
class Synced:
    """Where the synced tables are, and how many messages the emulator was seeded with."""

    duckdb: str
    postgres: str
    schema: str
    seeded: int
    days: int


def _replication(endpoint: str, target: dict[str, str], pipelines: Path) -> dict[str, object]:
    source = {
        "type": "api",
        "spec": "aws_ses",
        "inputs": {
            "region": "us-east-1",
            "endpoint_url": endpoint,
            "anchor_date": START.date().isoformat(),
            "range_interval": "7d",
            "poll_interval": 0.1,
        },
        "secrets": {"access_key_id": "testing", "secret_access_key": "testing"},
    }
    os.environ["REPORT_TEST_SES"] = json.dumps(source)
    os.environ["REPORT_TEST_DB"] = json.dumps(target)
    return {
        "source": "REPORT_TEST_SES",
        "target": "REPORT_TEST_DB",
        "defaults": {"mode": "full-refresh", "object": f"{SCHEMA}.{{stream_name}}"},
        "streams": {"ses_emails": None},
    }


@pytest.fixture(scope="session")
def synced(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[Synced]:
    """Seed 14 days of history in the emulator and sync it into DuckDB and into PostgreSQL."""
    from sesflow.emulator import Emulator
    from sesflow.sync import sync

    folder = tmp_path_factory.mktemp("synced")
    saved = {name: os.environ.get(name) for name in ("REPORT_TEST_SES", "REPORT_TEST_DB")}
    end = START + dt.timedelta(days=DAYS)
    try:
        with Emulator(port=0, export_delay=0.2, seed=5) as ses:
            seeded = ses.seed(count=1400, start=START, end=end - dt.timedelta(seconds=1), seed=5)
            duck = str(folder / "synced.duckdb")
            for target in ({"type": "duckdb", "instance": duck}, {"type": "postgres", "url": pg_url}):
                sync(
                    _replication(ses.endpoint_url, target, folder),
                    end=end,
                    pipelines_dir=folder / target["type"],
                )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield Synced(duck, pg_url, SCHEMA, seeded, DAYS)
