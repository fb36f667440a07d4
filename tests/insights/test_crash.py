"""Crash safety: ``sesflow run`` killed with SIGKILL while polling, downloading or loading, then rerun,
gives exactly the table a clean run gives (no gap, no duplicate)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from tests.insights.conftest import read_duckdb, replication, ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """3,000 messages over two days, all in the past (every event has happened)."""
    with Emulator(port=0, export_delay=1.0, event_delay_scale=0.0) as emulator:
        emulator.seed(count=3000, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=11)
        yield emulator


def _environment(ses: Emulator, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SESFLOW_HOME": str(folder / "home"),
            "SLING_HOME_DIR": str(folder / "sling"),
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "AWS_SES": json.dumps(
                ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="36h", max_concurrent_jobs=1)
            ),
            "TARGET": json.dumps({"type": "duckdb", "instance": str(folder / "sync.duckdb")}),
        }
    )
    return env


def _start(ses: Emulator, folder: Path) -> subprocess.Popen[str]:
    folder.mkdir(exist_ok=True)
    path = folder / "replication.yaml"
    path.write_text(json.dumps(replication()))
    return subprocess.Popen(
        [sys.executable, "-m", "sesflow", "run", "-r", str(path)],
        env=_environment(ses, folder),
        cwd=folder,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _run(ses: Emulator, folder: Path) -> None:
    process = _start(ses, folder)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err


@pytest.fixture(scope="module")
def clean_table(ses: Emulator, tmp_path_factory: pytest.TempPathFactory) -> object:
    folder = tmp_path_factory.mktemp("clean")
    _run(ses, folder)
    emails, events = read_duckdb(folder / "sync.duckdb")
    assert len(emails) == 3000
    return emails, events


@pytest.mark.parametrize(
    ("marker", "occurrence"),
    [
        (" PROCESSING", 2),  # the second window's job is being polled; the first is exported
        (" DOWNLOADING", 2),  # the second window's file is being downloaded
        ("loading into the target", 1),  # every window is exported; dlt is normalising and loading
    ],
    ids=["polling", "download", "load"],
)
def test_kill_9_then_rerun_gives_the_clean_runs_table(
    ses: Emulator, clean_table: object, tmp_path: Path, marker: str, occurrence: int
) -> None:
    process = _start(ses, tmp_path)
    assert process.stderr is not None
    seen = 0
    lines = []
    for line in process.stderr:
        lines.append(line)
        if marker in line:
            seen += 1
            if seen == occurrence:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(lines)
    _run(ses, tmp_path)
    assert read_duckdb(tmp_path / "sync.duckdb") == clean_table
