"""Bad input: one clear error naming the file, row and column, exit 2, and nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from tests.campaign.conftest import cli, people, write_campaign, write_csv
from tests.send.conftest import Private


def _refused(path: Path, ses: Private, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, _, err = cli("campaign", "send", str(path), *args, capsys=capsys)
    assert code == 2, err
    assert ses.sends() == []
    assert "Traceback" not in err
    return err


def test_a_template_syntax_error_names_the_template_file_and_line(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "body.html").write_text(
        "<p>Hello</p>\n<p>{% if first_name %}{{ first_name }}</p>\n", encoding="utf-8"
    )
    path = write_campaign(home, emulator.endpoint_url, people(3), html={"file": "body.html"})
    err = _refused(path, ses, capsys)
    assert f"{home / 'body.html'} line 2: template syntax error" in err
    assert len(err.strip().splitlines()) <= 2


def test_a_template_using_a_column_the_file_lacks_names_the_column_and_the_file(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(3), subject="Hi {{ frist_name }}")
    err = _refused(path, ses, capsys)
    assert "subject uses {{ frist_name }}" in err
    assert f"{home / 'recipients.csv'} has no column 'frist_name'" in err


def test_an_undefined_variable_in_a_row_names_the_row_and_the_column(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ['{"email": "a@example.com", "first_name": "A", "id": 1}', '{"email": "b@example.com", "id": 2}']
    (home / "people.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = write_campaign(home, emulator.endpoint_url, recipients={"jsonl": "people.jsonl"})
    err = _refused(path, ses, capsys)
    assert "1 of 2 rows cannot be sent; nothing was sent" in err
    assert f"{home / 'people.jsonl'} row 2, column first_name: subject uses {{{{ first_name }}}}" in err


def test_bytes_not_in_the_files_encoding_name_the_row_and_line(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "email,first_name,id\na@example.com,Ann,1\nb@example.com,Bj\xf6rn,2\n"
    (home / "recipients.csv").write_bytes(text.encode("latin-1"))
    path = write_campaign(home, emulator.endpoint_url)
    err = _refused(path, ses, capsys)
    assert f"{home / 'recipients.csv'} row 2 (line 3): not valid utf-8: byte 0xf6" in err


def test_the_files_encoding_can_be_named(home: Path, ses: Private, emulator: Emulator) -> None:
    from sesflow.campaign import Campaign
    from tests.campaign.conftest import stored

    text = "email,first_name,id\nb@example.com,Bj\xf6rn,2\n"
    (home / "recipients.csv").write_bytes(text.encode("latin-1"))
    path = write_campaign(
        home, emulator.endpoint_url, recipients={"csv": "recipients.csv", "encoding": "latin-1"}
    )
    Campaign.from_file(path).send()
    assert [m["Subject"] for m in stored(emulator.endpoint_url)] == ["Björn, our news"]


def test_a_ragged_row_names_the_row_and_the_field_count(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "recipients.csv").write_text("email,first_name,id\na@example.com,Ann,1\nb@example.com,Bob\n")
    path = write_campaign(home, emulator.endpoint_url)
    err = _refused(path, ses, capsys)
    assert f"{home / 'recipients.csv'} row 2 (line 3): has 2 fields, the header has 3" in err


def test_a_recipients_file_that_does_not_exist_is_named(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, recipients={"csv": "missing.csv"})
    err = _refused(path, ses, capsys)
    assert f"recipients file {home / 'missing.csv'} does not exist" in err


def test_a_missing_address_column_is_named(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    write_csv(home / "recipients.csv", [{"mail": "a@example.com", "first_name": "A", "id": "1"}])
    path = write_campaign(home, emulator.endpoint_url)
    err = _refused(path, ses, capsys)
    assert "has no column 'email' (columns: mail, first_name, id)" in err
    assert "recipients.email_column" in err


def test_an_unreachable_ledger_is_named_without_its_password(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.services import free_port

    url = f"postgresql://sender:s3cr3t-pw@127.0.0.1:{free_port()}/campaigns"
    path = write_campaign(home, emulator.endpoint_url, people(3), ledger=url)
    err = _refused(path, ses, capsys)
    assert "cannot connect to the PostgreSQL ledger" in err
    assert "sender:***@127.0.0.1" in err
    assert "s3cr3t-pw" not in err


def test_an_unknown_key_in_the_campaign_file_is_named(
    home: Path, ses: Private, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(home, emulator.endpoint_url, people(2), subjet="typo")
    err = _refused(path, ses, capsys)
    assert "unknown key 'subjet'" in err


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("name", "news letter", "name: 'news letter' may hold only letters, digits, _ and -"),
        ("rate", -3, "rate: -3: give a positive number of recipients per second, or auto"),
        ("tags", {"campaign": "x"}, "'campaign' is set by sesflow itself"),
        ("settle", "soon", "settle: 'soon' is not a duration"),
        ("text", None, "give text, html or both"),
    ],
)
def test_bad_values_in_the_campaign_file_are_named(
    home: Path,
    ses: Private,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
    key: str,
    value: object,
    expected: str,
) -> None:
    extra = {key: value}
    if key == "text":
        extra["html"] = None
    path = write_campaign(home, emulator.endpoint_url, people(2), **extra)
    err = _refused(path, ses, capsys)
    assert expected in err
