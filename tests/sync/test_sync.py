"""Syncing the emulator's Message Insights into DuckDB and PostgreSQL: the tables equal the seeded truth.

Real things only: the emulator over HTTP (boto3 + plain GETs of the pre-signed URLs), real DuckDB files and
a real PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import dlt
import duckdb
import httpx
import psycopg
import pytest

import sesflow
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, ExportJobFailedError, ExportLimitError
from sesflow.source import ses_source
from sesflow.sync.progress import JobProgress, ProgressEvent
from tests.sync.conftest import as_truth, read_duckdb, read_postgres, replication, ses_settings, truth

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
UNICODE_SUBJECTS = ("Ünïcødé ✉ 注文 #1", "Привет — 👋", "Ça marche: « oui »")


def _send_live(endpoint: str) -> None:
    """Live sends (events right away): Unicode subjects, and the simulator's bounce and complaint."""
    client = boto3.client(
        "sesv2",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    recipients = ("reader@example.com", "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com")
    for subject, to in zip(UNICODE_SUBJECTS, recipients, strict=True):
        client.send_email(
            FromEmailAddress="shop@example.com",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "hi"}}}},
        )


@pytest.fixture(scope="module")
def big() -> Iterator[Emulator]:
    """12,000 messages on one day (more than one export can hold), 600 over the next days, live sends."""
    with Emulator(port=0, export_delay=0.3, event_delay_scale=0.0) as ses:
        ses.seed(count=12_000, start=TODAY - 6 * DAY, end=TODAY - 5 * DAY, seed=1)
        ses.seed(count=600, start=TODAY - 5 * DAY, end=TODAY - 3 * DAY, seed=2)
        _send_live(ses.endpoint_url)
        time.sleep(1.1)  # so a run's end (now, to the second) falls after the live sends
        yield ses


@pytest.fixture
def small() -> Iterator[Emulator]:
    """300 messages over three days, plus live sends with Unicode subjects."""
    with Emulator(port=0, export_delay=0.3, event_delay_scale=0.0) as ses:
        ses.seed(count=300, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=3)
        _send_live(ses.endpoint_url)
        time.sleep(1.1)
        yield ses


def _configure(monkeypatch: pytest.MonkeyPatch, ses: Emulator, target: dict[str, Any], **inputs: Any) -> None:
    anchor = inputs.pop("anchor", TODAY - 4 * DAY)
    inputs.setdefault("range_interval", "7d")  # one export job per run unless a test needs more
    monkeypatch.setenv("AWS_SES", json.dumps(ses_settings(ses.endpoint_url, anchor, **inputs)))
    monkeypatch.setenv("TARGET", json.dumps(target))


def _duck(path: Path) -> dict[str, Any]:
    return {"type": "duckdb", "instance": str(path)}


def _end(summary: sesflow.SyncSummary) -> datetime:
    end = summary.streams[0].end
    assert end is not None
    return datetime.fromisoformat(end)


def test_sync_into_duckdb_equals_the_seeded_truth_and_splits_the_full_day(
    big: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, big, _duck(home / "sync.duckdb"), anchor=TODAY - 6 * DAY, range_interval="1d")
    summary = sesflow.sync(replication())
    emails, events = read_duckdb(home / "sync.duckdb")
    expected = truth(big.endpoint_url, _end(summary))
    assert len(expected) == 12_603
    assert as_truth(emails, events) == expected
    assert summary.streams[0].splits >= 1
    assert summary.streams[0].emails == 12_603
    assert {row["subject"] for row in emails} >= set(UNICODE_SUBJECTS)
    kinds = {row["lastdeliveryevent"] for row in emails}
    assert {"DELIVERY", "PERMANENT_BOUNCE", "TRANSIENT_BOUNCE", "COMPLAINT"} <= kinds
    assert {"OPEN", "CLICK"} <= {row["lastengagementevent"] for row in emails}
    assert all(json.loads(row["_raw"])["MessageId"] == row["messageid"] for row in emails[:100])


def test_sync_into_postgres_equals_the_seeded_truth(
    big: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, unique_schema: str
) -> None:
    _configure(
        monkeypatch, big, {"type": "postgres", "url": pg_url}, anchor=TODAY - 6 * DAY, range_interval="2d"
    )
    summary = sesflow.sync(replication(unique_schema))
    emails, events = read_postgres(pg_url, unique_schema)
    assert as_truth(emails, events) == truth(big.endpoint_url, _end(summary))


def test_on_limit_fail_stops_naming_the_window_like_sling(
    big: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, big, _duck(home / "sync.duckdb"), anchor=TODAY - 6 * DAY, on_limit="fail")
    with pytest.raises(ExportLimitError, match="range_interval") as failure:
        sesflow.sync(replication())
    assert (TODAY - 6 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ") in str(failure.value)


def test_a_second_incremental_run_loads_only_new_messages_even_from_a_fresh_machine(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, small, _duck(home / "sync.duckdb"))
    first = sesflow.sync(replication(), pipelines_dir=home / "machine-1")
    assert first.streams[0].emails == 303
    # New messages just after the first run's end; wait until their deliveries (0.5-4.5 s after sending)
    # have happened, so no event of theirs falls between the second run's end and its export.
    small.seed(count=40, start=_end(first), end=_end(first) + timedelta(seconds=1), seed=4)
    time.sleep(max(0.0, (_end(first) + timedelta(seconds=6.5) - datetime.now(UTC)).total_seconds()))
    # A fresh machine: no local dlt folder, so the state can only come from the DuckDB file.
    second = sesflow.sync(replication(), pipelines_dir=home / "machine-2")
    assert second.streams[0].start == first.streams[0].end
    assert second.streams[0].emails == 40
    emails, events = read_duckdb(home / "sync.duckdb")
    assert as_truth(emails, events) == truth(small.endpoint_url, _end(second))


def test_deleting_the_local_pipeline_folder_does_not_lose_the_state(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, small, _duck(home / "sync.duckdb"))
    first = sesflow.sync(replication())
    shutil.rmtree(home / "home" / "pipelines")
    second = sesflow.sync(replication())
    assert second.streams[0].start == first.streams[0].end
    assert second.streams[0].emails == 0


def test_lookback_picks_up_a_late_event_for_a_synced_message(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, small, _duck(home / "sync.duckdb"), lookback_interval="5d")
    sesflow.sync(replication())
    emails, _ = read_duckdb(home / "sync.duckdb")
    quiet = next(
        row for row in emails if row["lastengagementevent"] is None and row["lastdeliveryevent"] == "DELIVERY"
    )
    late = datetime.now(UTC) - timedelta(seconds=1)
    httpx.post(
        f"{small.endpoint_url}/_sesflow/messages/{quiet['messageid']}/events",
        json={"type": "CLICK", "timestamp": late.isoformat()},
    ).raise_for_status()
    time.sleep(1.1)
    second = sesflow.sync(replication())
    emails, events = read_duckdb(home / "sync.duckdb")
    row = next(r for r in emails if r["messageid"] == quiet["messageid"])
    assert row["lastengagementevent"] == "CLICK"
    assert [e["type"] for e in events if e["messageid"] == quiet["messageid"]][-1] == "CLICK"
    assert len(emails) == 303
    assert as_truth(emails, events) == truth(small.endpoint_url, _end(second))


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_messages_synced_before_are_merged_and_no_staging_schema_is_left(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, target: str, request: pytest.FixtureRequest
) -> None:
    # The rerun exports every message again: appended, each would be there twice. A merge goes through a
    # staging schema of the run's own (<schema>_staging_<hash>), which the run drops once it is loaded.
    path = home / "sync.duckdb"
    if target == "duckdb":
        schema, settings = "ses", _duck(path)
    else:
        url = request.getfixturevalue("pg_url")
        schema, settings = request.getfixturevalue("unique_schema"), {"type": "postgres", "url": url}
    _configure(monkeypatch, small, settings, lookback_interval="5d")

    def schemas() -> set[str]:
        query = "SELECT schema_name FROM information_schema.schemata"
        if target == "duckdb":
            with duckdb.connect(str(path), read_only=True) as db:
                return {name for (name,) in db.sql(query).fetchall()}
        with psycopg.connect(url) as db:
            return {name for (name,) in db.execute(query).fetchall()}

    def staging() -> set[str]:
        return {name for name in schemas() if name.startswith(f"{schema}_staging")}

    sesflow.sync(replication(schema))
    assert schema in schemas()
    assert staging() == set()
    second = sesflow.sync(replication(schema))  # the lookback exports every message again
    assert second.streams[0].emails == 303
    assert staging() == set()
    if target == "duckdb":
        emails, events = read_duckdb(path)
    else:
        emails, events = read_postgres(url, schema)
    assert len(emails) == len({row["messageid"] for row in emails}) == 303
    assert len(events) == len({(row["messageid"], row["position"]) for row in events})
    assert as_truth(emails, events) == truth(small.endpoint_url, _end(second))


def test_csv_and_json_exports_give_the_same_table(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    end = datetime.now(UTC)
    tables = {}
    for data_format in ("JSON", "CSV"):
        path = home / f"{data_format}.duckdb"
        _configure(monkeypatch, small, _duck(path), data_format=data_format)
        sesflow.sync(replication(), end=end)
        tables[data_format] = read_duckdb(path)
    assert len(tables["JSON"][0]) == 303
    assert tables["CSV"] == tables["JSON"]


def test_injected_faults_end_with_the_same_table(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = httpx.Client(base_url=small.endpoint_url)
    api.post(
        "/_sesflow/faults", json={"operation": "CreateExportJob", "status": 500, "count": 2}
    ).raise_for_status()
    api.post(
        "/_sesflow/faults", json={"operation": "GetExportJob", "status": 503, "count": 3}
    ).raise_for_status()
    api.post("/_sesflow/faults", json={"fail_export_jobs": 1, "error_message": "boom"}).raise_for_status()
    api.post("/_sesflow/faults", json={"truncate_downloads": 1}).raise_for_status()
    expired: list[str] = []

    def expire_first_url(event: ProgressEvent) -> None:
        # The URL is in hand and about to be fetched: make it expire, as if the download came late.
        if isinstance(event, JobProgress) and event.state == "DOWNLOADING" and not expired:
            expired.append(event.job_id)
            api.post("/_sesflow/faults", json={"expire_urls": True}).raise_for_status()

    _configure(monkeypatch, small, _duck(home / "sync.duckdb"), max_concurrent_jobs=1)
    summary = sesflow.sync(replication(), on_progress=expire_first_url)
    assert expired
    emails, events = read_duckdb(home / "sync.duckdb")
    assert as_truth(emails, events) == truth(small.endpoint_url, _end(summary))
    api.delete("/_sesflow/faults")


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_exports_that_stray_over_their_window_or_repeat_a_record_load_each_message_once(
    small: Emulator,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    request: pytest.FixtureRequest,
) -> None:
    # Every job also selects the 12 hours before its window (so a window's messages come again with the
    # next one, in the same dlt run), and two files list their first record twice: still one row per
    # message and one per event.
    api = httpx.Client(base_url=small.endpoint_url)
    api.post("/_sesflow/faults", json={"stray_seconds": 12 * 3600, "repeat_records": 2}).raise_for_status()
    schema = "ses"
    if target == "duckdb":
        settings = _duck(home / "sync.duckdb")
    else:
        settings = {"type": "postgres", "url": request.getfixturevalue("pg_url")}
        schema = request.getfixturevalue("unique_schema")
    _configure(monkeypatch, small, settings, range_interval="1d", max_concurrent_jobs=1)
    try:
        summary = sesflow.sync(replication(schema))
    finally:
        api.delete("/_sesflow/faults").raise_for_status()
    if target == "duckdb":
        emails, events = read_duckdb(home / "sync.duckdb")
    else:
        emails, events = read_postgres(request.getfixturevalue("pg_url"), schema)
    expected = truth(small.endpoint_url, _end(summary))
    assert summary.streams[0].emails > len(expected)  # the exports did overlap
    assert len(emails) == len(expected) == 303
    assert len({(event["messageid"], event["position"]) for event in events}) == len(events)
    assert as_truth(emails, events) == expected


def test_a_job_that_keeps_failing_is_a_clear_error_and_the_rerun_leaves_no_gap(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api = httpx.Client(base_url=small.endpoint_url)
    api.post("/_sesflow/faults", json={"fail_export_jobs": 100, "error_message": "Simulated export failure"})
    _configure(monkeypatch, small, _duck(home / "sync.duckdb"), max_concurrent_jobs=1)
    with pytest.raises(ExportJobFailedError, match="Simulated export failure") as failure:
        sesflow.sync(replication())
    assert (TODAY - 4 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ") in str(failure.value)
    api.delete("/_sesflow/faults").raise_for_status()
    path = home / "replication.yaml"
    path.write_text(json.dumps(replication()))
    from sesflow.cli.app import run as cli

    assert cli(["run", "-r", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["streams"][0]["start"] == (TODAY - 4 * DAY).isoformat()
    emails, events = read_duckdb(home / "sync.duckdb")
    end = datetime.fromisoformat(summary["streams"][0]["end"])
    assert as_truth(emails, events) == truth(small.endpoint_url, end)


def test_full_refresh_and_truncate_start_again_from_the_anchor(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, small, _duck(home / "sync.duckdb"))
    sesflow.sync(replication())
    for mode in ("full-refresh", "truncate"):
        summary = sesflow.sync(replication(), mode=mode)
        assert summary.streams[0].start == (TODAY - 4 * DAY).isoformat()
        emails, events = read_duckdb(home / "sync.duckdb")
        assert as_truth(emails, events) == truth(small.endpoint_url, _end(summary))


def test_a_duckdb_file_named_like_the_schema_is_refused_up_front(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, small, _duck(home / "ses.duckdb"))
    with pytest.raises(ConfigError, match="same name"):
        sesflow.sync(replication())


def test_ses_source_runs_in_a_plain_dlt_pipeline(small: Emulator, home: Path) -> None:
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    pipeline = dlt.pipeline(
        "my_own",
        destination=dlt.destinations.duckdb(str(home / "own.duckdb")),
        dataset_name="ses",
        pipelines_dir=str(home / "dlt"),
    )
    pipeline.run(
        ses_source(region="us-east-1", endpoint_url=small.endpoint_url, anchor_date=(TODAY - 4 * DAY).date())
    )
    emails, events = read_duckdb(home / "own.duckdb")
    assert len(emails) == 303
    assert len(events) > 303


def test_limit_exceeded_on_create_waits_and_retries(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(port=0, export_delay=0.5, event_delay_scale=0.0, max_export_jobs=1) as ses:
        ses.seed(count=200, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=5)
        time.sleep(1.1)
        _configure(monkeypatch, ses, _duck(home / "sync.duckdb"), range_interval="1d", max_concurrent_jobs=3)
        summary = sesflow.sync(replication())
        emails, events = read_duckdb(home / "sync.duckdb")
        assert as_truth(emails, events) == truth(ses.endpoint_url, _end(summary))


def test_more_than_the_cap_within_one_second_is_a_clear_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as ses:
        second = TODAY - 2 * DAY
        ses.seed(count=10_001, start=second, end=second + timedelta(milliseconds=900), seed=6)
        _configure(monkeypatch, ses, _duck(home / "sync.duckdb"), anchor=second, range_interval="2s")
        with pytest.raises(ExportLimitError, match="within one second"):
            sesflow.sync(replication())


def test_a_dlt_target_loads_through_any_dlt_destination(
    small: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = {"type": "dlt", "destination": "duckdb", "credentials": str(home / "via_dlt.duckdb")}
    _configure(monkeypatch, small, target)
    summary = sesflow.sync(replication())
    emails, events = read_duckdb(home / "via_dlt.duckdb")
    assert as_truth(emails, events) == truth(small.endpoint_url, _end(summary))
