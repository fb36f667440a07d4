"""Unknown outcomes settled from SES's own records: a request whose answer never came is found in the
Message Insights export (sent, with SES's id) or proven absent once the settle time has passed (pending,
then sent once by resume). Made with the emulator's drop_connection fault over real sockets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sesflow.campaign import Campaign
from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, copies, people, stored, write_campaign
from tests.send.conftest import Private


def _ledger_rows(home: Path) -> dict[str, tuple[str, str | None]]:
    import sqlite3

    with sqlite3.connect(home / "sesflow-campaigns.sqlite") as db:
        rows = db.execute("SELECT email, state, ses_message_id FROM sesflow_campaign_recipients").fetchall()
    return {email: (state, ses_id) for email, state, ses_id in rows}


def test_an_answer_lost_after_ses_took_the_message_is_found_and_recorded_as_sent(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ses.fault(operation="SendEmail", drop_connection="after", count=1)
    path = write_campaign(home, emulator.endpoint_url, people(5), connections=1)
    code, out, _ = cli("campaign", "send", str(path), "--json", capsys=capsys)
    assert code == 1
    assert json.loads(out)["counts"] == {
        "pending": 0,
        "sending": 0,
        "sent": 4,
        "failed": 0,
        "unknown": 1,
        "skipped": 0,
    }
    code, out, err = cli("campaign", "reconcile", "news", "--json", capsys=capsys)
    assert code == 0, err
    result = json.loads(out)
    assert (result["checked"], result["found_sent"], result["back_to_pending"]) == (1, 1, 0)
    assert result["duplicates"] == 0
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(5)}
    ids = {m["Destination"][0]: m["MessageId"] for m in stored(emulator.endpoint_url)}
    assert _ledger_rows(home) == {address: ("sent", ses_id) for address, ses_id in ids.items()}


def test_a_request_ses_never_processed_waits_for_the_settle_time_then_is_sent_once(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ses.fault(operation="SendEmail", drop_connection="before", count=1)
    path = write_campaign(home, emulator.endpoint_url, people(4), connections=1)
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 1
    (lost,) = [address for address, (state, _) in _ledger_rows(home).items() if state == "unknown"]
    # Within the settle time (default one hour) an export without the message proves nothing yet.
    code, out, _ = cli("campaign", "reconcile", "news", "--json", capsys=capsys)
    assert code == 1
    assert json.loads(out)["waiting"] == 1 and json.loads(out)["back_to_pending"] == 0
    assert Campaign.open("news", base_dir=home).status().unknown_waiting == 1
    code, out, _ = cli("campaign", "reconcile", "news", "--settle", "0s", "--json", capsys=capsys)
    assert code == 0
    assert json.loads(out)["back_to_pending"] == 1
    assert _ledger_rows(home)[lost][0] == "pending"
    assert cli("campaign", "resume", "news", capsys=capsys)[0] == 0
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(4)}


def test_the_settle_time_comes_from_the_campaign_file(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ses.fault(operation="SendEmail", drop_connection="before", count=1)
    path = write_campaign(home, emulator.endpoint_url, people(2), connections=1, settle="0s")
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 1
    code, out, _ = cli("campaign", "reconcile", str(path), "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["back_to_pending"] == 1


def test_many_unknowns_are_settled_from_whole_time_windows(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # 60 unknowns take more than 10 destination-filtered jobs: reconcile exports the time window instead.
    ses.fault(operation="SendEmail", drop_connection="after", count=60)
    path = write_campaign(home, emulator.endpoint_url, people(120), connections=4)
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 1
    ses.fault(operation="SendEmail", drop_connection="before", count=60)
    write_campaign(home, emulator.endpoint_url, people(120, start=1000), connections=4, name="more")
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 1
    for name, found, absent in (("news", 60, 0), ("more", 0, 60)):
        _code, out, err = cli("campaign", "reconcile", name, "--settle", "0s", "--json", capsys=capsys)
        result = json.loads(out)
        assert (result["found_sent"], result["back_to_pending"], result["waiting"]) == (found, absent, 0), err
        assert result["export_jobs"] == 1
    assert cli("campaign", "resume", "more", capsys=capsys)[0] == 0
    expected = {f"user{n}@example.com": 1 for n in [*range(120), *range(1000, 1120)]}
    assert copies(emulator.endpoint_url) == expected
