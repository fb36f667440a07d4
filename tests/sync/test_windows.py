"""The windows `sesflow.sync` exports are the source's: cut at ``anchor + k * range_interval``, on a resumed
run too (whose range starts between two cuts, so its first window is short)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import sesflow
from sesflow.emulator import Emulator
from sesflow.source.windows import Window
from sesflow.sync.progress import ProgressEvent, WindowDone
from tests.sync.conftest import replication, ses_settings

DAY = timedelta(days=1)
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_resumed_run_cuts_its_windows_at_the_anchors_grid(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor = TODAY - 4 * DAY
    with Emulator(port=0, export_delay=0.1, event_delay_scale=0.0) as ses:
        ses.seed(count=100, start=anchor, end=TODAY - DAY, seed=71)
        settings = ses_settings(ses.endpoint_url, anchor, range_interval="1d", lookback_interval="12h")
        monkeypatch.setenv("AWS_SES", json.dumps(settings))
        monkeypatch.setenv("TARGET", json.dumps({"type": "duckdb", "instance": str(home / "sync.duckdb")}))

        def windows(end: datetime) -> list[Window]:
            done: list[Window] = []

            def keep(event: ProgressEvent) -> None:
                if isinstance(event, WindowDone):
                    done.append(event.window)

            sesflow.sync(replication(), end=end, on_progress=keep)
            return done

        first = windows(TODAY - 2 * DAY + timedelta(hours=6))
        second = windows(TODAY)
    assert [(w.start, w.end) for w in first] == [
        (anchor, anchor + DAY),
        (anchor + DAY, anchor + 2 * DAY),
        (anchor + 2 * DAY, TODAY - 2 * DAY + timedelta(hours=6)),
    ]
    # resumed 12 hours before the first run's end: a short first window up to the next cut, then whole days
    assert [(w.start, w.end) for w in second] == [
        (TODAY - 3 * DAY + timedelta(hours=18), TODAY - 2 * DAY),
        (TODAY - 2 * DAY, TODAY - DAY),
        (TODAY - DAY, TODAY),
    ]
