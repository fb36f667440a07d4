"""Sling's target types: SQLite and local files (Parquet, CSV) loaded end to end from the emulator; the
warehouses checked by the dlt configuration their Sling keys produce; Sling's `run` flags and object
variables.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv
import pyarrow.parquet
import pytest

import sesflow
from sesflow.cli.app import run as cli
from sesflow.connections import parse_connection
from sesflow.emulator import Emulator
from tests.sync.conftest import read_duckdb, replication, ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """200 messages over two past days."""
    with Emulator(port=0, export_delay=0.3, event_delay_scale=0.0) as emulator:
        emulator.seed(count=200, start=TODAY - 3 * DAY, end=TODAY - 1 * DAY, seed=5)
        yield emulator


@pytest.fixture
def configured(home: Path, ses: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(
        "AWS_SES", json.dumps(ses_settings(ses.endpoint_url, TODAY - 3 * DAY, range_interval="7d"))
    )
    return home


def _ids(rows: list[Any]) -> list[str]:
    return sorted(str(row) for row in rows)


def test_a_sqlite_target_is_loaded_and_loaded_again_on_a_full_refresh(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = configured / "ses.db"
    monkeypatch.setenv("TARGET", json.dumps({"type": "sqlite", "instance": str(path)}))
    first = sesflow.sync(replication("ses_lite"))
    assert first.streams[0].emails == 200
    again = sesflow.sync(replication("ses_lite"), mode="full-refresh")
    assert again.streams[0].emails == 200
    # dlt's SQLAlchemy destination keeps a dataset other than "main" in a database file of its own beside
    # the main one, which it attaches
    with sqlite3.connect(configured / "ses__ses_lite.db") as db:
        tables = {name for (name,) in db.execute("select name from sqlite_master where type = 'table'")}
        assert {"ses_emails", "ses_email_events"} <= tables
        ids = [row[0] for row in db.execute("select messageid from ses_emails")]
        events = db.execute(
            "select count(*), count(distinct messageid || '/' || position) from ses_email_events"
        )
        total, distinct = events.fetchone()
    assert len(ids) == len(set(ids)) == 200
    assert total == distinct > 0


def _written(folder: Path, table: str) -> list[Path]:
    return sorted(p for p in (folder / "ses_files" / table).iterdir() if p.is_file())


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_sesflow_run_writes_local_files_in_the_format_asked(
    configured: Path, monkeypatch: pytest.MonkeyPatch, file_format: str
) -> None:
    folder = configured / "files"
    monkeypatch.setenv("TARGET", json.dumps({"type": "local", "url": f"file://{folder}"}))
    plan = replication("ses_files")
    plan["defaults"]["target_options"] = {"format": file_format}
    (configured / "files.yaml").write_text(json.dumps(plan))
    assert cli(["run", "-r", str(configured / "files.yaml")]) == 0
    files = _written(folder, "ses_emails")
    assert files and all(p.suffix == f".{file_format}" for p in files)  # plain files, as Sling writes
    read = pyarrow.parquet.read_table if file_format == "parquet" else pyarrow.csv.read_csv
    ids = [i for p in files for i in read(p).column("messageid").to_pylist()]
    assert len(ids) == len(set(ids)) == 200
    assert _written(folder, "ses_email_events")


def test_a_library_sync_leaves_file_compression_to_dlts_settings(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sync() changes no dlt setting of the caller's: dlt's default gzips CSV files
    folder = configured / "files"
    monkeypatch.setenv("TARGET", json.dumps({"type": "local", "url": f"file://{folder}"}))
    plan = replication("ses_files")
    plan["defaults"]["target_options"] = {"format": "csv"}
    assert sesflow.sync(plan).streams[0].emails == 200
    files = _written(folder, "ses_emails")
    assert files and all(p.name.endswith(".csv.gz") for p in files)
    ids = [i for p in files for i in pyarrow.csv.read_csv(p).column("messageid").to_pylist()]
    assert len(ids) == len(set(ids)) == 200


def test_slings_run_flags_load_one_stream(
    configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configured / "flags.duckdb"
    monkeypatch.setenv("MY_DUCK", json.dumps({"type": "duckdb", "instance": str(path), "schema": "landing"}))
    arguments = ["run", "--src-conn", "AWS_SES", "--src-stream", "ses_emails", "--tgt-conn", "MY_DUCK"]
    assert cli([*arguments, "--tgt-object", "{target_schema}.{stream_name}", "--mode", "incremental"]) == 0
    err = capsys.readouterr().err
    assert "ses_emails -> landing.ses_emails: 200 rows" in err
    emails, _ = read_duckdb(path, "landing")
    assert len(emails) == 200


def test_run_without_a_replication_or_connections_exits_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["run", "--src-conn", "AWS_SES"]) == 2
    assert "--tgt-conn" in capsys.readouterr().err


def test_the_printed_object_is_the_name_dlt_created(
    configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configured / "names.duckdb"
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(path)}))
    plan = replication()
    plan["defaults"]["object"] = "Raw-SES.{stream_name}_{source_name}"
    summary = sesflow.sync(plan)
    assert summary.streams[0].object == "raw_ses.ses_emails_aws_ses"
    with duckdb.connect(str(path), read_only=True) as db:
        found = db.sql("select table_schema, table_name from information_schema.tables").fetchall()
    assert ("raw_ses", "ses_emails_aws_ses") in found


SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "from-the-file",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "client_email": "loader@proj.iam.gserviceaccount.com",
}


def _configuration(settings: dict[str, Any]) -> Any:
    destination = parse_connection("X", settings).destination()  # type: ignore[union-attr]
    return destination.configuration(destination.spec(), accept_partial=True)


def test_snowflake_keys_become_dlts_snowflake_credentials() -> None:
    settings = {"type": "snowflake", "account": "xy12345.eu-west-1", "user": "loader", "password": "pw",
                "database": "analytics", "role": "loader_role", "warehouse": "wh"}  # fmt: skip
    credentials = _configuration(settings).credentials
    assert (credentials.host, credentials.username, credentials.password) == (
        "xy12345.eu-west-1",
        "loader",
        "pw",
    )
    assert (credentials.database, credentials.role, credentials.warehouse) == (
        "analytics",
        "loader_role",
        "wh",
    )


def test_a_snowflake_url_is_taken_as_sling_writes_it() -> None:
    credentials = _configuration(
        {"type": "snowflake", "url": "snowflake://u:p@acct/db?warehouse=wh&role=r"}
    ).credentials
    assert (credentials.host, credentials.database, credentials.warehouse, credentials.role) == (
        "acct",
        "db",
        "wh",
        "r",
    )


def test_bigquery_keys_read_the_service_account_key_file(tmp_path: Path) -> None:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps(SERVICE_ACCOUNT))
    config = _configuration(
        {
            "type": "bigquery",
            "project": "my-project",
            "dataset": "ses",
            "key_file": str(key),
            "location": "EU",
        }
    )
    assert config.credentials.project_id == "my-project"
    assert config.credentials.client_email == SERVICE_ACCOUNT["client_email"]
    assert config.location == "EU"


def test_redshift_keys_become_dlts_redshift_credentials_with_an_s3_staging() -> None:
    connection = parse_connection(
        "RS",
        {"type": "redshift", "host": "rs.example", "user": "loader", "password": "pw", "database": "dw",
         "aws_bucket": "my-bucket", "aws_access_key_id": "AK", "aws_secret_access_key": "SK"},
    )  # fmt: skip
    destination = connection.destination()  # type: ignore[union-attr]
    credentials = destination.configuration(destination.spec(), accept_partial=True).credentials
    assert (credentials.host, credentials.port, credentials.username, credentials.database) == (
        "rs.example", 5439, "loader", "dw")  # fmt: skip
    staging = connection.staging()  # type: ignore[union-attr]
    config = staging.configuration(staging.spec(), accept_partial=True)
    assert config.bucket_url == "s3://my-bucket"
    assert config.credentials.aws_access_key_id == "AK"


@pytest.mark.parametrize(
    ("settings", "drivername", "host", "port", "database"),
    [
        ({"type": "mysql", "host": "m.example", "user": "u", "password": "p", "database": "d"},
         "mysql+pymysql", "m.example", 3306, "d"),
        ({"type": "mariadb", "url": "mariadb://u:p@m.example:3307/d"},
         "mysql+pymysql", "m.example", 3307, "d"),
        ({"type": "clickhouse", "host": "c.example", "database": "d", "user": "u", "password": "p"},
         "clickhouse", "c.example", 9000, "d"),
    ],
)  # fmt: skip
def test_server_keys_become_dlt_credentials(
    settings: dict[str, Any], drivername: str, host: str, port: int, database: str
) -> None:
    credentials = _configuration(settings).credentials
    assert (credentials.drivername, credentials.host, credentials.port, credentials.database) == (
        drivername, host, port, database)  # fmt: skip


def test_sqlserver_keys_become_an_mssql_connection_string() -> None:
    connection = parse_connection(
        "MS", {"type": "sqlserver", "host": "s.example", "user": "u", "password": "p", "database": "d"}
    )
    assert connection.credentials() == "mssql://u:p@s.example:1433/d"  # type: ignore[union-attr]
    assert connection.dlt_destination == "mssql"  # type: ignore[union-attr]


def test_motherduck_and_databricks_keys_become_dlt_credentials() -> None:
    motherduck = _configuration(
        {"type": "motherduck", "database": "ses", "motherduck_token": "tok"}
    ).credentials
    assert (motherduck.database, motherduck.password) == ("ses", "tok")
    databricks = _configuration(
        {"type": "databricks", "host": "dbc.example", "token": "t", "warehouse_id": "abc", "catalog": "main"}
    ).credentials
    assert (databricks.server_hostname, databricks.http_path, databricks.catalog) == (
        "dbc.example", "/sql/1.0/warehouses/abc", "main")  # fmt: skip


def test_s3_files_keys_become_a_filesystem_destination() -> None:
    config = _configuration(
        {
            "type": "s3",
            "bucket": "b",
            "access_key_id": "AK",
            "secret_access_key": "SK",
            "endpoint": "r2.example",
        }
    )
    assert config.bucket_url == "s3://b"
    assert (config.credentials.aws_access_key_id, config.credentials.endpoint_url) == (
        "AK",
        "https://r2.example",
    )


@pytest.mark.parametrize(
    ("settings", "schema"),
    [
        ({"type": "postgres", "url": "postgresql://h/d"}, "public"),
        ({"type": "postgres", "url": "postgresql://h/d", "schema": "raw"}, "raw"),
        ({"type": "duckdb", "instance": "x.duckdb"}, "main"),
        ({"type": "snowflake", "url": "snowflake://u@a/d", "schema": "LANDING"}, "landing"),
    ],
)
def test_target_schema_is_the_connections_schema(settings: dict[str, Any], schema: str) -> None:
    from sesflow.sync.replication import Replication

    plan = Replication.from_mapping(
        {"source": "S", "target": "T", "streams": {"ses_emails": {"object": "{target_schema}.{stream_name}"}}}
    )
    target = parse_connection("T", settings)
    assert plan.tasks(target_schema=target.default_schema)[0].object == f"{schema}.ses_emails"  # type: ignore[union-attr]


def test_a_rerun_says_the_saved_state_wins_over_an_earlier_anchor_date(
    configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configured / "anchor.duckdb"
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(path)}))
    (configured / "rep.yaml").write_text(json.dumps(replication()))
    assert cli(["run", "-r", "rep.yaml"]) == 0
    assert "the state wins" not in capsys.readouterr().err
    assert cli(["run", "-r", "rep.yaml"]) == 0
    err = capsys.readouterr().err
    anchor = (TODAY - 3 * DAY).date().isoformat()
    assert f"anchor_date {anchor} is earlier than the state saved in the target: the state wins" in err
    assert "--mode full-refresh" in err
