"""A real sync from the emulator into DuckDB and PostgreSQL gives one report, with the seeded totals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sesflow.report import load_report

START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
DAYS = 6


def _replication(monkeypatch: pytest.MonkeyPatch, endpoint: str, target: dict[str, str]) -> dict[str, object]:
    source = {
        "type": "api",
        "spec": "aws_ses",
        "inputs": {
            "region": "us-east-1",
            "endpoint_url": endpoint,
            "anchor_date": START.date().isoformat(),
            "range_interval": "3d",
            "poll_interval": 0.1,
        },
        "secrets": {"access_key_id": "testing", "secret_access_key": "testing"},
    }
    monkeypatch.setenv("REPORT_TEST_SES", json.dumps(source))
    monkeypatch.setenv("REPORT_TEST_DB", json.dumps(target))
    return {
        "source": "REPORT_TEST_SES",
        "target": "REPORT_TEST_DB",
        "defaults": {"mode": "full-refresh", "object": "ses_sync_report.{stream_name}"},
        "streams": {"ses_emails": None},
    }


@pytest.mark.slow
def test_duckdb_and_postgres_reports_agree_after_a_real_sync(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sesflow.emulator import Emulator
    from sesflow.insights import sync

    monkeypatch.setenv("HOME", str(tmp_path))
    with Emulator(port=0, export_delay=0.2, seed=5) as ses:
        seeded = ses.seed(
            count=900, start=START, end=START + dt.timedelta(days=DAYS) - dt.timedelta(seconds=1), seed=5
        )
        end = START + dt.timedelta(days=DAYS)
        duck = str(tmp_path / "synced.duckdb")
        sync(_replication(monkeypatch, ses.endpoint_url, {"type": "duckdb", "instance": duck}), end=end)
        sync(
            _replication(monkeypatch, ses.endpoint_url, {"type": "postgres", "url": pg_url}),
            end=end,
        )

    from_duck = load_report(duck, schema="ses_sync_report")
    from_pg = load_report(pg_url, schema="ses_sync_report")
    assert from_duck.totals.sent == seeded
    assert len(from_duck.days) == DAYS
    assert from_duck.totals.delivered > 0 and from_duck.totals.bounced > 0 and from_duck.totals.opened > 0
    assert sum(n for _, n in from_duck.bounces_by_type) == from_duck.totals.bounced
    for field in ("totals", "bounces_by_type", "days", "by_isp", "by_tag", "by_from", "recipients"):
        assert getattr(from_pg, field) == getattr(from_duck, field), field
