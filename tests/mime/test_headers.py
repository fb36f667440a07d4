"""Point 3: headers — RFC 2047, folding, injection, the custom header rule, Message-ID, Date, Bcc."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

import pytest

from sesflow import Message, MessageError, compose
from tests.mime.conftest import header_block, parse


def _raw(**fields: object) -> bytes:
    fields.setdefault("from_", "sender@example.com")
    fields.setdefault("to", "rcpt@example.org")
    return compose(Message(**fields)).raw  # type: ignore[arg-type]


def test_non_ascii_subject_is_rfc2047_encoded_and_decodes_back() -> None:
    raw = _raw(subject="Grüße aus Köln 🌧", text="x")
    assert header_block(raw).isascii()
    assert "Subject: =?UTF-8?B?" in header_block(raw)
    assert parse(raw)["subject"] == "Grüße aus Köln 🌧"


def test_plain_ascii_subject_is_sent_as_is() -> None:
    assert "Subject: Your order has shipped\r\n" in header_block(_raw(subject="Your order has shipped"))


@pytest.mark.parametrize(
    "subject",
    ["word " * 100, "日本語" * 80, "x" * 1500, "a, " * 300],
    ids=["long-ascii", "long-cjk", "one-1500-char-word", "many-commas"],
)
def test_long_headers_fold_to_78_and_never_exceed_998(subject: str) -> None:
    raw = _raw(subject=subject.strip(), to=[(f"Person {i}", f"p{i}@example.org") for i in range(60)])
    lines = header_block(raw).split("\r\n")
    assert max(len(line.encode()) for line in lines) <= 78
    assert parse(raw)["subject"] == subject.strip()


def test_an_unfoldable_custom_header_is_kept_under_998_octets() -> None:
    raw = _raw(headers={"X-Token": "t" * 3000}, text="x")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert parse(raw)["x-token"] == "t" * 3000


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "hi\r\nBcc: victim@example.com"},
        {"subject": "hi\nX-Evil: 1"},
        {"headers": {"X-Tag": "a\rb"}},
        {"headers": {"X-Bad\r\nName": "v"}},
        {"to": ("Eve\r\nBcc: x@example.com", "e@example.com")},
        {"in_reply_to": "<a@b>\r\nX: y"},
        {"attachments": []} | {"list": {"unsubscribe": "https://x.example/u\r\nBcc: v@example.com"}},
    ],
)
def test_cr_or_lf_anywhere_in_a_header_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(MessageError, match=r"line break|not a valid header name"):
        _raw(**fields)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("From", "from_"),
        ("to", "to"),
        ("CC", "cc"),
        ("Bcc", "bcc"),
        ("Message-ID", "message_id"),
        ("Date", "date"),
        ("MIME-Version", "compose"),
        ("Content-Type", "structure"),
    ],
)
def test_protected_headers_cannot_be_replaced_by_custom_headers(name: str, field: str) -> None:
    with pytest.raises(MessageError) as error:
        _raw(headers={name: "x@example.com"}, text="x")
    assert f"headers: {name!r} cannot be set as a custom header" in str(error.value)
    assert field in str(error.value)


def test_a_field_header_set_twice_is_refused() -> None:
    with pytest.raises(MessageError, match=r"conflicts with Message\.subject"):
        _raw(subject="a", headers={"Subject": "b"})


def test_a_field_header_is_used_when_its_field_is_unset() -> None:
    assert parse(_raw(headers={"Subject": "from headers"}))["subject"] == "from headers"


def test_custom_headers_are_added_in_order_with_list_values_repeated() -> None:
    msg = parse(_raw(headers={"X-One": "1", "X-Multi": ["a", "b"], "X-Uni": "Été"}, text="x"))
    assert msg.get_all("x-multi") == ["a", "b"]
    assert msg["x-uni"] == "Été"
    assert msg["x-one"] == "1"


def test_the_same_custom_header_twice_with_different_case_is_refused() -> None:
    with pytest.raises(MessageError, match="given twice"):
        _raw(headers={"X-A": "1", "x-a": "2"})


def test_message_id_is_generated_as_unique_at_from_domain() -> None:
    first = compose(Message(from_="a@mail.example.com", to="r@example.org"))
    second = compose(Message(from_="a@mail.example.com", to="r@example.org"))
    assert re.fullmatch(r"<[^<>@\s]+@mail\.example\.com>", first.message_id)
    assert first.message_id != second.message_id
    assert parse(first.raw)["message-id"] == first.message_id


def test_a_given_message_id_is_used_in_angle_brackets() -> None:
    composed = compose(Message(from_="a@example.com", to="r@example.org", message_id="abc@example.com"))
    assert composed.message_id == "<abc@example.com>"
    assert "Message-ID: <abc@example.com>\r\n" in header_block(composed.raw)


def test_date_is_rfc5322() -> None:
    when = dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    raw = _raw(date=when)
    assert "Date: Sat, 21 Nov 2026 10:30:00 +0200\r\n" in header_block(raw)
    generated = parse(_raw())["date"]
    assert email.utils.parsedate_to_datetime(str(generated)).tzinfo is not None


def test_bcc_is_never_written() -> None:
    composed = compose(Message(from_="a@example.com", to="r@example.org", bcc="secret@example.org", text="x"))
    assert b"secret@example.org" not in composed.raw
    assert b"Bcc" not in composed.raw
    assert "secret@example.org" in composed.envelope.to


def test_threading_headers_hold_message_ids() -> None:
    msg = parse(_raw(in_reply_to="a@example.com", references=["<a@example.com>", "b@example.com"]))
    assert msg["in-reply-to"] == "<a@example.com>"
    assert msg["references"] == "<a@example.com> <b@example.com>"


@pytest.mark.parametrize("priority", ["high", "low"])
def test_priority_sets_the_three_priority_headers(priority: str) -> None:
    msg = parse(_raw(priority=priority))
    assert msg["x-priority"].startswith("1" if priority == "high" else "5")
    assert msg["importance"] == priority.capitalize()
    assert msg["x-msmail-priority"] == priority.capitalize()


def test_normal_priority_writes_no_priority_header() -> None:
    assert "priority" not in header_block(_raw()).lower()


def test_a_raw_message_is_sent_as_given_with_crlf_and_its_own_message_id() -> None:
    raw_in = "From: a@example.com\nTo: b@example.org\nMessage-ID: <own@example.com>\nSubject: raw\n\nbody\n"
    composed = compose(Message(from_="a@example.com", to="b@example.org", cc="c@example.org", raw=raw_in))
    assert composed.raw == raw_in.replace("\n", "\r\n").encode()
    assert composed.message_id == "<own@example.com>"
    assert composed.envelope.to == ("b@example.org", "c@example.org")


def test_a_raw_message_without_message_id_gets_one() -> None:
    composed = compose(
        Message(from_="a@example.com", to="b@example.org", raw=b"Subject: raw\r\n\r\nbody\r\n")
    )
    assert composed.raw.startswith(b"Message-ID: " + composed.message_id.encode() + b"\r\nSubject: raw\r\n")


def test_ses_options_are_carried_but_not_written() -> None:
    message = Message(from_="a@example.com", to="b@example.org", ses={"ConfigurationSetName": "cs"})
    assert message.ses == {"ConfigurationSetName": "cs"}
    assert b"ConfigurationSetName" not in compose(message).raw
