"""A library call leaves the process as it found it: around a real ``sesflow.sync()`` — and, seen from another
thread, while it runs — pyarrow's default memory pool, ``os.environ``, dlt's configuration and glibc's malloc
arenas are unchanged. The tuning that does change them is the command line's (``process_tuning``), and the
same measurements see it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
import pytest

import sesflow
from sesflow.emulator import Emulator
from sesflow.sync import process_tuning
from tests.sync.conftest import replication, ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
PROCESS_STATE = Path(__file__).with_name("process_state.py")


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """600 messages over three past days; exports take a moment, so a sync runs for a few seconds."""
    with Emulator(port=0, export_delay=0.3, event_delay_scale=0.0) as emulator:
        emulator.seed(count=600, start=TODAY - 4 * DAY, end=TODAY - 1 * DAY, seed=51)
        yield emulator


def _state() -> dict[str, Any]:
    """What a library call must not change, as plain values."""
    return {
        "arrow_pool": pa.default_memory_pool().backend_name,
        "environ": dict(os.environ),
        "dlt_config": [
            (type(provider).__name__, provider.to_toml() if hasattr(provider, "to_toml") else None)
            for provider in dlt.config.config_providers
        ],
    }


def test_sync_changes_no_arrow_pool_environment_or_dlt_setting_during_or_after(
    ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNTIME__DLTHUB_TELEMETRY", raising=False)
    monkeypatch.setenv(
        "AWS_SES", json.dumps(ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="1d"))
    )
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(home / "sync.duckdb")}))
    before = _state()
    seen: list[dict[str, Any]] = []
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(sesflow.sync(replication())))
    worker.start()
    while worker.is_alive():  # another thread's view, all through the run
        seen.append(_state())
        worker.join(0.02)
    assert result and result[0].streams[0].emails == 600  # the sync did its work
    assert len(seen) > 10
    assert all(state == before for state in seen)
    assert _state() == before
    assert "RUNTIME__DLTHUB_TELEMETRY" not in os.environ


def test_process_tuning_is_what_changes_them_and_it_gives_back_pool_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", raising=False)
    before = _state()
    with process_tuning():
        inside = _state()
        assert inside["arrow_pool"] == "system"
        assert inside["environ"]["NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION"] == "true"
    assert _state() == before


def _arenas(ses: Emulator, folder: Path, how: str) -> dict[str, int]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret"}
    env.pop("MALLOC_ARENA_MAX", None)
    env["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    done = subprocess.run(
        [sys.executable, str(PROCESS_STATE), ses.endpoint_url, str(folder), how],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counts: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return counts


def test_sync_leaves_malloc_arenas_alone_where_process_tuning_limits_them(
    ses: Emulator, tmp_path: Path
) -> None:
    plain = _arenas(ses, tmp_path, "plain")
    assert plain["during"] > 4 and plain["after"] > 4  # each of 12 threads got an arena of its own
    tuned = _arenas(ses, tmp_path, "tuned")
    assert tuned["during"] <= 2 and tuned["after"] <= 2  # held to process_tuning's two arenas
