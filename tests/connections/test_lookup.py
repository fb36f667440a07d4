"""Connections: Sling's formats read unchanged, clear errors, redaction, real checks, `sesflow conns`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sesflow.cli.app import run as cli
from sesflow.connections import (
    AwsSesConnection,
    DuckDbConnection,
    PostgresConnection,
    all_connections,
    check_connection,
    get_connection,
    redact,
)
from sesflow.errors import ConfigError, SesflowError

SLING_ENV = {
    "connections": {
        "AWS_SES": {
            "type": "api",
            "spec": "aws_ses",
            "inputs": {"region": "us-east-1", "anchor_date": "2026-10-01", "range_interval": "1d"},
            "secrets": {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cret", "profile": "dev"},
        },
        "MY_DUCK": {"type": "duckdb", "instance": "./ses.duckdb"},
        "MY_POSTGRES": {"type": "postgres", "url": "postgresql://user:pa55@db.example:5432/app"},
    }
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty sesflow and Sling homes and an empty working directory."""
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "sesflow-home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling-home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield tmp_path


def _write_sling_env(home: Path) -> None:
    (home / "sling-home").mkdir(exist_ok=True)
    (home / "sling-home" / "env.yaml").write_text(yaml.safe_dump(SLING_ENV))


def test_slings_env_yaml_is_read_unchanged(home: Path) -> None:
    _write_sling_env(home)
    ses = get_connection("aws_ses")
    assert isinstance(ses, AwsSesConnection)
    assert ses.inputs.region == "us-east-1"
    assert ses.secrets.profile == "dev"
    assert isinstance(get_connection("MY_DUCK"), DuckDbConnection)
    assert isinstance(get_connection("MY_POSTGRES"), PostgresConnection)


def test_sesflow_env_yaml_wins_over_slings(home: Path) -> None:
    _write_sling_env(home)
    (home / "sesflow-home").mkdir()
    (home / "sesflow-home" / "env.yaml").write_text(
        yaml.safe_dump({"connections": {"MY_DUCK": {"type": "duckdb", "instance": "mine.duckdb"}}})
    )
    duck = get_connection("MY_DUCK")
    assert isinstance(duck, DuckDbConnection) and duck.instance == "mine.duckdb"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "api", "spec": "aws_ses", "inputs": {"region": "eu-west-1"}}',
        "{type: api, spec: aws_ses, inputs: {region: eu-west-1}}",
        "type: api\nspec: aws_ses\ninputs:\n  region: eu-west-1\n",
    ],
)
def test_an_environment_variable_holds_json_or_yaml(
    home: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("AWS_SES", text)
    ses = get_connection("AWS_SES")
    assert isinstance(ses, AwsSesConnection) and ses.inputs.region == "eu-west-1"


def test_dot_env_sling_in_the_working_directory_is_read(home: Path) -> None:
    Path(".env.sling").write_text(
        "MY_PG='postgresql://u:p@localhost:5432/db'\n"
        "AWS_SES={type: api, spec: aws_ses, inputs: {region: us-west-2}}\n"
    )
    assert isinstance(get_connection("MY_PG"), PostgresConnection)
    ses = get_connection("aws_ses")
    assert isinstance(ses, AwsSesConnection) and ses.inputs.region == "us-west-2"


def test_our_extra_inputs_are_accepted(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SES2",
        json.dumps(
            {
                "type": "api",
                "spec": "aws_ses",
                "inputs": {
                    "region": "us-east-1",
                    "endpoint_url": "http://127.0.0.1:8005",
                    "on_limit": "fail",
                    "max_concurrent_jobs": 5,
                    "poll_interval": 1,
                    "job_timeout": 60,
                    "data_format": "CSV",
                },
            }
        ),
    )
    ses = get_connection("SES2")
    assert isinstance(ses, AwsSesConnection)
    assert (ses.inputs.on_limit, ses.inputs.max_concurrent_jobs, ses.inputs.data_format) == ("fail", 5, "CSV")


@pytest.mark.parametrize(
    ("inputs", "key"),
    [
        ({}, "inputs.region is missing"),
        ({"region": "us-east-1", "range_interval": "5q"}, "inputs.range_interval"),
        ({"region": "us-east-1", "anchor_date": "2999-01-01"}, "inputs.anchor_date"),
        ({"region": "us-east-1", "anchor_date": "01/10/2026"}, "inputs.anchor_date"),
        ({"region": "us east 1"}, "inputs.region: 'us east 1' is not an AWS region name"),
        ({"region": ""}, "inputs.region"),
        ({"region": "us-east-1", "endpoint_url": "127.0.0.1:8005"}, "inputs.endpoint_url: '127.0.0.1:8005'"),
        ({"region": "us-east-1", "endpoint_url": "http://host:99999"}, "inputs.endpoint_url"),
        ({"region": "us-east-1", "colour": "blue"}, "unknown key 'inputs.colour'"),
    ],
)
def test_bad_inputs_are_config_errors_naming_the_key(
    home: Path, monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str], key: str
) -> None:
    monkeypatch.setenv("BAD", json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs}))
    with pytest.raises(ConfigError, match=key):
        get_connection("BAD")


@pytest.mark.parametrize("written", ["2026-13-45", "2026-02-30"])
def test_an_unquoted_impossible_anchor_date_in_yaml_exits_2_naming_the_key(
    home: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    # Unquoted, YAML reads a date-shaped value as a date: an impossible one must still be a config error.
    (home / "sesflow-home").mkdir()
    (home / "sesflow-home" / "env.yaml").write_text(
        "connections:\n"
        "  SES:\n    type: api\n    spec: aws_ses\n"
        f"    inputs:\n      region: us-east-1\n      anchor_date: {written}\n"
        "  DUCK:\n    type: duckdb\n    instance: x.duckdb\n"
    )
    (home / "work" / "rep.yaml").write_text("source: SES\ntarget: DUCK\nstreams:\n  ses_emails:\n")
    assert cli(["run", "-r", "rep.yaml"]) == 2
    err = capsys.readouterr().err
    assert "inputs.anchor_date" in err and written in err and "YYYY-MM-DD" in err
    arguments = ["conns", "set", "SES2", "type=api", "spec=aws_ses", "region=us-east-1"]
    assert cli([*arguments, f"anchor_date={written}"]) == 2
    assert "inputs.anchor_date" in capsys.readouterr().err


def test_an_unquoted_real_anchor_date_in_yaml_is_read_as_that_date(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = "{type: api, spec: aws_ses, inputs: {region: us-east-1, anchor_date: 2024-02-29}}"
    monkeypatch.setenv("SES", settings)
    ses = get_connection("SES")
    assert isinstance(ses, AwsSesConnection)
    assert ses.inputs.anchor().isoformat() == "2024-02-29T00:00:00+00:00"


def test_a_missing_connection_says_where_to_define_it(home: Path) -> None:
    with pytest.raises(ConfigError, match="NOPE"):
        get_connection("NOPE")


def test_list_redacts_secrets(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_sling_env(home)
    assert cli(["conns", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out and "AKIAEXAMPLE" not in out and "pa55" not in out
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["AWS_SES"]["settings"]["secrets"]["secret_access_key"] == "***"
    assert listed["AWS_SES"]["settings"]["secrets"]["profile"] == "dev"
    assert ":***@" in listed["MY_POSTGRES"]["settings"]["url"]
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


def test_set_writes_env_yaml_and_the_connection_is_found(home: Path) -> None:
    assert cli(["conns", "set", "DUCK", "type=duckdb", "instance=x.duckdb"]) == 0
    assert cli(["conns", "set", "SES", "type=api", "spec=aws_ses", "region=us-east-1", "profile=p"]) == 0
    written = yaml.safe_load((home / "sesflow-home" / "env.yaml").read_text())
    assert written["connections"]["SES"] == {
        "type": "api",
        "spec": "aws_ses",
        "inputs": {"region": "us-east-1"},
        "secrets": {"profile": "p"},
    }
    assert {c.name for c in all_connections()} >= {"DUCK", "SES"}


def test_set_refuses_bad_settings_with_exit_2(home: Path) -> None:
    assert cli(["conns", "set", "SES", "type=api", "spec=aws_ses", "range_interval=5q"]) == 2


def test_check_opens_a_duckdb_file(home: Path) -> None:
    assert "DuckDB" in check_connection(DuckDbConnection(type="duckdb", instance=str(home / "t.duckdb")))


def test_check_queries_postgres(pg_url: str) -> None:
    assert "PostgreSQL" in check_connection(PostgresConnection(type="postgres", url=pg_url))


def test_check_says_why_postgres_is_unreachable() -> None:
    with pytest.raises(SesflowError, match="cannot connect"):
        check_connection(PostgresConnection(type="postgres", url="postgresql://x@127.0.0.1:1/none"))


def test_a_dlt_destination_dlt_does_not_know_exits_2_naming_it(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE", "{type: dlt, destination: snowflak}")
    assert cli(["conns", "test", "WAREHOUSE"]) == 2
    assert "destination 'snowflak': dlt has no destination of that name" in capsys.readouterr().err
    monkeypatch.setenv("WAREHOUSE", "{type: dlt, destination: duckdb}")
    assert cli(["conns", "test", "WAREHOUSE"]) == 0
    assert "dlt destination duckdb" in capsys.readouterr().out


def test_discover_lists_every_stream_with_primary_key_and_incremental_support(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_SES", '{"type": "api", "spec": "aws_ses", "inputs": {"region": "us-east-1"}}')
    assert cli(["conns", "discover", "AWS_SES", "--json"]) == 0
    found = {
        row["stream"]: (tuple(row["primary_key"]), row["incremental"])
        for row in json.loads(capsys.readouterr().out)
    }
    assert found == {
        "ses_emails": (("messageid",), True),
        "ses_email_events": (("messageid", "position"), True),
        "ses_metrics": (("day", "dimension", "dimension_value", "metric"), True),
        "ses_suppressed_destinations": (("email_address",), True),
        "ses_email_identities": (("identity_name",), False),
        "ses_configuration_sets": (("configuration_set_name",), False),
        "ses_account": (("region",), False),
    }
    assert cli(["conns", "discover", "AWS_SES"]) == 0
    table = capsys.readouterr().out
    for line in ("ses_metrics", "day, dimension, dimension_value, metric", "yes (last_update_time)"):
        assert line in table
    assert "replace (snapshot)" in table


def test_check_calls_get_account_on_ses(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sesflow.emulator import Emulator

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with Emulator(port=0) as ses:
        settings = {
            "type": "api",
            "spec": "aws_ses",
            "inputs": {"region": "us-east-1", "endpoint_url": ses.endpoint_url},
        }
        monkeypatch.setenv("AWS_SES", json.dumps(settings))
        assert cli(["conns", "test", "AWS_SES"]) == 0


def test_check_says_why_ses_is_unreachable(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    connection = AwsSesConnection.model_validate(
        {
            "type": "api",
            "spec": "aws_ses",
            "inputs": {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"},
            "secrets": {"access_key_id": "a", "secret_access_key": "b"},
        }
    )
    with pytest.raises(SesflowError, match="cannot reach SES"):
        check_connection(connection)
