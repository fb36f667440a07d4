"""Every SES stream through `sesflow run`: a replication selects streams as Sling does (by name, or '*'),
incremental streams merge, snapshots replace, a full refresh drops what left the suppression list, a stream
the credentials may not read fails alone naming the IAM action, and an account without VDM says which
setting to turn on while the other streams load. The emulator over HTTP, real DuckDB files and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import psycopg
import pytest

import sesflow
from sesflow.cli.app import run as cli
from sesflow.emulator import Emulator
from sesflow.errors import AccessDeniedError, StreamsFailedError
from tests.sync.conftest import ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
ALL = (
    "ses_emails",
    "ses_metrics",
    "ses_suppressed_destinations",
    "ses_email_identities",
    "ses_configuration_sets",
    "ses_account",
)


@pytest.fixture
def ses() -> Iterator[Emulator]:
    """200 messages over two past days; seeding also fills the account (VDM on, identities, configuration
    sets, suppression list)."""
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as emulator:
        emulator.seed(count=200, start=TODAY - 3 * DAY, end=TODAY - 1 * DAY, seed=41)
        yield emulator


@pytest.fixture
def duck(home: Path, ses: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AWS_SES on the emulator and TARGET a DuckDB file; returns the file."""
    monkeypatch.setenv(
        "AWS_SES", json.dumps(ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="7d"))
    )
    path = home / "sesflow.duckdb"
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(path)}))
    return path


def _sesv2(ses: Emulator) -> Any:
    return boto3.client(
        "sesv2",
        region_name="us-east-1",
        endpoint_url=ses.endpoint_url,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


def _plan(streams: dict[str, Any], schema: str = "ses_data") -> dict[str, Any]:
    return {
        "source": "AWS_SES",
        "target": "TARGET",
        "defaults": {"mode": "incremental", "object": f"{schema}.{{stream_name}}"},
        "streams": streams,
    }


def _file(folder: Path, plan: dict[str, Any]) -> str:
    path = folder / "replication.yaml"
    path.write_text(json.dumps(plan))
    return str(path)


def _rows(path: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as db:
        relation = db.sql(sql)
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def _tables(path: Path) -> set[str]:
    found = _rows(path, "select table_schema || '.' || table_name as name from information_schema.tables")
    return {row["name"] for row in found if not row["name"].split(".")[1].startswith("_dlt")}


def _suppressed(ses: Emulator) -> set[str]:
    listed = _sesv2(ses).list_suppressed_destinations(PageSize=1000)["SuppressedDestinationSummaries"]
    return {item["EmailAddress"] for item in listed}


def _deny(ses: Emulator, operation: str) -> None:
    ses.faults(operation=operation, error_code="AccessDeniedException", status=403, probability=1.0)


def test_a_star_replication_loads_every_stream_with_what_ses_holds(
    ses: Emulator, duck: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["run", "-r", _file(home, _plan({"*": None})), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(s["stream"], s["status"]) for s in summary["streams"]] == [(name, "loaded") for name in ALL]
    assert _tables(duck) == {f"ses_data.{name}" for name in (*ALL, "ses_email_events")}
    assert _rows(duck, "select count(*) as n from ses_data.ses_emails") == [{"n": 200}]
    sends = _rows(
        duck,
        "select sum(volume) as n from ses_data.ses_metrics where dimension = 'ISP' and metric = 'SEND'",
    )
    assert sends == [{"n": 200}]  # every seeded message is one send, counted by its ISP
    addresses = _rows(duck, "select email_address from ses_data.ses_suppressed_destinations")
    assert {row["email_address"] for row in addresses} == _suppressed(ses) != set()
    identities = {row["identity_name"] for row in _rows(duck, "select * from ses_data.ses_email_identities")}
    listed = _sesv2(ses).list_email_identities()["EmailIdentities"]
    assert identities == {item["IdentityName"] for item in listed} != set()
    sets = _rows(
        duck, "select configuration_set_name, event_destinations from ses_data.ses_configuration_sets"
    )
    names = _sesv2(ses).list_configuration_sets()["ConfigurationSets"]
    assert {row["configuration_set_name"] for row in sets} == set(names) != set()
    assert _rows(duck, "select region, vdm_enabled from ses_data.ses_account") == [
        {"region": "us-east-1", "vdm_enabled": "ENABLED"}
    ]
    objects = {s["stream"]: (s["object"], s["rows"]) for s in summary["streams"]}
    assert objects["ses_account"] == ("ses_data.ses_account", 1)
    assert objects["ses_emails"] == ("ses_data.ses_emails", 200)


def test_a_rerun_merges_the_incremental_streams_and_replaces_the_snapshots(
    ses: Emulator, duck: Path, home: Path
) -> None:
    plan = _plan({"*": None})
    sesflow.sync(plan)
    client = _sesv2(ses)
    gone = client.list_email_identities()["EmailIdentities"][0]["IdentityName"]
    client.delete_email_identity(EmailIdentity=gone)
    client.put_suppressed_destination(EmailAddress="late@example.com", Reason="COMPLAINT")
    again = sesflow.sync(plan)
    assert {stream.status for stream in again.streams} == {"loaded"}
    identities = {row["identity_name"] for row in _rows(duck, "select * from ses_data.ses_email_identities")}
    assert gone not in identities and identities
    addresses = [
        row["email_address"] for row in _rows(duck, "select * from ses_data.ses_suppressed_destinations")
    ]
    assert sorted(addresses) == sorted(_suppressed(ses))  # the new one added, none twice
    assert "late@example.com" in addresses
    keys = _rows(
        duck,
        "select count(*) as n, count(distinct (day, dimension, dimension_value, metric)) as k "
        "from ses_data.ses_metrics",
    )
    assert keys[0]["n"] == keys[0]["k"] > 0  # the lookback days were merged, not doubled
    assert _rows(duck, "select count(distinct messageid) as n, count(*) as m from ses_data.ses_emails") == [
        {"n": 200, "m": 200}
    ]
    assert len(_rows(duck, "select * from ses_data.ses_account")) == 1


def test_a_replication_selects_streams_by_name_with_their_own_objects(
    ses: Emulator, duck: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan({"ses_metrics": {"object": "vdm.daily_{stream_name}"}, "ses_account": None})
    assert cli(["run", "-r", _file(home, plan)]) == 0
    err = capsys.readouterr().err
    assert _tables(duck) == {"vdm.daily_ses_metrics", "ses_data.ses_account"}
    assert "ses_metrics -> vdm.daily_ses_metrics: " in err
    assert "ses_account -> ses_data.ses_account: 1 rows" in err


def test_slings_flags_run_any_stream(ses: Emulator, duck: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--src-conn", "AWS_SES", "--src-stream", "ses_configuration_sets", "--tgt-conn", "TARGET"]
    assert cli(["run", *flags, "--tgt-object", "cfg.{stream_name}"]) == 0
    assert _tables(duck) == {"cfg.ses_configuration_sets"}


def test_a_full_refresh_drops_addresses_removed_from_the_suppression_list(
    ses: Emulator, duck: Path, home: Path
) -> None:
    path = _file(home, _plan({"ses_suppressed_destinations": None}))
    assert cli(["run", "-r", path]) == 0
    removed = sorted(_suppressed(ses))[0]
    _sesv2(ses).delete_suppressed_destination(EmailAddress=removed)

    def loaded() -> set[str]:
        return {
            row["email_address"] for row in _rows(duck, "select * from ses_data.ses_suppressed_destinations")
        }

    assert cli(["run", "-r", path]) == 0
    assert removed in loaded()  # an incremental run only adds what changed since
    assert cli(["run", "-r", path, "--mode", "full-refresh"]) == 0
    assert loaded() == _suppressed(ses) and removed not in loaded()


def test_a_denied_stream_fails_alone_naming_the_iam_action_and_the_run_exits_1(
    ses: Emulator, duck: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _deny(ses, "ListSuppressedDestinations")
    assert cli(["run", "-r", _file(home, _plan({"*": None}))]) == 1
    err = capsys.readouterr().err
    assert "ses_suppressed_destinations: the credentials may not call ListSuppressedDestinations" in err
    assert (
        err.strip().splitlines()[-1]
        == "Grant the IAM action ses:ListSuppressedDestinations to these credentials."
    )
    assert "ses_suppressed_destinations -> ses_data.ses_suppressed_destinations: failed" in err
    assert "ses_account -> ses_data.ses_account: 1 rows" in err  # a stream after the failed one ran
    assert "ses_data.ses_suppressed_destinations" not in _tables(duck)
    assert _rows(duck, "select count(*) as n from ses_data.ses_emails") == [{"n": 200}]
    assert len(_rows(duck, "select * from ses_data.ses_account")) == 1


def test_the_library_raises_the_failed_streams_error_with_the_summary_of_the_run(
    ses: Emulator, duck: Path
) -> None:
    _deny(ses, "GetEmailIdentity")
    with pytest.raises(AccessDeniedError) as one:
        sesflow.sync(_plan({"ses_email_identities": None, "ses_account": None}))
    assert (one.value.stream, one.value.action) == ("ses_email_identities", "ses:GetEmailIdentity")
    summary: Any = one.value.summary
    assert [(s.stream, s.status) for s in summary.streams] == [
        ("ses_email_identities", "failed"),
        ("ses_account", "loaded"),
    ]
    _deny(ses, "CreateExportJob")
    with pytest.raises(StreamsFailedError) as several:
        sesflow.sync(_plan({"ses_emails": None, "ses_email_identities": None, "ses_account": None}))
    assert set(several.value.failures) == {"ses_emails", "ses_email_identities"}
    assert "ses:CreateExportJob" in str(several.value) and "ses:GetEmailIdentity" in str(several.value)


def test_without_vdm_the_metrics_stream_names_the_setting_and_the_others_load(
    ses: Emulator, duck: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sesv2(ses).put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "DISABLED"})
    assert cli(["run", "-r", _file(home, _plan({"ses_metrics": None, "ses_account": None})), "--json"]) == 0
    captured = capsys.readouterr()
    assert "ses_metrics: skipped: Virtual Deliverability Manager is not enabled" in captured.err
    assert "VdmAttributes.VdmEnabled is DISABLED" in captured.err
    statuses = {s["stream"]: s["status"] for s in json.loads(captured.out)["streams"]}
    assert statuses == {"ses_metrics": "skipped", "ses_account": "loaded"}
    assert _tables(duck) == {"ses_data.ses_account"}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"streams": {"ses_bounce_list": None}}, "ses_bounce_list"),
        ({"flags": ["--streams", "ses_emails,ses_bounce_list"]}, "ses_bounce_list"),
        ({"inputs": {"metrics_dimensions": ["ISP", "BROWSER"]}}, "metrics_dimensions: 'BROWSER'"),
        (
            {"streams": {"ses_emails": None, "ses_email_events": {"object": "other.{stream_name}"}}},
            "must share the schema",
        ),
    ],
    ids=["stream in the file", "stream in --streams", "metrics dimension", "events apart from emails"],
)
def test_an_unknown_stream_or_dimension_exits_2_naming_it(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    named: str,
) -> None:
    settings = ses_settings("http://127.0.0.1:9", TODAY - 4 * DAY, **change.get("inputs", {}))
    monkeypatch.setenv("AWS_SES", json.dumps(settings))
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(home / "t.duckdb")}))
    plan = _plan(change.get("streams", {"*": None}))
    assert cli(["run", "-r", _file(home, plan), *change.get("flags", [])]) == 2
    assert named in capsys.readouterr().err
    assert not (home / "t.duckdb").exists()  # refused before any work


def test_every_stream_into_postgres_merges_on_a_rerun_and_leaves_no_staging_schema(
    ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str, unique_schema: str
) -> None:
    monkeypatch.setenv(
        "AWS_SES", json.dumps(ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="7d"))
    )
    monkeypatch.setenv("TARGET", json.dumps({"type": "postgres", "url": pg_url}))
    plan = _plan({"*": None}, unique_schema)
    first = sesflow.sync(plan)
    _sesv2(ses).put_suppressed_destination(EmailAddress="late@example.com", Reason="BOUNCE")
    second = sesflow.sync(plan)
    assert [s.status for s in first.streams + second.streams] == ["loaded"] * 12
    with psycopg.connect(pg_url) as db:

        def one(sql: str) -> Any:
            row = db.execute(sql.replace("S.", f"{unique_schema}.")).fetchone()
            assert row is not None
            return row[0]

        assert one("select count(*) from S.ses_emails") == one(
            "select count(distinct messageid) from S.ses_emails"
        )
        assert one("select count(*) from S.ses_emails") == 200
        assert one("select count(*) from S.ses_suppressed_destinations") == len(_suppressed(ses))
        assert (
            one(
                "select count(*) - count(distinct (day, dimension, dimension_value, metric)) "
                "from S.ses_metrics"
            )
            == 0
        )
        assert one("select count(*) from S.ses_account") == 1
        schemas = db.execute(
            "select schema_name from information_schema.schemata where schema_name like %s",
            [f"{unique_schema}%"],
        ).fetchall()
    assert schemas == [(unique_schema,)]
