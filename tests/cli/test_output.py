"""Output fit for logs and people: no wrapping outside a terminal, one number format, help without Python
types, missing credentials and YAML errors as short configuration errors, `report --out DIR`, `--ical`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest

from sesflow.cli.app import run as cli
from sesflow.emulator import Emulator

PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|Path|list\[[^>]*\])>")
COMMANDS = [
    [],
    ["send"],
    ["run"],
    ["report"],
    ["demo"],
    ["emulator"],
    ["conns"],
    ["conns", "set"],
    ["conns", "unset"],
    ["conns", "list"],
    ["conns", "test"],
    ["conns", "discover"],
    ["conns", "exec"],
]


@pytest.fixture
def bare(tmp_path: Path) -> dict[str, str]:
    """An environment with no AWS credentials anywhere (no variables, an empty HOME, no instance metadata)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SESFLOW_", "SLING_"))}
    home = tmp_path / "home"
    home.mkdir()
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
    return env


def sesflow(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesflow", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sesflow")
def test_help_shows_no_python_types(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out
    assert not PYTHON_TYPE.search(out), PYTHON_TYPE.findall(out)


def test_long_lines_are_not_wrapped_when_stdout_is_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling"))
    instance = str(tmp_path / ("a_rather_long_folder_name_" * 8) / "sesflow.duckdb")
    monkeypatch.setenv("LONG_DUCK", json.dumps({"type": "duckdb", "instance": instance}))
    assert cli(["conns", "list"]) == 0
    assert any(instance in line for line in capsys.readouterr().out.splitlines())
    monkeypatch.setenv("BAD", json.dumps({"type": "duckdb", "instance": instance, "colour": "x" * 150}))
    assert cli(["conns", "test", "BAD"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: connection BAD") and "unknown key 'colour'" in err[0]


def test_run_logs_counts_with_thousands_separators(capsys: pytest.CaptureFixture[str]) -> None:
    from sesflow.cli.run import _LogLines
    from sesflow.source.windows import Window
    from sesflow.sync.progress import StreamDone, WindowDone

    log = _LogLines()
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    log(WindowDone(Window(moment, moment.replace(day=2)), 12_345, 29_876, 10))
    log(StreamDone("ses_emails", {"ses.ses_emails": 1_234_567, "ses.ses_email_events": 2_345_678}, 12.5))
    err = capsys.readouterr().err
    assert "12,345 messages, 29,876 events" in err
    assert "inserted 1,234,567 rows into ses.ses_emails and 2,345,678 into ses.ses_email_events" in err


@pytest.mark.parametrize(
    "command",
    [
        ["send", "--from", "a@example.com", "--to", "b@example.com", "--subject", "s", "--text", "t"],
        ["conns", "test", "SES"],
        ["run", "-r", "rep.yaml"],
    ],
    ids=["send", "conns test", "run"],
)
def test_missing_aws_credentials_exit_2(bare: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    inputs = {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:9"}
    bare["SES"] = json.dumps({"type": "api", "spec": "aws_ses", "inputs": inputs})
    bare["DB"] = json.dumps({"type": "duckdb", "instance": str(tmp_path / "x.duckdb")})
    (tmp_path / "rep.yaml").write_text("source: SES\ntarget: DB\nstreams:\n  ses_emails:\n")
    done = sesflow(*command, env=bare, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "no AWS credentials found" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2


def test_a_yaml_error_is_at_most_three_lines_naming_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rep.yaml").write_text(
        "source: SES\ntarget: DB\nstreams:\n  ses_emails: {mode: [incremental\n"
    )
    assert cli(["run", "-r", "rep.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 3
    assert re.match(r"error: rep\.yaml:\d+:\d+: not valid YAML", err[0]), err
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "env.yaml").write_text("connections:\n  DB:\n    type: duckdb\n   instance: x\n")
    assert cli(["conns", "test", "DB"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) <= 3 and re.match(r"error: .*env\.yaml:4:\d+: not valid YAML", err[0]), err


@pytest.fixture
def synced_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A DuckDB file a sync loaded from a seeded emulator."""
    import sesflow

    path = tmp_path / "r.duckdb"
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as ses:
        ses.seed(count=50, start="2026-10-01T00:00:00Z", end="2026-10-03T00:00:00Z", seed=2)
        inputs = {"region": "us-east-1", "endpoint_url": ses.endpoint_url, "anchor_date": "2026-10-01"}
        source = {
            "type": "api",
            "spec": "aws_ses",
            "secrets": {"access_key_id": "a", "secret_access_key": "b"},
            "inputs": {**inputs, "range_interval": "7d", "poll_interval": 0.1},
        }
        monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
        sesflow.sync(
            {"source": "S", "target": "T", "streams": {"ses_emails": None}},
            connections={"S": source, "T": {"type": "duckdb", "instance": str(path)}},
        )
    yield path


def test_report_out_a_folder_writes_report_html_in_it(
    synced_duckdb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    assert cli(["report", "--target", str(synced_duckdb), "--out", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["report.html"]
    assert f"wrote {folder / 'report.html'}" in capsys.readouterr().out
    fresh = tmp_path / "fresh"
    assert cli(["report", "--target", str(synced_duckdb), "--out", f"{fresh}/"]) == 2
    assert "does not exist" in capsys.readouterr().err
    before = sorted(p.name for p in tmp_path.iterdir())
    assert (
        cli(["report", "--target", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "x.html")]) == 2
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing stray left


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nSUMMARY:Demo\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.parametrize(("flags", "method"), [([], "REQUEST"), (["--ical-method", "CANCEL"], "CANCEL")])
def test_send_ical_keeps_the_files_method_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], method: str
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    invite = tmp_path / "invite.ics"
    invite.write_text(ICS)
    with Emulator(port=0) as ses:
        message = ["--from", "a@example.com", "--to", "b@example.com", "--subject", "Meet", "--text", "hi"]
        where = ["--region", "us-east-1", "--endpoint-url", ses.endpoint_url]
        done = sesflow("send", *message, "--ical", str(invite), *flags, *where, "--json")
        assert done.returncode == 0, done.stderr
        ses_id = json.loads(done.stdout)["response"]
        raw = httpx.get(f"{ses.endpoint_url}/_sesflow/messages/{ses_id}/raw").content
    calendar = next(p for p in message_from_bytes(raw).walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == method


def test_send_refuses_a_file_name_that_is_not_utf8_naming_it(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.pdf")
    (tmp_path / name).write_bytes(b"%PDF-1.4\n")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
    message = ["--from", "a@example.com", "--to", "b@example.com", "--subject", "s", "--text", "t"]
    where = ["--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9"]
    done = sesflow("send", *message, "--attach", name, *where, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "--attach caf\\xe9.pdf: the file name is not UTF-8" in done.stderr
