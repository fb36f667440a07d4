"""``sesflow emulator`` as a process: it says where it listens and serves; bad flags exit 2 naming it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.conftest import client


def sesflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesflow", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sesflow", "emulator", "--port", "0", "--max-send-rate", "7",
         "--data-dir", str(tmp_path), "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    try:
        assert found, first
        banner = first + "".join(process.stdout.readline() for _ in range(5))
        yield found.group(0), banner
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_emulator_command_serves_and_explains_how_to_connect(running: tuple[str, str]) -> None:
    url, banner = running
    assert "boto3" in banner and "--endpoint-url" in banner

    class Target:
        endpoint_url = url

    assert client("sesv2", Target).get_account()["SendQuota"]["MaxSendRate"] == 7.0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--auth", "sometimes"], "--auth"),
        (["--port", "99999"], "--port"),
        (["--port", "abc"], "--port"),
        (["--max-send-rate", "0"], "--max-send-rate"),
        (["--export-delay", "-1"], "--export-delay"),
        (["--credentials", "no-colon"], "--credentials"),
        (["--auth", "strict"], "--auth strict"),
        (["--url-ttl", "0"], "--url-ttl"),
        (["--verification-delay", "-5"], "--verification-delay"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args: list[str], flag: str) -> None:
    done = sesflow("emulator", *args)
    assert done.returncode == 2
    assert flag in done.stderr
    assert "Traceback" not in done.stderr


def test_port_in_use_exits_1(running: tuple[str, str]) -> None:
    port = running[0].rsplit(":", 1)[1]
    done = sesflow("emulator", "--port", port)
    assert done.returncode == 1 and "cannot listen" in done.stderr
