"""Sending a campaign: one message per recipient, rendered from its row, tagged and traceable to its ledger
row; a rerun sends nothing twice; other content under the same name is refused unless --new."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
from pathlib import Path

import pytest

from sesflow.campaign import Campaign
from sesflow.emulator import Emulator
from sesflow.errors import CampaignError
from tests.campaign.conftest import cli, copies, people, sesv2, stored, write_campaign
from tests.send.conftest import Private


def test_every_recipient_gets_one_message_rendered_from_its_row(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(25))
    code, out, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 0, err
    assert "sent 25" in out
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(25)}
    subjects = {m["Destination"][0]: m["Subject"] for m in stored(emulator.endpoint_url)}
    assert subjects["user7@example.com"] == "Name7, our news"


def test_each_message_carries_the_campaign_tag_its_ledger_id_and_a_message_id_derived_from_it(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(3), tags={"team": "marketing"})
    summary = Campaign.from_file(path).send()
    for message in stored(emulator.endpoint_url):
        tags = message["Tags"]
        assert tags["campaign"] == "news"
        assert tags["team"] == "marketing"
        ledger_id = tags["sesflow_id"]
        assert ledger_id.startswith(summary.campaign_id + "-")
        parsed = email.message_from_bytes(ses.raw(message["MessageId"]), policy=email.policy.default)
        assert parsed["Message-ID"] == f"<{ledger_id}@shop.example>"


def test_each_message_has_its_own_one_click_unsubscribe_url(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(2, start=40))
    Campaign.from_file(path).send()
    for message in stored(emulator.endpoint_url):
        parsed = email.message_from_bytes(ses.raw(message["MessageId"]), policy=email.policy.default)
        number = message["Destination"][0].removeprefix("user").split("@")[0]
        assert parsed["List-Unsubscribe"] == f"<https://shop.example/u/{number}>"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"Unsubscribe: https://shop.example/u/{number}" in parsed.get_body(("plain",)).get_content()


def test_shared_attachments_and_inline_images_go_with_every_message(
    home: Path, ses: Private, emulator: Emulator
) -> None:
    (home / "catalog.pdf").write_bytes(b"%PDF-1.4\n% catalog\n%%EOF\n" * 200)
    (home / "logo.png").write_bytes(bytes.fromhex("89504e470d0a1a0a") + b"\0" * 64)
    path = write_campaign(
        home,
        emulator.endpoint_url,
        people(2),
        html='<p>Hello {{ first_name }}</p><img src="cid:logo">',
        attachments=[{"path": "catalog.pdf"}],
        inline_images=[{"path": "logo.png", "cid": "logo"}],
    )
    Campaign.from_file(path).send()
    for message in stored(emulator.endpoint_url):
        parsed = email.message_from_bytes(ses.raw(message["MessageId"]), policy=email.policy.default)
        parts = {part.get_filename(): part for part in parsed.walk() if part.get_filename()}
        assert parts["catalog.pdf"].get_content() == (home / "catalog.pdf").read_bytes()
        assert parts["logo.png"]["Content-ID"] == "<logo>"


def test_the_configuration_set_goes_with_every_send(home: Path, ses: Private, emulator: Emulator) -> None:
    client = sesv2(emulator.endpoint_url)
    with contextlib.suppress(client.exceptions.AlreadyExistsException):
        client.create_configuration_set(ConfigurationSetName="marketing")
    path = write_campaign(home, emulator.endpoint_url, people(3), configuration_set="marketing")
    assert Campaign.from_file(path).send().sent == 3
    # SES checks the name it is given: a missing set is refused, which shows the name went out.
    (home / "other").mkdir()
    other = write_campaign(
        home / "other", emulator.endpoint_url, people(3, start=10), configuration_set="nope"
    )
    with pytest.raises(CampaignError, match=r"ConfigurationSetDoesNotExist|NotFoundException"):
        Campaign.from_file(other).send()


def test_an_error_of_the_whole_account_stops_the_run_and_keeps_the_rows_for_retry_failed(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    ses.fault(
        operation="SendEmail",
        error_code="AccountSendingPausedException",
        status=400,
        message="Email sending is disabled for your entire Amazon SES account.",
        count=1000,
    )
    path = write_campaign(home, emulator.endpoint_url, people(200), connections=2)
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 1
    assert "AccountSendingPaused" in err and "retry-failed" in err
    attempts = len(ses.sends())
    assert attempts < 20  # stopped at once, not 200 refusals
    found = Campaign.open("news", base_dir=home).status()
    assert found.counts["failed"] == found.retryable_failed == attempts
    assert found.counts["pending"] == 200 - attempts
    ses("DELETE", "/_sesflow/faults")
    code, _, err = cli("campaign", "retry-failed", "news", capsys=capsys)
    assert code == 0, err
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 1 for n in range(200)}


def test_sending_the_same_file_again_sends_nothing_twice(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(10))
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 0
    code, out, _ = cli("campaign", "send", str(path), "--json", capsys=capsys)
    assert code == 0
    assert json.loads(out)["this_run"]["sent"] == 0
    assert sum(copies(emulator.endpoint_url).values()) == 10


def test_other_content_under_the_same_name_is_refused_unless_new(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(4))
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 0
    write_campaign(home, emulator.endpoint_url, people(4), subject="A different subject")
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 2
    assert "already exists with different content" in err and "--new" in err
    assert sum(copies(emulator.endpoint_url).values()) == 4
    code, _, err = cli("campaign", "send", str(path), "--new", capsys=capsys)
    assert code == 0, err
    assert copies(emulator.endpoint_url) == {f"user{n}@example.com": 2 for n in range(4)}


def test_added_recipients_count_as_different_content(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(3))
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 0
    write_campaign(home, emulator.endpoint_url, people(4))
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 2


def test_the_python_api_takes_an_iterable_of_rows(home: Path, ses: Private, emulator: Emulator) -> None:
    rows = ({"email": f"reader{n}@example.org", "first_name": f"R{n}", "id": n} for n in range(6))
    spec = {
        "name": "api-rows",
        "from": "news@shop.example",
        "subject": "Hi {{ first_name }}",
        "text": "Row {{ id }}",
        "ses": {"endpoint_url": emulator.endpoint_url, "region": "us-east-1"},
    }
    campaign = Campaign(spec, recipients=rows, base_dir=home)
    summary = campaign.send()
    assert summary.sent == 6 and summary.complete
    status = campaign.status()
    assert status.counts["sent"] == 6 and status.total == 6
    assert copies(emulator.endpoint_url) == {f"reader{n}@example.org": 1 for n in range(6)}
    assert (home / "sesflow-campaigns.sqlite").exists()


def test_a_campaign_is_resumed_by_name_without_its_file(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(5))
    assert cli("campaign", "send", str(path), capsys=capsys)[0] == 0
    path.unlink()
    (home / "recipients.csv").unlink()
    code, out, _ = cli("campaign", "resume", "news", "--json", capsys=capsys)
    assert code == 0
    assert json.loads(out)["counts"]["sent"] == 5


def test_progress_is_logged_in_lines_when_not_on_a_terminal(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(30))
    code, _, err = cli("campaign", "send", str(path), capsys=capsys)
    assert code == 0
    last = [line for line in err.splitlines() if line.startswith("campaign news:")][-1]
    assert "30/30 (100%)" in last and "sent 30" in last and "/s" in last
