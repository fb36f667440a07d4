"""Overlapping runs are safe: two `sesflow run` processes started together on one target take turns (the
second says who holds the target), and every message and every event is there exactly once — on a first
sync and on a rerun whose lookback covers rows already loaded, into DuckDB and into PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sesflow.emulator import Emulator
from tests.sync.conftest import read_duckdb, read_postgres, replication, ses_settings, truth

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """2,000 messages over three past days; exports take a second, so a run holds its target a while."""
    with Emulator(port=0, export_delay=1.0, event_delay_scale=0.0) as emulator:
        emulator.seed(count=2000, start=TODAY - 4 * DAY, end=TODAY - 1 * DAY, seed=21)
        yield emulator


def _environment(ses: Emulator, folder: Path, target: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SESFLOW_HOME": str(folder / "home"),
            "SLING_HOME_DIR": str(folder / "sling"),
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            # one export job a day, and each run exports everything again (lookback over loaded rows)
            "AWS_SES": json.dumps(
                ses_settings(ses.endpoint_url, TODAY - 4 * DAY, range_interval="1d", lookback_interval="5d")
            ),
            "TARGET": json.dumps(target),
        }
    )
    return env


def _start(folder: Path, env: dict[str, str], schema: str, *flags: str) -> subprocess.Popen[str]:
    path = folder / "replication.yaml"
    path.write_text(json.dumps(replication(schema)))
    return subprocess.Popen(
        [sys.executable, "-m", "sesflow", "run", "-r", str(path), *flags],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _together(folder: Path, env: dict[str, str], schema: str) -> list[str]:
    """Two runs started at the same moment; both must succeed. Returns their stderr."""
    runs = [_start(folder, env, schema), _start(folder, env, schema)]
    outputs = []
    for process in runs:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(err)
    return outputs


def _exactly_once(emails: list[dict[str, Any]], events: list[dict[str, Any]], ses: Emulator) -> None:
    assert len(emails) == len({row["messageid"] for row in emails}) == len(truth(ses.endpoint_url)) == 2000
    keys = [(row["messageid"], row["position"]) for row in events]
    assert len(keys) == len(set(keys))
    expected = sum(len(message["events"]) for message in truth(ses.endpoint_url).values())
    assert len(keys) == expected


def _waited(outputs: list[str]) -> None:
    host = re.escape(socket.gethostname())
    pattern = re.compile(
        rf"waiting: target TARGET is being loaded by another run \(host {host}, "
        r"pid \d+, since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)"
    )
    assert any(pattern.search(err) for err in outputs), outputs


def test_two_runs_at_once_into_duckdb_load_every_message_once(ses: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "sync.duckdb"
    env = _environment(ses, tmp_path, {"type": "duckdb", "instance": str(path)})
    _waited(_together(tmp_path, env, "ses"))  # a first sync
    _exactly_once(*read_duckdb(path), ses)
    _waited(_together(tmp_path, env, "ses"))  # a rerun: the lookback covers every loaded row
    _exactly_once(*read_duckdb(path), ses)


def test_two_runs_at_once_into_postgres_load_every_message_once(
    ses: Emulator, tmp_path: Path, pg_url: str, unique_schema: str
) -> None:
    env = _environment(ses, tmp_path, {"type": "postgres", "url": pg_url})
    _waited(_together(tmp_path, env, unique_schema))
    _exactly_once(*read_postgres(pg_url, unique_schema), ses)
    _waited(_together(tmp_path, env, unique_schema))
    _exactly_once(*read_postgres(pg_url, unique_schema), ses)
    with psycopg.connect(pg_url) as db:
        left = db.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            [f"{unique_schema}%"],
        ).fetchall()
    assert left == [(unique_schema,)]  # no staging schema left behind


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_no_wait_exits_2_at_once_naming_the_holder(
    ses: Emulator, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    if kind == "duckdb":
        target: dict[str, Any] = {"type": "duckdb", "instance": str(tmp_path / "busy.duckdb")}
        schema = "ses"
    else:
        target = {"type": "postgres", "url": request.getfixturevalue("pg_url")}
        schema = request.getfixturevalue("unique_schema")
    env = _environment(ses, tmp_path, target)
    first = _start(tmp_path, env, schema)
    assert first.stderr is not None
    for line in first.stderr:  # the first run holds the target once it exports
        if "running stream" in line:
            break
    second = _start(tmp_path, env, schema, "--no-wait")
    _, err = second.communicate(timeout=120)
    first.communicate(timeout=300)
    assert second.returncode == 2, err
    assert f"pid {first.pid}" in err and "another run" in err and "--no-wait" in err
    assert first.returncode == 0
