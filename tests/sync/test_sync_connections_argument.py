"""``sync(connections=...)``: connection settings handed over by name win over what the machine holds.

Programs that keep their own configuration (the demo, a scheduler) pass connections to ``sync`` instead of
writing env.yaml or setting environment variables around the call. Real emulator, real DuckDB files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sesflow
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError
from tests.sync.conftest import as_truth, read_duckdb, replication, ses_settings, truth

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def ses() -> Iterator[Emulator]:
    """120 messages over two days."""
    with Emulator(port=0, export_delay=0.2, event_delay_scale=0.0) as emulator:
        emulator.seed(count=120, start=TODAY - 3 * DAY, end=TODAY - DAY, seed=11)
        time.sleep(1.1)
        yield emulator


def test_connections_given_by_name_are_used_and_win_over_the_environment(
    ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment names a source that cannot answer and another DuckDB file: neither may be used.
    dead = ses_settings("http://127.0.0.1:9", TODAY - 3 * DAY, range_interval="7d")
    monkeypatch.setenv("AWS_SES", json.dumps(dead))
    monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(home / "from-env.duckdb")}))
    given = {
        "AWS_SES": ses_settings(ses.endpoint_url, TODAY - 3 * DAY, range_interval="7d"),
        "TARGET": {"type": "duckdb", "instance": str(home / "given.duckdb")},
    }
    summary = sesflow.sync(replication(), connections=given)
    assert summary.emails == 120
    assert not (home / "from-env.duckdb").exists()
    emails, events = read_duckdb(home / "given.duckdb")
    end = datetime.fromisoformat(summary.streams[0].end or "")
    assert as_truth(emails, events) == truth(ses.endpoint_url, end)


def test_a_connection_not_given_is_still_found_on_the_machine(
    ses: Emulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AWS_SES", json.dumps(ses_settings(ses.endpoint_url, TODAY - 3 * DAY, range_interval="7d"))
    )
    given = {"TARGET": f"duckdb://{home / 'mixed.duckdb'}"}
    summary = sesflow.sync(replication(), connections=given)
    assert summary.emails == 120
    assert len(read_duckdb(home / "mixed.duckdb")[0]) == 120


def test_bad_settings_in_the_argument_are_a_config_error_naming_the_connection_and_key(
    ses: Emulator, home: Path
) -> None:
    settings = ses_settings(ses.endpoint_url, TODAY - 3 * DAY, range_interval="5q")
    with pytest.raises(ConfigError, match=r"AWS_SES \(argument\).*range_interval") as failure:
        sesflow.sync(
            replication(),
            connections={"AWS_SES": settings, "TARGET": {"type": "duckdb", "instance": "x.duckdb"}},
        )
    assert failure.value.exit_code == 2
    assert not (home / "x.duckdb").exists()
