"""The root command: version, help, exit codes and error reporting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sesflow import __version__
from sesflow.cli import app as cli_app
from sesflow.errors import ConfigError, SyncError


def sesflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesflow", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_version_prints_the_package_version() -> None:
    done = sesflow("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"sesflow {__version__}"


def test_help_lists_the_usage() -> None:
    done = sesflow("--help")
    assert done.returncode == 0
    assert "Usage" in done.stdout
    assert "--debug" in done.stdout


def test_unknown_command_exits_2_with_typers_message() -> None:
    done = sesflow("no-such-command")
    assert done.returncode == 2
    assert "no-such-command" in done.stderr


def test_unknown_option_exits_2_naming_it() -> None:
    done = sesflow("--no-such-option")
    assert done.returncode == 2
    assert "--no-such-option" in done.stderr


@pytest.fixture
def failing_command() -> object:
    """Register a throwaway command that raises what the test asks for, and remove it afterwards."""
    raised: list[BaseException] = []

    @cli_app.app.command("raise-for-test")
    def _raise() -> None:
        raise raised[0]

    yield raised
    cli_app.app.registered_commands = [
        c for c in cli_app.app.registered_commands if c.name != "raise-for-test"
    ]


def test_config_error_exits_2_with_message_and_hint(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(ConfigError("range_interval: '5q' is not an interval", hint="Use e.g. 1d."))
    assert cli_app.run(["raise-for-test"]) == 2
    err = capsys.readouterr().err
    assert "range_interval: '5q' is not an interval" in err
    assert "Use e.g. 1d." in err
    assert "Traceback" not in err


def test_failed_work_exits_1(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(SyncError("export job for 2026-11-01 failed"))
    assert cli_app.run(["raise-for-test"]) == 1
    assert "export job for 2026-11-01 failed" in capsys.readouterr().err


def test_unexpected_error_prints_one_line_and_the_debug_hint(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(ZeroDivisionError("division by zero"))
    assert cli_app.run(["raise-for-test"]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError" in err
    assert "--debug" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(ZeroDivisionError("division by zero"))
    assert cli_app.run(["--debug", "raise-for-test"]) == 1
    assert "Traceback" in capsys.readouterr().err
