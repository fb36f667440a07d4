"""Fixtures for the dlt source tests: the emulator over HTTP, boto3 against it, and plain dlt pipelines that
load real DuckDB files in the test's own folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import dlt
import duckdb
import pytest

from sesflow.emulator import Emulator

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
ANCHOR = (TODAY - 6 * DAY).date()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Dummy AWS credentials and region in the environment, no endpoint, and the test's folder as cwd."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SESV2"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def ses() -> Iterator[Emulator]:
    """An emulator with 300 messages over the four days before yesterday."""
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as emulator:
        emulator.seed(count=300, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=7)
        yield emulator


# The emulator keeps SES's state per region, and seeding history also fills the seeded region's account
# (suppression list, identities, configuration sets): tests that build an account of their own use this one.
EMPTY_REGION = "eu-central-1"


def sesv2(ses: Emulator, region: str = "us-east-1") -> Any:
    """A boto3 sesv2 client on the emulator: how the tests set SES up, through its public API."""
    return boto3.client(
        "sesv2",
        region_name=region,
        endpoint_url=ses.endpoint_url,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


def source_args(ses: Emulator, **args: Any) -> dict[str, Any]:
    """``ses_source`` arguments for the emulator: fast polling, the anchor six days ago, weekly windows."""
    values: dict[str, Any] = {
        "region": "us-east-1",
        "endpoint_url": ses.endpoint_url,
        "anchor_date": ANCHOR.isoformat(),
        "range_interval": "7d",
        "poll_interval": 0.2,
    }
    values.update(args)
    return values


def pipeline(folder: Path, name: str = "ses_test") -> Any:
    """A plain dlt pipeline into ``folder/sesflow.duckdb`` (dataset ``ses_data``), state under ``folder``."""
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(folder / "sesflow.duckdb")),
        dataset_name="ses_data",
        pipelines_dir=str(folder / "pipelines"),
    )


def rows(folder: Path, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` on the test's DuckDB file, as dicts."""
    with duckdb.connect(str(folder / "sesflow.duckdb"), read_only=True) as db:
        relation = db.sql(sql)
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def tables(folder: Path) -> set[str]:
    """The tables of the ``ses_data`` dataset."""
    found = rows(folder, "select table_name from information_schema.tables where table_schema = 'ses_data'")
    return {row["table_name"] for row in found}


def as_json(value: Any) -> Any:
    """A JSON column's value as Python (DuckDB returns JSON text)."""
    return json.loads(value) if isinstance(value, str) else value
