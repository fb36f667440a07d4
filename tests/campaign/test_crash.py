"""SIGKILL at any moment: a real ``sesflow campaign send`` process is killed again and again while its
requests are on the wire, resumed each time; counted from the emulator's stored messages, no recipient
ever gets two copies, and after reconcile and a last resume every recipient has exactly one."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, copies, people, sesflow_process, write_campaign
from tests.send.conftest import Private

RECIPIENTS = 400


def _states(ledger: Path) -> dict[str, int]:
    with sqlite3.connect(ledger) as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM sesflow_campaign_recipients GROUP BY state"))


def _kill_during_sends(
    folder: Path, ses: Private, first: list[str], rounds: int, seed: int
) -> tuple[int, int]:
    """Start a run, SIGKILL it once it has sent some, repeat; (kills, rows that became unknown)."""
    chance = random.Random(seed)
    kills = unknown = 0
    ledger = folder / "sesflow-campaigns.sqlite"
    for round_ in range(rounds):
        before = len(ses.sends())
        args = first if round_ == 0 else ["campaign", "resume", "news"]
        process = sesflow_process(*args, "--quiet", cwd=folder)
        # Wait until this run's requests are flowing, then kill it a random moment later.
        deadline = time.monotonic() + 60
        while len(ses.sends()) == before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(chance.uniform(0.0, 0.6))
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        # Nobody was mailed twice, whatever the moment of the kill.
        assert max(copies(ses.url).values(), default=0) <= 1
        status = json.loads(cli_status(folder))
        unknown = status["counts"]["unknown"]
        assert _states(ledger).get("sending", 0) == 0  # status declared the dead worker's claims unknown
    return kills, unknown


def cli_status(folder: Path) -> str:
    process = sesflow_process("campaign", "status", "news", "--json", cwd=folder)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


def test_a_campaign_killed_at_random_moments_mails_every_recipient_exactly_once(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # 20 ms per request, so a kill finds requests in flight (the emulator still finishes those).
    ses.fault(operation="SendEmail", latency_ms=20)
    path = write_campaign(home, emulator.endpoint_url, people(RECIPIENTS), connections=4, rate=None)
    kills, unknown = _kill_during_sends(home, ses, ["campaign", "send", str(path)], rounds=6, seed=18)
    assert kills >= 3
    assert unknown >= 1  # some kills caught requests on the wire: those were never resent
    code, out, err = cli("campaign", "resume", "news", "--json", capsys=capsys)
    assert code == 1, err  # done, but unknown rows remain
    counts = json.loads(out)["counts"]
    assert counts["pending"] == 0 and counts["unknown"] == unknown
    assert max(copies(emulator.endpoint_url).values()) == 1
    # Reconcile: SES finished some of the killed requests (found -> sent), never got the others.
    code, out, err = cli("campaign", "reconcile", "news", "--settle", "0s", "--json", capsys=capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["found_sent"] + result["back_to_pending"] == unknown and result["duplicates"] == 0
    assert cli("campaign", "resume", "news", capsys=capsys)[0] == 0
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(RECIPIENTS)}
    assert _states(home / "sesflow-campaigns.sqlite") == {"sent": RECIPIENTS}


def test_a_run_stopped_with_sigterm_finishes_its_requests_and_leaves_nothing_unknown(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    ses.fault(operation="SendEmail", latency_ms=20)
    path = write_campaign(home, emulator.endpoint_url, people(RECIPIENTS), connections=4, rate=None)
    process = sesflow_process("campaign", "send", str(path), cwd=home)
    while not ses.sends():
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "stopping: finishing the requests in flight" in err
    states = _states(home / "sesflow-campaigns.sqlite")
    assert states.get("unknown", 0) == 0 and states.get("sending", 0) == 0
    assert states["sent"] == sum(copies(emulator.endpoint_url).values())
    assert 0 < states["sent"] < RECIPIENTS
