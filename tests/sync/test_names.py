"""Progress lines, summaries and the runner's own checks use the names of the tables dlt created: with dlt's
``dataset_name_layout`` the dataset is ``land_<schema>``, and that is what `sesflow run` prints, what the
summary says and where the check for messages the target holds already looks (a rerun over loaded rows
still leaves one row per message)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pytest

import sesflow
from sesflow.cli.app import run as cli
from sesflow.emulator import Emulator
from tests.sync.conftest import replication, ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """300 messages over two past days."""
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as emulator:
        emulator.seed(count=300, start=TODAY - 3 * DAY, end=TODAY - 1 * DAY, seed=61)
        yield emulator


@pytest.fixture
def layout(ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dlt configured (as its users configure it) to put every dataset under a ``land_`` prefix; each run
    exports every message again (the lookback covers them all)."""
    monkeypatch.setenv("DATASET_NAME_LAYOUT", "land_%s")
    settings = ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="7d", lookback_interval="5d")
    monkeypatch.setenv("AWS_SES", json.dumps(settings))
    return home


def test_progress_and_summary_name_the_dataset_dlt_created(
    layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = layout / "sesflow.duckdb"
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(path)}))
    (layout / "replication.yaml").write_text(json.dumps(replication()))
    assert cli(["run", "-r", str(layout / "replication.yaml")]) == 0
    err = capsys.readouterr().err
    assert "running stream ses_emails -> land_ses.ses_emails, land_ses.ses_email_events (incremental)" in err
    assert "inserted 300 rows into land_ses.ses_emails and " in err
    assert "ses_emails -> land_ses.ses_emails: 300 rows" in err
    again = sesflow.sync(replication())  # every message is exported again: it must merge, not append
    assert again.streams[0].object == "land_ses.ses_emails"
    assert set(again.streams[0].tables) == {"land_ses.ses_emails", "land_ses.ses_email_events"}
    with duckdb.connect(str(path), read_only=True) as db:
        schemas = {
            name for (name,) in db.sql("select schema_name from information_schema.schemata").fetchall()
        }
        rows = db.sql("select count(*), count(distinct messageid) from land_ses.ses_emails").fetchall()
    assert "ses" not in schemas and "land_ses" in schemas
    assert rows == [(300, 300)]


def test_the_held_check_looks_in_the_dataset_dlt_created_in_postgres(
    layout: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, unique_schema: str
) -> None:
    monkeypatch.setenv("TARGET", json.dumps({"type": "postgres", "url": pg_url}))
    first = sesflow.sync(replication(unique_schema))
    second = sesflow.sync(replication(unique_schema))
    dataset = f"land_{unique_schema}"
    assert first.streams[0].object == second.streams[0].object == f"{dataset}.ses_emails"
    assert second.streams[0].emails == 300
    with psycopg.connect(pg_url) as db:
        row = db.execute(f"select count(*), count(distinct messageid) from {dataset}.ses_emails").fetchone()
    assert row == (300, 300)
