"""Replication files: Sling's shape, templates, overrides, and bad configuration exiting 2 naming the key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sesflow.cli.app import run as cli
from sesflow.errors import ConfigError
from sesflow.sync.replication import Replication

SES = {
    "type": "api",
    "spec": "aws_ses",
    "inputs": {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:9"},
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling"))
    monkeypatch.setenv("AWS_SES", json.dumps(SES))
    monkeypatch.setenv("MY_DUCK", json.dumps({"type": "duckdb", "instance": str(tmp_path / "t.duckdb")}))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _file(path: Path, data: object) -> str:
    target = path / "replication.yaml"
    target.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(target)


def test_a_null_stream_takes_the_defaults() -> None:
    plan = Replication.from_mapping(
        yaml.safe_load(
            "source: AWS_SES\ntarget: MY_DUCK\n"
            "defaults:\n  mode: full-refresh\n  object: ses.{stream_name}\n"
            "streams:\n  ses_emails:\n"
        )
    )
    (task,) = plan.tasks()
    assert (task.name, task.mode, task.schema, task.table) == (
        "ses_emails",
        "full-refresh",
        "ses",
        "ses_emails",
    )
    assert task.tables == {"ses_emails": "ses_emails", "ses_email_events": "ses_email_events"}


def test_the_message_streams_run_together_in_one_task() -> None:
    def tasks(file: dict[str, object], only: list[str] | None = None) -> list[tuple[str, dict[str, str]]]:
        plan = Replication.from_mapping({"source": "A", "target": "B", "streams": file})
        return [(task.name, task.tables) for task in plan.tasks(only)]

    both = {"ses_emails": "ses_emails", "ses_email_events": "ses_email_events"}
    assert tasks({"ses_emails": None}) == [("ses_emails", both)]  # events come along, as they always did
    assert tasks({"ses_emails": None, "ses_email_events": {"object": "ses.events"}}) == [
        ("ses_emails", {"ses_emails": "ses_emails", "ses_email_events": "events"})
    ]
    assert tasks({"ses_email_events": None}) == [
        ("ses_email_events", {"ses_email_events": "ses_email_events"})
    ]
    assert tasks({"ses_emails": None, "ses_email_events": {"disabled": True}}) == [
        ("ses_emails", {"ses_emails": "ses_emails"})
    ]
    star = tasks({"*": None})
    assert [name for name, _ in star] == [
        "ses_emails",
        "ses_metrics",
        "ses_suppressed_destinations",
        "ses_email_identities",
        "ses_configuration_sets",
        "ses_account",
    ]
    assert star[0][1] == both
    assert tasks({"*": None}, ["ses_account"]) == [("ses_account", {"ses_account": "ses_account"})]


def test_object_templates_use_stream_source_and_target_names() -> None:
    plan = Replication.from_mapping(
        {
            "source": "AWS_SES",
            "target": "MY_DUCK",
            "streams": {"ses_emails": {"object": "raw_{source_name}.{target_name}_{stream_name}"}},
        }
    )
    (task,) = plan.tasks()
    assert task.object == "raw_aws_ses.my_duck_ses_emails"


def test_mode_and_streams_flags_override_the_file() -> None:
    plan = Replication.from_mapping(
        {"source": "A", "target": "B", "defaults": {"mode": "incremental"}, "streams": {"ses_emails": None}}
    )
    (task,) = plan.tasks(["ses_emails"], "truncate")
    assert task.mode == "truncate"


def test_the_default_schema_is_ses() -> None:
    plan = Replication.from_mapping(
        {"source": "A", "target": "B", "streams": {"ses_emails": {"object": "emails"}}}
    )
    assert plan.tasks()[0].object == "ses.emails"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"source": "A", "target": "B", "streams": {"ses_bounces": None}}, "ses_bounces"),
        ({"source": "A", "target": "B", "streams": {"ses_emails": None}, "colour": 1}, "colour"),
        (
            {"source": "A", "target": "B", "streams": {"ses_emails": {"mode": "snapshot"}}},
            "streams.ses_emails.mode",
        ),
        ({"source": "A", "streams": {"ses_emails": None}}, "target is missing"),
        ({"source": "A", "target": "B", "streams": {"ses_emails": {"object": "{nope}"}}}, "nope"),
    ],
)
def test_bad_replications_are_config_errors_naming_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        Replication.from_mapping(data)


@pytest.mark.parametrize(
    ("inputs", "key"),
    [
        ({}, "region"),
        ({"region": "us-east-1", "range_interval": "5q"}, "range_interval"),
        ({"region": "us-east-1", "anchor_date": "2999-12-31"}, "anchor_date"),
        ({"region": "us-east-1", "anchor_date": "yesterday"}, "anchor_date"),
        ({"region": "us-east-1", "speed": "fast"}, "speed"),
    ],
)
def test_run_exits_2_naming_the_bad_connection_key(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    inputs: dict[str, str],
    key: str,
) -> None:
    monkeypatch.setenv("AWS_SES", json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs}))
    path = _file(home, {"source": "AWS_SES", "target": "MY_DUCK", "streams": {"ses_emails": None}})
    assert cli(["run", "-r", path]) == 2
    assert key in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--streams", "ses_nope"], "ses_nope"),
        (["--mode", "snapshot"], "snapshot"),
    ],
)
def test_run_exits_2_for_bad_flags(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], key: str
) -> None:
    path = _file(home, {"source": "AWS_SES", "target": "MY_DUCK", "streams": {"ses_emails": None}})
    assert cli(["run", "-r", path, *args]) == 2
    assert key in capsys.readouterr().err


def test_run_exits_2_for_an_unknown_stream_in_the_file(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(home, {"source": "AWS_SES", "target": "MY_DUCK", "streams": {"ses_clicks": None}})
    assert cli(["run", "-r", path]) == 2
    assert "ses_clicks" in capsys.readouterr().err


def test_run_exits_2_when_the_source_is_not_ses(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(home, {"source": "MY_DUCK", "target": "MY_DUCK", "streams": {"ses_emails": None}})
    assert cli(["run", "-r", path]) == 2
    assert "source" in capsys.readouterr().err


def test_run_exits_2_for_a_missing_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["run", "-r", str(home / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
