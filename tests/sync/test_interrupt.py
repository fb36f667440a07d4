"""ctrl-C: a real SIGINT to a real `sesflow run` exits 130 with one line saying what the saved state covers;
the windows exported before it are loaded, and a rerun continues to the same table a clean run gives."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from tests.sync.conftest import read_duckdb, replication, ses_settings, truth

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
COVERS = re.compile(
    r"^error: interrupted: the state saved in TARGET for ses\.ses_emails covers messages sent before "
    r"(?P<until>\S+); rerun to continue from there$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """1,200 messages over four past days; each export takes a second."""
    with Emulator(port=0, export_delay=1.0, event_delay_scale=0.0) as emulator:
        emulator.seed(count=1200, start=TODAY - 5 * DAY, end=TODAY - 1 * DAY, seed=31)
        yield emulator


def _start(ses: Emulator, folder: Path) -> subprocess.Popen[str]:
    folder.mkdir(exist_ok=True)
    (folder / "replication.yaml").write_text(json.dumps(replication()))
    env = dict(os.environ)
    env.update(
        {
            "SESFLOW_HOME": str(folder / "home"),
            "SLING_HOME_DIR": str(folder / "sling"),
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "AWS_SES": json.dumps(
                ses_settings(ses.endpoint_url, TODAY - 5 * DAY, range_interval="12h", max_concurrent_jobs=1)
            ),
            "TARGET": json.dumps({"type": "duckdb", "instance": str(folder / "sync.duckdb")}),
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "sesflow", "run", "-r", "replication.yaml"],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_after_windows(process: subprocess.Popen[str], windows: int, signals: int) -> str:
    assert process.stderr is not None
    lines = []
    done = 0
    for line in process.stderr:
        lines.append(line)
        if " messages, " in line and line.split(" INF ")[1].startswith("window "):
            done += 1
            if done == windows:
                for _ in range(signals):
                    process.send_signal(signal.SIGINT)
                break
    _, rest = process.communicate(timeout=120)
    return "".join(lines) + rest


def test_ctrl_c_exits_130_loading_the_windows_exported_so_far(ses: Emulator, tmp_path: Path) -> None:
    process = _start(ses, tmp_path)
    err = _interrupt_after_windows(process, windows=2, signals=1)
    assert process.returncode == 130, err
    found = COVERS.search(err)
    assert found, err
    assert err.strip().splitlines()[-1] == found[0]  # the last line, and one line
    until = datetime.fromisoformat(found["until"])
    assert until < TODAY - DAY  # not the whole range
    emails, _ = read_duckdb(tmp_path / "sync.duckdb")
    sent_before = [m for m in truth(ses.endpoint_url).values() if m["sendtimestamp"] < until]
    assert len(emails) == len(sent_before) > 0  # the windows exported before ctrl-C were kept
    rerun = _start(ses, tmp_path)
    _, rest = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, rest
    emails, events = read_duckdb(tmp_path / "sync.duckdb")
    assert len(emails) == len({row["messageid"] for row in emails}) == 1200
    assert len(events) == len({(row["messageid"], row["position"]) for row in events})


def test_a_second_ctrl_c_stops_at_once_and_the_rerun_finishes(ses: Emulator, tmp_path: Path) -> None:
    process = _start(ses, tmp_path)
    err = _interrupt_after_windows(process, windows=1, signals=2)
    assert process.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: interrupted: the state saved in TARGET") and "rerun to continue" in last
    rerun = _start(ses, tmp_path)
    _, rest = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, rest
    emails, _ = read_duckdb(tmp_path / "sync.duckdb")
    assert len(emails) == len({row["messageid"] for row in emails}) == 1200


@pytest.mark.parametrize("event", ["WindowDone", "LoadStarted"])
def test_a_keyboard_interrupt_inside_the_pipeline_is_the_interrupt_path(
    ses: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, event: str
) -> None:
    """A ctrl-C that lands inside dlt's extract step (dlt wraps it in its own step error) still ends the
    run as an interrupt (exit 130), naming what the saved state covers, and the rerun finishes the table."""
    import sesflow
    from sesflow.errors import SyncInterrupted

    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    settings = ses_settings(ses.endpoint_url, TODAY - 5 * DAY, range_interval="12h", max_concurrent_jobs=1)
    connections = {
        "AWS_SES": settings,
        "TARGET": {"type": "duckdb", "instance": str(tmp_path / "sync.duckdb")},
    }

    def ctrl_c(progress: object) -> None:
        if type(progress).__name__ == event:
            raise KeyboardInterrupt

    with pytest.raises(
        SyncInterrupted, match=r"interrupted: the state saved in TARGET for ses\.ses_emails"
    ) as stop:
        sesflow.sync(replication(), connections=connections, on_progress=ctrl_c)
    assert stop.value.exit_code == 130
    sesflow.sync(replication(), connections=connections)
    emails, _ = read_duckdb(tmp_path / "sync.duckdb")
    assert len(emails) == len({row["messageid"] for row in emails}) == 1200
