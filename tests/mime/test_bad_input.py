"""Bad input: every refusal is a MessageError naming the field (and value); nothing is half-built."""

from __future__ import annotations

from typing import Any

import pytest

from sesflow import Attachment, IcalEvent, Message, MessageError, compose
from sesflow.mime import EncodedCache

CASES: list[tuple[dict[str, Any], str]] = [
    ({"to": "bob@"}, "to: 'bob@' is not a valid address"),
    ({"cc": ["ok@example.org", "x@@y"]}, "cc: 'x@@y' is not a valid address"),
    ({"bcc": "no at sign"}, "bcc: 'no at sign' is not a valid address"),
    ({"reply_to": ("Name", "bad")}, "reply_to: ('Name', 'bad') is not a valid address"),
    (
        {"to": ("Bad\x00Name", "a@example.org")},
        "to: ('Bad\\x00Name', 'a@example.org') has a control character",
    ),
    ({"to": ("a", "b", "c")}, "to: ('a', 'b', 'c') is not a (\"Name\", \"address\") pair"),
    ({"to": 'Ann "unclosed <a@example.org>'}, "has an unclosed quote"),
    ({"sender": "bounce@"}, "sender: 'bounce@' is not a valid address"),
    ({"subject": "a\nb"}, "subject: 'a\\nb' contains a line break"),
    ({"subject": 42}, "subject: 42 is not a str"),
    ({"message_id": "no-at-sign"}, "message_id: 'no-at-sign' is not a valid message id"),
    ({"in_reply_to": "<a b@c>"}, "in_reply_to: '<a b@c>' is not a valid message id"),
    ({"date": "yesterday"}, "date: 'yesterday' is not an RFC 5322 date"),
    ({"priority": "urgent"}, "priority: 'urgent' is not 'high', 'normal' or 'low'"),
    ({"text_encoding": "uuencode"}, "text_encoding: 'uuencode' is not"),
    ({"text": b"\xff\xfe"}, "text: the bytes are not valid UTF-8"),
    ({"html": "\ud800"}, "html: the text holds a lone surrogate"),
    ({"headers": {"From": "x@example.com"}}, "headers: 'From' cannot be set as a custom header"),
    ({"headers": {"Bad Name": "v"}}, "headers: 'Bad Name' is not a valid header name"),
    ({"headers": {"X-N": 5}}, "headers['X-N']: 5 is not a str or a list of str"),
    ({"attachments": [Attachment(content=b"x", content_type="pdf")]}, "attachments[0].content_type: 'pdf'"),
    (
        {"attachments": [Attachment(content="zz", encoding="base64")]},
        "attachments[0].content: the value is not valid",
    ),
    ({"attachments": [Attachment(content="x", encoding="klingon")]}, "attachments[0].encoding: 'klingon'"),
    (
        {"attachments": [Attachment(content=b"x", cid="a b")]},
        "attachments[0].cid: 'a b' is not a valid Content-ID",
    ),
    ({"attachments": [Attachment(content="data:text/plain")]}, "attachments[0].content: 'data:text/plain'"),
    ({"attachments": [Attachment(href="ftp://example.com/a")]}, "attachments[0].href: 'ftp://example.com/a'"),
    (
        {"attachments": [Attachment(content=b"x", content_disposition="weird")]},
        "content_disposition: 'weird'",
    ),  # type: ignore[arg-type]
    ({"attachments": ["not an attachment"]}, "attachments[0]: 'not an attachment' is not an Attachment"),
    ({"ical_event": IcalEvent(content="x", method="BAD METHOD")}, "ical_event.method: 'BAD METHOD'"),
    ({"list": {"unsubscribe": "u@example.com", "one_click": True}}, "list['one_click']: True needs an https"),
    ({"list": {"bad key!": "x"}}, "list: 'bad key!' is not a list header key"),
    ({"envelope": {"from": "nope"}}, "envelope.from: 'nope' is not a valid address"),
    ({"dkim": {"domain": "example.com"}}, "dkim: "),
    (
        {"dkim": {"domain": "ex.com\r\nX: y", "selector": "s", "private_key": "k"}},
        "dkim.domain: 'ex.com\\r\\nX: y'",
    ),
    (
        {"attachments": [Attachment(content=b"x", headers={"Content-Type": "text/html"})]},
        "cannot be set as a part",
    ),
    ({"alternatives": ["<p>x</p>"]}, "alternatives[0]: '<p>x</p>' is not an Attachment"),
]


@pytest.mark.parametrize(("fields", "message"), CASES, ids=[c[1][:40] for c in CASES])
def test_each_refusal_is_a_message_error_naming_the_field(fields: dict[str, Any], message: str) -> None:
    fields = {"from_": "s@example.com", "to": "r@example.org", **fields}
    with pytest.raises(MessageError) as error:
        compose(Message(**fields))
    assert message in str(error.value)
    assert error.value.exit_code == 2


def test_a_refused_message_returns_nothing_and_caches_nothing() -> None:
    cache = EncodedCache()
    big = Attachment(filename="a.pdf", content=b"%PDF" * 10_000)
    with pytest.raises(MessageError):
        compose(Message(from_="s@example.com", to=["ok@example.org", "bad@"], attachments=[big]), cache=cache)
    assert cache.stats().entries == 0


def test_compose_refuses_something_that_is_not_a_message() -> None:
    with pytest.raises(MessageError, match=r"message: .* is not a sesflow\.Message"):
        compose({"to": "a@example.org"})  # type: ignore[arg-type]


def test_a_huge_value_at_fault_is_shortened_in_the_error() -> None:
    with pytest.raises(MessageError) as error:
        compose(Message(from_="s@example.com", to="r@example.org", subject="x" * 100_000 + "\n"))
    assert len(str(error.value)) < 400
    assert "(100004 characters)" in str(error.value)  # the repr: quotes and the escaped newline
