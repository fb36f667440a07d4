"""Validation before the first send: every row rendered, problems reported with row and column, dry runs
write previews, --skip-invalid records the refused rows as skipped with their reason."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import pytest

from sesflow import Mailer, Message, SESTransport
from sesflow.campaign import Campaign
from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, copies, people, sesv2, sync_into, write_campaign
from tests.send.conftest import Private


def test_invalid_addresses_and_repeated_recipients_are_listed_with_row_and_column(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people(4)
    rows[1]["email"] = "not-an-address"
    rows[3]["email"] = "USER0@example.com"
    path = write_campaign(home, emulator.endpoint_url, rows)
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 2
    assert "2 of 4 rows cannot be sent; nothing was sent" in err
    assert "row 2 (line 3), column email: 'not-an-address' is not a valid address" in err
    assert "row 4, column email: USER0@example.com repeats row 1" in err
    assert ses.sends() == []


def test_skip_invalid_sends_the_others_and_records_the_refused_rows_with_their_reason(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people(5)
    rows[2]["email"] = "broken@"
    path = write_campaign(home, emulator.endpoint_url, rows)
    code, _, err = cli("campaign", "send", str(path), "--skip-invalid", capsys=capsys)
    assert code == 0, err
    assert "skipped" in err and "row 3 (line 4), column email" in err
    assert set(copies(emulator.endpoint_url)) == {f"user{n}@example.com" for n in (0, 1, 3, 4)}
    assert Campaign.open("news", base_dir=home).status().counts["skipped"] == 1


def test_the_sandbox_refuses_python_internals_in_a_template(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(1), text="{{ first_name.__class__.__mro__ }}")
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 2
    assert "text: refused by the template sandbox" in err
    assert ses.sends() == []


def test_html_is_escaped_and_text_is_not(home: Path, ses: Private, emulator: Emulator) -> None:
    rows = [{"email": "a@example.com", "first_name": "<b>Ann & Co</b>", "id": "1"}]
    path = write_campaign(home, emulator.endpoint_url, rows, subject="News")
    Campaign.from_file(path).send()
    (message,) = [ses("GET", f"/_sesflow/messages/{m['MessageId']}") for m in ses.messages()]
    assert "&lt;b&gt;Ann &amp; Co&lt;/b&gt;" in message["Html"]
    assert "Hello <b>Ann & Co</b>." in message["Text"]


def test_addresses_on_the_account_suppression_list_are_refused(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sesv2(emulator.endpoint_url).put_suppressed_destination(
        EmailAddress="user1@example.com", Reason="COMPLAINT"
    )
    path = write_campaign(home, emulator.endpoint_url, people(3))
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 2
    assert (
        "row 2 (line 3), column email: user1@example.com is suppressed: on the account suppression list"
        in err
    )


def test_addresses_that_bounced_or_complained_in_the_synced_tables_are_refused(
    home: Path,
    ses: Private,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Earlier mail: one hard bounce and one complaint, then a real sync of Message Insights into DuckDB.
    earlier = ["bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com", "fine@example.com"]
    transport = SESTransport(endpoint_url=emulator.endpoint_url, region="us-east-1")
    with Mailer(transport, rate=None) as mailer:
        for address in earlier:
            assert mailer.send(Message(from_="news@shop.example", to=address, subject="s", text="t")).ok
    transport.close()
    time.sleep(1.1)  # an export covers whole seconds up to its creation
    sync_into(home / "sync.duckdb", emulator, monkeypatch)
    rows = [{"email": address, "first_name": "X", "id": str(n)} for n, address in enumerate(earlier)]
    path = write_campaign(home, emulator.endpoint_url, rows, sync={"target": str(home / "sync.duckdb")})
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 2
    assert "row 1 (line 2), column email: bounce@simulator.amazonses.com is suppressed: hard-bounced" in err
    assert "row 2 (line 3), column email: complaint@simulator.amazonses.com is suppressed: complained" in err
    assert "fine@example.com" not in err


def test_a_dry_run_writes_previews_and_sends_nothing(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(10))
    code, _, err = cli("campaign", "send", str(path), "--dry-run", "--previews", "2", capsys=capsys)
    assert code == 0, err
    assert "10 rows: 10 to send, 0 with problems" in err
    previews = sorted((home / "news-previews").glob("*.eml"))
    assert [p.name for p in previews] == ["000001-user0@example.com.eml", "000002-user1@example.com.eml"]
    parsed = email.message_from_bytes(previews[1].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Name1, our news" and parsed["To"] == "user1@example.com"
    assert (home / "news-previews" / "000002-user1@example.com.html").read_text() == "<p>Hello Name1</p>"
    assert ses.sends() == []
    assert Campaign.from_file(path).validate().rows == 10
    assert not (home / "sesflow-campaigns.sqlite").exists()


def test_a_dry_run_with_problems_exits_2(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people(3)
    rows[0]["email"] = "nope"
    path = write_campaign(home, emulator.endpoint_url, rows)
    code, _, err = cli("campaign", "send", str(path), "--dry-run", capsys=capsys)
    assert code == 2
    assert "row 1 (line 2), column email: 'nope' is not a valid address" in err
