"""Many workers, one campaign: real ``sesflow campaign send`` processes share a PostgreSQL ledger (rows
claimed with FOR UPDATE SKIP LOCKED) and, through Redis, the account's rate; a worker SIGKILLed mid-run
leaves nothing sent twice and nothing lost."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, copies, people, sesflow_process, write_campaign
from tests.send.conftest import Private


@pytest.fixture
def schema() -> str:
    """A ledger schema no other test uses (the tests share one database)."""
    return f"ledger_{uuid.uuid4().hex[:10]}"


def _workers_that_sent(pg_url: str, schema: str) -> int:
    with psycopg.connect(pg_url) as db:
        row = db.execute(
            f'SELECT COUNT(DISTINCT worker) FROM "{schema}".campaign_recipients WHERE state = %s', ("sent",)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _wait(processes: list[Any]) -> list[tuple[int, str]]:
    out = []
    for process in processes:
        _, err = process.communicate(timeout=240)
        out.append((process.returncode, err))
    return out


def test_three_processes_send_one_campaign_each_recipient_once(
    home: Path, ses: Private, emulator: Emulator, pg_url: str, schema: str
) -> None:
    ses.fault(operation="SendEmail", latency_ms=10)
    path = write_campaign(
        home,
        emulator.endpoint_url,
        people(600),
        ledger=pg_url,
        ledger_schema=schema,
        connections=4,
        rate=None,
    )
    workers = [sesflow_process("campaign", "send", str(path), "--quiet", cwd=home) for _ in range(3)]
    for code, err in _wait(workers):
        assert code == 0, err
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(600)}
    assert _workers_that_sent(pg_url, schema) >= 2


def test_a_worker_killed_mid_run_leaves_no_recipient_twice_or_lost(
    home: Path, ses: Private, emulator: Emulator, pg_url: str, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ses.fault(operation="SendEmail", latency_ms=20)
    path = write_campaign(
        home,
        emulator.endpoint_url,
        people(900),
        ledger=pg_url,
        ledger_schema=schema,
        connections=4,
        rate=None,
    )
    workers = [sesflow_process("campaign", "send", str(path), "--quiet", cwd=home) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(ses.sends()) < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait(timeout=30)
    for code, err in _wait(workers[1:]):
        assert code in (0, 1), err  # 1 when the dead worker left unknown rows
    assert max(copies(emulator.endpoint_url).values()) == 1
    # The survivors sent the dead worker's reserved rows; its requests on the wire are unknown, not resent.
    options = ("--ledger", pg_url, "--ledger-schema", schema)
    code, out, err = cli("campaign", "status", "news", "--json", *options, capsys=capsys)
    counts = json.loads(out)["counts"]
    assert counts["pending"] == 0 and counts["sending"] == 0
    code, out, err = cli("campaign", "reconcile", "news", "--settle", "0s", "--json", *options, capsys=capsys)
    assert code == 0, err
    assert json.loads(out)["duplicates"] == 0
    assert cli("campaign", "resume", "news", *options, capsys=capsys)[0] == 0
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(900)}


@pytest.fixture(scope="module")
def limited() -> Iterator[Emulator]:
    """An emulator enforcing 40 recipients per second over any one-second window."""
    with Emulator(port=0, max_send_rate=40, max_24h_send=10**9, event_delay_scale=0.0) as ses:
        yield ses


def test_three_processes_share_the_accounts_rate_through_redis(
    home: Path, limited: Emulator, pg_url: str, schema: str, redis_url: str, redis_prefix: str
) -> None:
    private = Private(limited.endpoint_url)
    private("DELETE", "/_sesflow/messages")
    path = write_campaign(
        home,
        limited.endpoint_url,
        people(240),
        ledger=pg_url,
        ledger_schema=schema,
        connections=4,
        rate="auto",
    )
    shared = ("--redis-url", redis_url, "--redis-key", f"{redis_prefix}{schema}")
    workers = [sesflow_process("campaign", "send", str(path), "--quiet", *shared, cwd=home) for _ in range(3)]
    for code, err in _wait(workers):
        assert code == 0, err
    sends = private.sends()
    assert [s for s in sends if s["status"] != 200] == []  # never throttled: the rate was shared
    assert copies(limited.endpoint_url) == {f"user{n}@example.com": 1 for n in range(240)}
    assert _workers_that_sent(pg_url, schema) >= 2
