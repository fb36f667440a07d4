"""``sesflow templates push|list|render|delete`` against the emulator: tables and JSON, exit 1 when SES
refused some of the work (naming the template and the missing variable), exit 2 for bad input naming the
option or the file, with nothing sent to SES."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesflow.cli.app import run
from sesflow.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0) as ses:
        yield ses


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSESFLOWCLI")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "welcome.yaml").write_text('subject: "Welcome, {{name}}"\ntext: "Hello {{name}}"\n')
    (templates / "receipt.json").write_text(
        json.dumps({"subject": "Receipt {{id}}", "html": "<p>{{id}}</p>"})
    )
    return templates


def cli(emulator: Emulator, *args: str) -> int:
    return run(["templates", *args, "--endpoint-url", emulator.endpoint_url, "--region", "us-east-1"])


def listed(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert cli(emulator, "list", "--json") == 0
    return [row["name"] for row in json.loads(capsys.readouterr().out)]


def test_push_list_render_and_delete(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(emulator, "push", str(folder)) == 0
    out = capsys.readouterr().out
    assert "receipt" in out and "welcome" in out
    assert "2 created, 0 updated, 0 unchanged" in out
    assert cli(emulator, "list") == 0
    table = capsys.readouterr().out
    assert "receipt" in table and "welcome" in table
    assert cli(emulator, "render", "welcome", "--data", '{"name": "Zoë"}') == 0
    assert capsys.readouterr().out == "Subject: Welcome, Zoë\n\n--- text/plain ---\nHello Zoë\n"
    assert cli(emulator, "delete", "receipt") == 0
    assert listed(emulator, capsys) == ["welcome"]


def test_push_json_and_a_second_push_that_changes_nothing(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(emulator, "push", str(folder), "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["dry_run"] is False
    assert [(t["name"], t["action"]) for t in first["templates"]] == [
        ("receipt", "created"),
        ("welcome", "created"),
    ]
    assert first["templates"][1]["file"] == str(folder / "welcome.yaml")
    assert cli(emulator, "push", str(folder), "--json") == 0
    assert {t["action"] for t in json.loads(capsys.readouterr().out)["templates"]} == {"unchanged"}


def test_a_dry_run_creates_nothing(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(emulator, "push", str(folder), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would be" in out and "(dry run: nothing was changed)" in out
    assert listed(emulator, capsys) == []


def test_a_template_ses_refuses_exits_1_and_the_others_are_pushed(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "broken.yaml").write_text("subject: Broken\ntext: '{{#each items}}no end'\n")
    assert cli(emulator, "push", str(folder)) == 1
    captured = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 1 failed" in captured.out
    assert "error: Template broken" in captured.err
    assert listed(emulator, capsys) == ["receipt", "welcome"]


def test_a_bad_file_exits_2_naming_it_and_nothing_is_pushed(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "zzz.yaml").write_text("subject: S\n")
    assert cli(emulator, "push", str(folder)) == 2
    assert f"{folder / 'zzz.yaml'}: no html and no text" in capsys.readouterr().err
    assert listed(emulator, capsys) == []


def test_render_with_data_lacking_a_variable_exits_1_naming_it(
    emulator: Emulator, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(emulator, "push", str(folder))
    capsys.readouterr()
    assert cli(emulator, "render", "welcome", "--data", '{"nam": "Ann"}') == 1
    err = capsys.readouterr().err
    assert "Template welcome does not render with this data" in err
    assert "Attribute 'name' is not present" in err
    assert "Add 'name' to the data" in err


def test_render_reads_data_from_a_file_and_prints_json(
    emulator: Emulator, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(emulator, "push", str(folder))
    data = tmp_path / "data.json"
    data.write_text('{"id": 42}')
    capsys.readouterr()
    assert cli(emulator, "render", "receipt", "--data", f"@{data}", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {"template": "receipt", "subject": "Receipt 42", "text": None, "html": "<p>42</p>\n"}
    assert cli(emulator, "render", "receipt", "--data", f"@{data}", "--raw") == 0
    assert "Subject: Receipt 42" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("{name: Ann}", "--data is not valid JSON"),
        ("[1, 2]", "--data must be a JSON object"),
        ("@/no/such/file.json", "--data @/no/such/file.json: cannot read the file"),
    ],
)
def test_bad_data_exits_2_naming_the_option(
    data: str, problem: str, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(emulator, "render", "welcome", "--data", data) == 2
    assert problem in capsys.readouterr().err


def test_an_unknown_template_exits_1(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(emulator, "render", "nope") == 1
    assert "Template nope does not exist in us-east-1." in capsys.readouterr().err
    assert cli(emulator, "delete", "nope") == 1


def test_without_credentials_it_exits_2(
    emulator: Emulator, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert cli(emulator, "list") == 2


def test_the_installed_command_gives_the_same_exit_codes(emulator: Emulator, folder: Path) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDSESFLOWCLI", "AWS_SECRET_ACCESS_KEY": "secret"}

    def sesflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sesflow", "templates", *args, "--endpoint-url", emulator.endpoint_url],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    assert sesflow("push", str(folder)).returncode == 0
    missing = sesflow("render", "welcome", "--data", "{}")
    assert missing.returncode == 1 and "Attribute 'name'" in missing.stderr
    assert sesflow("render", "welcome", "--data", "{").returncode == 2
