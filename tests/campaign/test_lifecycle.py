"""After the first run: retry-failed sends retryable failures only; cancel stops a running campaign; status
reports counts, rate and the workers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sesflow.campaign import Campaign
from sesflow.emulator import Emulator
from sesflow.send import RetryPolicy
from tests.campaign.conftest import cli, copies, people, sesflow_process, write_campaign
from tests.send.conftest import Private


def test_retry_failed_sends_the_retryable_failures_and_nothing_else(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(6), connections=1)
    once = RetryPolicy(max_attempts=1)
    ses.fault(operation="SendEmail", status=503, count=2)
    summary = Campaign.from_file(path, retry=once).send()
    assert (summary.counts["sent"], summary.counts["failed"], summary.counts.retryable_failed) == (4, 2, 2)
    # Of the two retried, SES now rejects one for good (not retryable) and takes the other.
    ses.fault(operation="SendEmail", error_code="MessageRejected", status=400, message="Bad content", count=1)
    count, summary = Campaign.open("news", base_dir=home, retry=once).retry_failed()
    assert count == 2
    assert (summary.counts["sent"], summary.counts["failed"], summary.counts.retryable_failed) == (5, 1, 0)
    count, summary = Campaign.open("news", base_dir=home).retry_failed()
    assert count == 0 and summary.counts["failed"] == 1
    assert sum(copies(emulator.endpoint_url).values()) == 5


def test_cancel_stops_a_running_campaign_and_resume_then_refuses(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(300), connections=2, rate=20)
    process = sesflow_process("campaign", "send", str(path), cwd=home)
    while len(ses.sends()) < 10:
        time.sleep(0.05)
    code, out, _ = cli("campaign", "cancel", "news", capsys=capsys)
    assert code == 0 and "cancelled" in out
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert "campaign news cancelled" in out
    sent = sum(copies(emulator.endpoint_url).values())
    assert 10 <= sent < 300
    time.sleep(0.5)
    assert sum(copies(emulator.endpoint_url).values()) == sent  # nothing more goes out
    code, _, err = cli("campaign", "resume", "news", capsys=capsys)
    assert code == 2 and "campaign news was cancelled" in err and "--new" in err


def test_status_reports_counts_rate_and_eta_while_a_run_goes_on(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(200), connections=2, rate=40)
    process = sesflow_process("campaign", "send", str(path), "--quiet", cwd=home)
    while len(ses.sends()) < 60:
        time.sleep(0.05)
    code, out, _ = cli("campaign", "status", "news", "--json", capsys=capsys)
    assert code == 0
    found = json.loads(out)
    assert found["workers"] == 1
    assert found["counts"]["sent"] >= 40 and found["counts"]["pending"] > 0
    assert found["rate"] > 0
    assert found["eta_seconds"] is not None and found["eta_seconds"] > 0
    process.communicate(timeout=60)
    assert process.returncode == 0
    code, out, _ = cli("campaign", "status", capsys=capsys)
    assert "news  active  200 rows" in out


def test_a_terminal_gets_a_progress_bar_with_rate_and_eta(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    import os
    import pty
    import subprocess
    import sys

    path = write_campaign(home, emulator.endpoint_url, people(120), connections=2, rate=60)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "sesflow", "campaign", "send", str(path)],
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, screen
    assert "━" in screen  # Rich's bar
    assert "120/120" in screen and "/s" in screen
    assert "campaign news:" not in screen  # no log lines on a terminal
