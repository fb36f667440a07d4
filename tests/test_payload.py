"""The JSON-safe message description (``sesflow.payload``): every Message field survives JSON, and a payload
that is not a message is refused naming the field."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sesflow import Message, compose
from sesflow.errors import MessageError
from sesflow.mime import Address, Attachment, DkimOptions, Group, IcalEvent
from sesflow.payload import message_from_payload, message_to_payload

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//t//EN",
        "BEGIN:VEVENT",
        "UID:1@t",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def through_json(message: Message) -> Message:
    return message_from_payload(json.loads(json.dumps(message_to_payload(message))))


def stable(raw: bytes) -> bytes:
    """``raw`` with its random MIME boundaries replaced by one fixed name."""
    return re.sub(rb"_sesflow_[0-9a-f]{24}_", b"_sesflow_X_", raw)


def full_message(tmp_path: Path) -> Message:
    """A message with every field that composes together set to a non-default value."""
    terms = tmp_path / "terms.txt"
    terms.write_text("the terms")
    return Message(
        from_=Address("shop@example.com", "Shop"),
        to=["ann@example.com", Address("bob@example.com", "Bob Ö")],
        cc=[Group("Team", (Address("cat@example.com"), "dan@example.com"))],
        bcc=["eve@example.com"],
        reply_to=["help@example.com"],
        sender="robot@example.com",
        in_reply_to="<a@example.com>",
        references=["<a@example.com>", "<b@example.com>"],
        subject="Your order — shipped",
        text="It ships today.",
        html=b'<p>It ships today. <img src="cid:logo@shop"></p>',
        amp="<html amp4email><body>amp</body></html>",
        watch_html="<b>watch</b>",
        alternatives=[Attachment(content="# markdown", content_type="text/markdown")],
        attachments=[
            Attachment(path=str(terms)),
            Attachment(filename="logo.png", content=PNG, cid="logo@shop", content_type="image/png"),
            Attachment(
                filename="notes.txt", content="aGVsbG8=", encoding="base64", headers={"X-N": ["1", "2"]}
            ),
            Attachment(filename=False, content="no name", content_disposition="attachment"),
            Attachment(href="data:text/plain;base64,aGk=", filename="hi.txt"),
        ],
        ical_event=IcalEvent(content=ICS, method="REQUEST", filename="meet.ics"),
        headers={"X-Campaign": "spring", "X-Tags": ["a", "b"]},
        list={"unsubscribe": "https://example.com/u", "id": "news.example.com", "one_click": True},
        priority="high",
        message_id="<order-1@example.com>",
        date=dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC),
        envelope={"from": "bounces@example.com", "to": ["ann@example.com", "eve@example.com"]},
        text_encoding="base64",
        ses={"EmailTags": [{"Name": "campaign", "Value": "spring"}], "ConfigurationSetName": "tx"},
    )


def test_every_message_field_has_a_payload_key(tmp_path: Path) -> None:
    keys = set(message_to_payload(full_message(tmp_path)))
    names = {field.name for field in dataclasses.fields(Message)}
    left_out = {"raw", "dkim", "disable_file_access", "disable_url_access"}  # covered by the tests below
    assert keys == {"from" if n == "from_" else n for n in names} - left_out


def test_a_message_sent_through_json_composes_to_the_same_bytes(tmp_path: Path) -> None:
    message = full_message(tmp_path)
    assert stable(compose(through_json(message)).raw) == stable(compose(message).raw)


def test_bytes_travel_as_base64_and_come_back_as_bytes() -> None:
    message = Message(from_="a@example.com", to="b@example.com", raw=b"Subject: x\r\n\r\n\xff\xfe")
    payload = message_to_payload(message)
    assert payload["raw"] == {"base64": base64.b64encode(b"Subject: x\r\n\r\n\xff\xfe").decode()}
    assert through_json(message).raw == b"Subject: x\r\n\r\n\xff\xfe"


def test_dkim_and_access_switches_survive_json() -> None:
    dkim = DkimOptions(
        domain="example.com",
        selector="s1",
        private_key=b"-----BEGIN PRIVATE KEY-----\nxyz\n-----END PRIVATE KEY-----\n",
        skip_fields=("message-id",),
        header_fields=("from", "to", "subject"),
        canonicalization=("simple", "relaxed"),
    )
    message = Message(
        from_="a@example.com", to="b@example.com", text="x", dkim=dkim, disable_file_access=True,
        disable_url_access=True,
    )  # fmt: skip
    assert through_json(message) == message


def test_a_naive_datetime_is_taken_as_utc_as_compose_does() -> None:
    naive = Message(from_="a@example.com", to="b@example.com", text="x", date=dt.datetime(2026, 1, 2, 3, 4))
    assert through_json(naive).date == "Fri, 02 Jan 2026 03:04:00 +0000"


def test_an_iso_8601_date_is_accepted() -> None:
    message = message_from_payload({"from": "a@example.com", "date": "2026-01-02T03:04:00+01:00"})
    assert message.date == dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"form": "a@example.com"}, "form: not a field of a message"),
        ({"to": 42}, "to: expected an address"),
        ({"to": ["a@example.com", {"adress": "b@example.com"}]}, "to[1].adress: unknown key"),
        ({"subject": ["x"]}, "subject: expected text"),
        ({"text": {"base64": "not base64!"}}, "text.base64: not valid base64"),
        ({"attachments": {"path": "/etc/hosts"}}, "attachments: expected a list of attachments"),
        ({"attachments": [{"path": "a"}, {"content": 12}]}, "attachments[1].content: expected text"),
        ({"attachments": [{"filename": 3, "content": "x"}]}, "attachments[0].filename: expected text, false"),
        (
            {"attachments": [{"content": "x", "content_disposition": "side"}]},
            "attachments[0].content_disposition",
        ),
        ({"headers": {"X-A": 1}}, "headers.X-A: expected text"),
        ({"priority": "urgent"}, "priority: expected one of 'high', 'normal', 'low'"),
        ({"date": "next tuesday"}, "date: expected an RFC 5322 or ISO 8601 date"),
        ({"disable_file_access": "yes"}, "disable_file_access: expected true or false"),
        ({"ses": {"EmailTags": {1, 2}}}, "ses.EmailTags: expected a JSON value"),
        ({"envelope": {"from": "a@example.com", "rcpt": []}}, "envelope.rcpt: unknown key"),
        ({"dkim": {"domain": "d", "selector": "s"}}, "dkim.private_key: missing"),
        ({"ical_event": {"content": ICS, "methd": "REQUEST"}}, "ical_event.methd: unknown key"),
        ("just text", "payload: expected an object of Message fields"),
    ],
)
def test_a_payload_that_is_not_a_message_is_refused_naming_the_field(payload: Any, named: str) -> None:
    with pytest.raises(MessageError) as refused:
        message_from_payload(payload)
    assert refused.value.message.startswith(named)


def test_a_refused_dkim_key_is_not_shown() -> None:
    secret = 1234567890123456789
    with pytest.raises(MessageError) as refused:
        message_from_payload({"dkim": {"domain": "d", "selector": "s", "private_key": secret}})
    assert str(secret) not in str(refused.value)
    assert refused.value.message.startswith("dkim.private_key: expected text")
