"""Outcomes joined per campaign: the ledger in the database the sync writes to, the ``campaign_outcomes``
view (per recipient: sent, delivered, bounced by type, complained, opened, clicked, failed, unknown, joined
on the SES message id) and ``sesflow report --campaign``; DuckDB and PostgreSQL, after real syncs."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from sesflow import Mailer, Message, SESTransport
from sesflow.campaign import Campaign
from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, sync_into, write_campaign
from tests.send.conftest import Private

SIMULATOR = "simulator.amazonses.com"
COLUMNS = "recipient, state, sent, delivered, bounced, bounce_type, complained, failed, unknown, error_code"
SENT = ("sent", 1)
# recipient -> (state, sent, delivered, bounced, bounce_type, complained, failed, unknown, error_code)
EXPECTED = {
    "rejected@example.com": ("failed", 0, 0, 0, None, 0, 1, 0, "MessageRejected"),
    f"success+1@{SIMULATOR}": (*SENT, 1, 0, None, 0, 0, 0, None),
    f"bounce+1@{SIMULATOR}": (*SENT, 0, 1, "PERMANENT", 0, 0, 0, None),
    f"complaint+1@{SIMULATOR}": (*SENT, 1, 0, None, 1, 0, 0, None),
    "lost@example.com": ("unknown", 0, 0, 0, None, 0, 0, 1, "OutcomeUnknown"),
    "kept@example.com": (*SENT, 1, 0, None, 0, 0, 0, None),
}


def _rows(addresses: list[str]) -> list[dict[str, Any]]:
    return [{"email": address, "first_name": "X", "id": str(n)} for n, address in enumerate(addresses)]


def _send_both(home: Path, ses: Private, emulator: Emulator, **keys: Any) -> None:
    """Two campaigns, one at a time on one connection so that a fault hits the first row: ``news`` (one
    row refused by SES, the others to the mailbox simulator) and ``follow-up`` (one row whose connection
    drops before SES reads it)."""
    first = ["rejected@example.com", *[f"{box}+1@{SIMULATOR}" for box in ("success", "bounce", "complaint")]]
    ses.fault(operation="SendEmail", error_code="MessageRejected", status=400, message="Rejected", count=1)
    news = write_campaign(home / "news", emulator.endpoint_url, _rows(first), connections=1, **keys)
    summary = Campaign.from_file(news).send()
    assert (summary.counts["sent"], summary.counts["failed"]) == (3, 1)
    ses.fault(operation="SendEmail", drop_connection="before", count=1)
    later = _rows(["lost@example.com", "kept@example.com"])
    follow = write_campaign(
        home / "follow", emulator.endpoint_url, later, connections=1, name="follow-up", **keys
    )
    summary = Campaign.from_file(follow).send()
    assert (summary.counts["sent"], summary.counts["unknown"]) == (1, 1)
    time.sleep(1.1)  # an export covers whole seconds up to its creation


def _outcomes(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_view_in_duckdb_joins_each_recipient_with_what_ses_reported(
    home: Path,
    ses: Private,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = home / "sync.duckdb"
    _send_both(home, ses, emulator)
    sync_into(target, emulator, monkeypatch)
    for folder in ("news", "follow"):
        code, out, err = cli(
            "campaign",
            "outcomes",
            str(home / folder / "campaign.yaml"),
            "--target",
            str(target),
            capsys=capsys,
        )
        assert code == 0, err
        assert "ses.campaign_outcomes" in out
    with duckdb.connect(str(target), read_only=True) as db:
        rows = db.execute(f"SELECT {COLUMNS} FROM ses.campaign_outcomes").fetchall()
        campaigns = db.execute("SELECT DISTINCT campaign FROM ses.campaign_outcomes ORDER BY 1").fetchall()
    assert _outcomes(rows) == EXPECTED
    assert campaigns == [("follow-up",), ("news",)]
    code, out, err = cli(
        "report", "--target", str(target), "--campaign", "news", "--out", "news.html", capsys=capsys
    )
    assert code == 0, err
    assert "campaign news: 4 recipients · sent 3 · delivered 2 · bounced 1 · complained 1" in out
    assert "failed 1 · unknown 0" in out


def test_a_campaign_naming_its_sync_target_publishes_its_outcomes_after_each_run(
    home: Path, ses: Private, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = home / "sync.duckdb"
    # Earlier mail, synced: the target holds the Message Insights tables before the campaign runs.
    transport = SESTransport(endpoint_url=emulator.endpoint_url, region="us-east-1")
    with Mailer(transport, rate=None) as mailer:
        assert mailer.send(Message(from_="news@shop.example", to="old@example.com", subject="s", text="t")).ok
    transport.close()
    time.sleep(1.1)
    sync_into(target, emulator, monkeypatch)
    _send_both(home, ses, emulator, sync={"target": str(target)})
    sync_into(target, emulator, monkeypatch)  # the new events: the view shows them with no republish
    with duckdb.connect(str(target), read_only=True) as db:
        rows = db.execute(f"SELECT {COLUMNS} FROM ses.campaign_outcomes").fetchall()
    assert _outcomes(rows) == EXPECTED


def test_a_postgresql_ledger_in_the_sync_database_is_read_in_place_and_a_full_refresh_sync_still_runs(
    home: Path,
    ses: Private,
    emulator: Emulator,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = f"ses_{uuid.uuid4().hex[:8]}"
    ledger = f"ledger_{uuid.uuid4().hex[:8]}"
    keys = {"ledger": pg_url, "ledger_schema": ledger, "sync": {"target": pg_url, "schema": schema}}
    _send_both(home, ses, emulator, **keys)
    sync_into(pg_url, emulator, monkeypatch, schema=schema)  # type: ignore[arg-type]
    query = f'SELECT {COLUMNS} FROM "{schema}".campaign_outcomes'
    with psycopg.connect(pg_url) as db:
        assert _outcomes(db.execute(query).fetchall()) == EXPECTED
        copied = db.execute(f"SELECT to_regclass('\"{schema}\".campaign_ledger')").fetchone()
    assert copied == (None,)  # read in place: no copy of the ledger
    # The view holds no dependency on the synced tables: a full refresh drops and reloads them.
    from sesflow.sync import sync

    sync(
        {
            "source": "CAMPAIGN_TEST_SES",
            "target": "CAMPAIGN_TEST_TARGET",
            "defaults": {"mode": "full-refresh", "object": f"{schema}.{{stream_name}}"},
            "streams": {"ses_emails": None},
        }
    )
    with psycopg.connect(pg_url) as db:
        assert _outcomes(db.execute(query).fetchall()) == EXPECTED
    code, out, err = cli(
        "report",
        "--target",
        pg_url,
        "--schema",
        schema,
        "--campaign",
        "follow-up",
        "--out",
        "f.html",
        capsys=capsys,
    )
    assert code == 0, err
    assert "campaign follow-up: 2 recipients · sent 1" in out and "unknown 1" in out


def test_report_campaign_names_a_campaign_that_is_not_there(
    home: Path,
    ses: Private,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = home / "sync.duckdb"
    _send_both(home, ses, emulator, sync={"target": str(target)})
    code, _, err = cli("report", "--target", str(target), "--campaign", "nope", capsys=capsys)
    assert code == 2
    assert "no campaign named nope" in err and "follow-up, news" in err
