"""A rerun over a lookback rewrites only the messages that changed: the others the target holds as exported
(same ``_raw`` record, all their events) are left out of the merge, and the tables still equal the truth
(the emulator over HTTP, a real DuckDB file and the real PostgreSQL server)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg
import pytest

import sesflow
from sesflow.emulator import Emulator
from sesflow.sync.progress import ProgressEvent, WindowDone
from tests.sync.conftest import as_truth, read_duckdb, read_postgres, replication, ses_settings, truth

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def ses() -> Iterator[Emulator]:
    with Emulator(port=0, export_delay=0.3, event_delay_scale=0.0) as emulator:
        emulator.seed(count=300, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=3)
        yield emulator


def _row_places(target: str, where: Any, schema: str) -> dict[str, str]:
    """messageid -> where its row lies: PostgreSQL's ctid, which a rewritten row changes (DuckDB's rowid may
    change on a checkpoint after a delete, so there the ids alone are read)."""
    if target == "duckdb":
        with duckdb.connect(str(where), read_only=True) as db:
            return dict(db.sql(f"SELECT messageid, '' FROM {schema}.ses_emails").fetchall())
    with psycopg.connect(where) as db:
        return dict(db.execute(f"SELECT messageid, ctid::text FROM {schema}.ses_emails".encode()).fetchall())


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_a_lookback_rerun_rewrites_only_the_changed_messages(
    ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, target: str, request: pytest.FixtureRequest
) -> None:
    if target == "duckdb":
        schema, where = "ses", home / "sync.duckdb"
        settings: dict[str, Any] = {"type": "duckdb", "instance": str(where)}
    else:
        schema, where = request.getfixturevalue("unique_schema"), request.getfixturevalue("pg_url")
        settings = {"type": "postgres", "url": where}
    inputs = ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="7d", lookback_interval="5d")
    monkeypatch.setenv("AWS_SES", json.dumps(inputs))
    monkeypatch.setenv("TARGET", json.dumps(settings))
    sesflow.sync(replication(schema))
    first = _row_places(target, where, schema)
    assert len(first) == 300
    changed = sorted(first)[7]
    late = datetime.now(UTC) - timedelta(seconds=1)
    httpx.post(
        f"{ses.endpoint_url}/_sesflow/messages/{changed}/events",
        json={"type": "CLICK", "timestamp": late.isoformat()},
    ).raise_for_status()
    time.sleep(1.1)
    done: list[WindowDone] = []

    def on_progress(event: ProgressEvent) -> None:
        if isinstance(event, WindowDone):
            done.append(event)

    second = sesflow.sync(replication(schema), on_progress=on_progress)
    assert sum(event.emails for event in done) == second.streams[0].emails == 300
    assert sum(event.unchanged for event in done) == 299
    after = _row_places(target, where, schema)
    assert after.keys() == first.keys()
    if target == "postgres":
        rewritten = {messageid for messageid, place in after.items() if place != first[messageid]}
        assert rewritten == {changed}
    if target == "duckdb":
        emails, events = read_duckdb(where, schema)
    else:
        emails, events = read_postgres(where, schema)
    assert len(emails) == len({row["messageid"] for row in emails}) == 300
    assert len(events) == len({(row["messageid"], row["position"]) for row in events})
    assert [e["type"] for e in events if e["messageid"] == changed][-1] == "CLICK"
    assert as_truth(emails, events) == truth(
        ses.endpoint_url, datetime.fromisoformat(second.streams[0].end or "")
    )
