"""Sling's own env.yaml and commands, unchanged: files as Sling 1.4.11 writes them, `conns set/unset/exec`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from ruamel.yaml import YAML

from sesflow.cli.app import run as cli
from sesflow.connections import AwsSesConnection, DuckDbConnection, PostgresConnection, get_connection

# ~/.sling/env.yaml exactly as Sling 1.4.11 wrote it (`sling conns set AWS_SES type=api spec=aws_ses
# inputs='{ region: us-east-1, range_interval: 1h }' secrets='{ ... }'`, then MY_DUCK and MY_PG): mapping
# values stored as YAML text, blank lines holding two spaces. The same as /work/shared/samples, with secrets
# of our own.
SLING_WRITTEN = (
    "# Environment Credentials for Sling CLI\n"
    "\n"
    "# See https://docs.slingdata.io/sling-cli/environment\n"
    "\n"
    "connections:\n"
    "  AWS_SES:\n"
    "    type: api\n"
    "    inputs: '{ region: us-east-1, range_interval: 1h }'\n"
    "    secrets: '{ access_key_id: AKIASLINGWROTE1, secret_access_key: SlingSecret7788 }'\n"
    "    spec: aws_ses\n"
    "  \n"
    "  MY_DUCK:\n"
    "    type: duckdb\n"
    "    instance: /path/to/x.duckdb\n"
    "  \n"
    "  MY_PG:\n"
    "    type: postgres\n"
    "    url: postgresql://postgres:PgPassword55@127.0.0.1:5432/test\n"
    "\n"
    "variables: {}\n"
)
SAMPLE = Path("/work/shared/samples/sling-1.4.11-env.yaml")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty sesflow and Sling homes and an empty working directory."""
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "sesflow-home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling-home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield tmp_path


def _sling_env(home: Path, text: str = SLING_WRITTEN) -> Path:
    path = home / "sling-home" / "env.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_a_file_sling_wrote_is_read_as_sling_reads_it(home: Path) -> None:
    _sling_env(home)
    ses = get_connection("AWS_SES")
    assert isinstance(ses, AwsSesConnection)
    assert (ses.inputs.region, ses.inputs.range_interval) == ("us-east-1", "1h")
    assert (ses.secrets.access_key_id, ses.secrets.secret_access_key) == (
        "AKIASLINGWROTE1",
        "SlingSecret7788",
    )
    assert isinstance(get_connection("MY_DUCK"), DuckDbConnection)
    assert isinstance(get_connection("my_pg"), PostgresConnection)


def test_the_shared_sample_sling_wrote_is_read(home: Path) -> None:
    _sling_env(home, SAMPLE.read_text())
    ses = get_connection("AWS_SES")
    assert isinstance(ses, AwsSesConnection) and ses.inputs.range_interval == "1h"


def test_discover_works_on_a_file_sling_wrote(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sling_env(home)
    assert cli(["conns", "discover", "AWS_SES"]) == 0
    assert "ses_emails" in capsys.readouterr().out


def test_list_shows_slings_text_values_as_settings_with_secrets_redacted(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sling_env(home)
    assert cli(["conns", "list", "--json"]) == 0
    out = capsys.readouterr().out
    for secret in ("AKIASLINGWROTE1", "SlingSecret7788", "PgPassword55"):
        assert secret not in out
    listed = {item["name"]: item["settings"] for item in json.loads(out)}
    assert listed["AWS_SES"]["inputs"] == {"region": "us-east-1", "range_interval": "1h"}
    assert listed["AWS_SES"]["secrets"] == {"access_key_id": "***", "secret_access_key": "***"}
    assert listed["MY_PG"]["url"] == "postgresql://postgres:***@127.0.0.1:5432/test"


def test_slings_documented_conns_set_command_works_verbatim(home: Path) -> None:
    assert (
        cli(
            [
                "conns",
                "set",
                "AWS_SES",
                "type=api",
                "spec=aws_ses",
                "inputs={ region: us-east-1 }",
                "secrets={ access_key_id: AKIADOC, secret_access_key: DocSecret99 }",
            ]
        )
        == 0
    )
    ses = get_connection("AWS_SES")
    assert isinstance(ses, AwsSesConnection)
    assert ses.inputs.region == "us-east-1" and ses.secrets.secret_access_key == "DocSecret99"


def test_conns_set_edits_slings_file_in_place_keeping_comments_blank_lines_and_order(home: Path) -> None:
    path = _sling_env(home)
    assert cli(["conns", "set", "MY_DUCK", "type=duckdb", "instance=/data/new.duckdb"]) == 0
    written = path.read_text()
    expected = SLING_WRITTEN.replace("/path/to/x.duckdb", "/data/new.duckdb")
    # Line for line; ruamel drops the two spaces Sling leaves on its blank lines, and nothing else.
    assert [line.rstrip() for line in written.splitlines()] == [
        line.rstrip() for line in expected.splitlines()
    ]
    assert not (home / "sesflow-home" / "env.yaml").exists()


def test_conns_set_adds_a_new_connection_after_the_others_and_keeps_the_rest(home: Path) -> None:
    path = _sling_env(home)
    assert cli(["conns", "set", "MY_SES", "type=api", "spec=aws_ses", "inputs={ region: eu-west-1 }"]) == 0
    written = "\n".join(line.rstrip() for line in path.read_text().splitlines())
    before = "\n".join(line.rstrip() for line in SLING_WRITTEN.split("\nvariables")[0].splitlines())
    assert written.startswith(before)  # everything before stays as it was (bar the blank lines' spaces)
    assert written.rstrip().endswith("variables: {}")
    assert "# See https://docs.slingdata.io/sling-cli/environment" in written


def test_a_file_conns_set_writes_has_slings_shape(home: Path) -> None:
    """What Sling reads: a top-level ``connections`` mapping of upper-case names to mappings (Sling 1.4.11
    read such a file, nested ``inputs`` included, in a manual check; YAML 1.2 here, as Go's parser reads)."""
    assert cli(["conns", "set", "aws_ses", "type=api", "spec=aws_ses", "inputs={ region: us-east-1 }"]) == 0
    assert cli(["conns", "set", "my_duck", "type=duckdb", "instance=./sesflow.duckdb"]) == 0
    data = YAML(typ="safe").load((home / "sesflow-home" / "env.yaml").read_text())
    assert data == {
        "connections": {
            "AWS_SES": {"type": "api", "spec": "aws_ses", "inputs": {"region": "us-east-1"}},
            "MY_DUCK": {"type": "duckdb", "instance": "./sesflow.duckdb"},
        }
    }
    assert oct((home / "sesflow-home" / "env.yaml").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("name", ["", "$X", "my conn", "A=B", "it's"])
def test_conns_set_refuses_a_name_sling_cannot_use(
    home: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert cli(["conns", "set", name, "type=duckdb", "instance=x.duckdb"]) == 2
    assert "connection name" in capsys.readouterr().err


def test_conns_unset_removes_the_connection_and_keeps_the_rest(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _sling_env(home)
    assert cli(["conns", "unset", "my_duck"]) == 0
    written = path.read_text()
    assert "MY_DUCK" not in written and "MY_PG" in written and "# See https" in written
    assert cli(["conns", "unset", "MY_DUCK"]) == 2
    assert "MY_DUCK" in capsys.readouterr().err


def test_conns_exec_runs_sql_on_duckdb(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "e.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create table t as select 7 as n")
    assert cli(["conns", "set", "DUCK", "type=duckdb", f"instance={path}"]) == 0
    capsys.readouterr()
    assert cli(["conns", "exec", "DUCK", "select n * 6 as answer from t", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"answer": 42}]


def test_conns_exec_runs_sql_on_sqlite(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "e.db"
    with sqlite3.connect(path) as db:
        db.execute("create table t (n integer)")
        db.execute("insert into t values (1), (2)")
    assert cli(["conns", "set", "LITE", "type=sqlite", f"instance={path}"]) == 0
    capsys.readouterr()
    assert cli(["conns", "exec", "LITE", "select count(*) as n from t", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 2}]


def test_conns_exec_runs_sql_on_postgres(
    home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PG", pg_url)
    assert cli(["conns", "exec", "PG", "select 40 + 2 as answer"]) == 0
    out = capsys.readouterr().out
    assert "answer" in out and "42" in out


def test_conns_exec_on_a_source_connection_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _sling_env(home)
    assert cli(["conns", "exec", "AWS_SES", "select 1"]) == 2
    assert "duckdb, postgres and sqlite" in capsys.readouterr().err


def test_conns_set_with_only_a_url_takes_the_type_from_its_scheme_as_sling_does(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "u.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("create table t as select 5 as n")
    assert cli(["conns", "set", "MY_SF", "url=snowflake://loader:SnowPW123@acct/db"]) == 0
    assert cli(["conns", "set", "DUCK_URL", f"url=duckdb://{path}"]) == 0
    assert isinstance(get_connection("DUCK_URL"), DuckDbConnection)
    capsys.readouterr()
    assert cli(["conns", "exec", "DUCK_URL", "select n * 2 as m from t", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"m": 10}]
    assert cli(["conns", "list"]) == 0
    listed = capsys.readouterr().out
    assert "snowflake" in listed and "SnowPW123" not in listed
