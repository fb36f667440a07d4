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
from tests.sync.conftest import read_duckdb, replication, ses_settings

KILLED_SESFLOW = Path(__file__).with_name("killed_sesflow.py")

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """3,000 messages over two days, all in the past (every event has happened)."""
    with Emulator(port=0, export_delay=1.0, event_delay_scale=0.0) as emulator:
        emulator.seed(count=3000, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=11)
        yield emulator


def _environment(ses: Emulator, folder: Path, range_interval: str = "36h") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SESFLOW_HOME": str(folder / "home"),
            "SLING_HOME_DIR": str(folder / "sling"),
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "AWS_SES": json.dumps(
                ses_settings(
                    ses.endpoint_url, TODAY - 4 * DAY, range_interval=range_interval, max_concurrent_jobs=1
                )
            ),
            "TARGET": json.dumps({"type": "duckdb", "instance": str(folder / "sync.duckdb")}),
        }
    )
    return env


def _start(
    ses: Emulator, folder: Path, batch_rows: int = 0, kill: str = "none", range_interval: str = "36h"
) -> subprocess.Popen[str]:
    """``sesflow run`` (``batch_rows`` messages per dlt run if given, killing itself at ``kill``)."""
    folder.mkdir(exist_ok=True)
    path = folder / "replication.yaml"
    path.write_text(json.dumps(replication()))
    if batch_rows or kill != "none":
        command = [sys.executable, str(KILLED_SESFLOW), str(batch_rows), kill]
    else:
        command = [sys.executable, "-m", "sesflow"]
    return subprocess.Popen(
        [*command, "run", "-r", str(path)],
        env=_environment(ses, folder, range_interval),
        cwd=folder,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _run(ses: Emulator, folder: Path, batch_rows: int = 0, range_interval: str = "36h") -> None:
    process = _start(ses, folder, batch_rows, range_interval=range_interval)
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


@pytest.mark.parametrize(
    "kill",
    [
        "before-load:1",  # nothing is in the target yet: dlt drops the package, the rerun starts afresh
        "before-load:2",  # the rerun must load the second window's package, then go on with the rest
        "after-copy:1",  # the first file is in the target; the rerun copies it again
        "after-copy:3",  # the same in the second load, into a table holding the first
    ],
)
def test_kill_9_at_an_exact_point_of_a_load_then_rerun_gives_the_clean_runs_table(
    ses: Emulator, clean_table: object, tmp_path: Path, kill: str
) -> None:
    """One dlt run per 12-hour window (four windows hold 750 messages each): killed at an exact point of a
    load, the rerun finishes that load, without a second copy of any row, and then goes on with the rest."""
    process = _start(ses, tmp_path, batch_rows=500, kill=kill, range_interval="12h")
    _, err = process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL, err
    _run(ses, tmp_path, batch_rows=500, range_interval="12h")
    assert read_duckdb(tmp_path / "sync.duckdb") == clean_table
