"""Point 1: the tree shape — single part, alternative, related, mixed and their nesting."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sesflow import Attachment, IcalEvent
from tests.mime.conftest import structure

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8

Roundtrip = Callable[..., EmailMessage]


def test_text_only_is_a_single_text_plain_part(roundtrip: Roundtrip) -> None:
    assert structure(roundtrip(text="hi")) == "text/plain"


def test_html_only_is_a_single_text_html_part(roundtrip: Roundtrip) -> None:
    assert structure(roundtrip(html="<p>hi</p>")) == "text/html"


def test_no_body_at_all_is_an_empty_text_plain_part(roundtrip: Roundtrip) -> None:
    msg = roundtrip(subject="nothing")
    assert structure(msg) == "text/plain"
    assert msg.get_content() == ""


def test_text_and_html_are_alternatives_with_html_last(roundtrip: Roundtrip) -> None:
    assert structure(roundtrip(text="t", html="<p>h</p>")) == (
        "multipart/alternative",
        ["text/plain", "text/html"],
    )


def test_alternative_order_is_text_watch_amp_calendar_html(roundtrip: Roundtrip) -> None:
    msg = roundtrip(
        text="t",
        watch_html="<b>w</b>",
        amp="<html ⚡4email></html>",
        html="<p>h</p>",
        ical_event=IcalEvent(content="BEGIN:VCALENDAR\nEND:VCALENDAR\n", method="REQUEST"),
    )
    assert structure(msg) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", "text/watch-html", "text/x-amp-html", "text/calendar", "text/html"],
            ),
            "application/ics",
        ],
    )


def test_html_with_cid_image_is_related(roundtrip: Roundtrip) -> None:
    msg = roundtrip(
        html='<img src="cid:logo@x">', attachments=[Attachment(filename="l.png", content=PNG, cid="logo@x")]
    )
    assert structure(msg) == ("multipart/related", ["text/html", "image/png"])


def test_related_nests_inside_alternative_around_html_only(roundtrip: Roundtrip) -> None:
    msg = roundtrip(
        text="t",
        html='<img src="cid:logo@x">',
        attachments=[Attachment(filename="l.png", content=PNG, cid="logo@x")],
    )
    assert structure(msg) == (
        "multipart/alternative",
        ["text/plain", ("multipart/related", ["text/html", "image/png"])],
    )


def test_plain_attachments_make_mixed(roundtrip: Roundtrip) -> None:
    msg = roundtrip(text="t", attachments=[Attachment(filename="a.pdf", content=PDF)])
    assert structure(msg) == ("multipart/mixed", ["text/plain", "application/pdf"])


def test_full_nesting_is_mixed_alternative_related(roundtrip: Roundtrip) -> None:
    msg = roundtrip(
        text="t",
        html='<img src="cid:logo@x">',
        attachments=[
            Attachment(filename="a.pdf", content=PDF),
            Attachment(filename="l.png", content=PNG, cid="logo@x"),
        ],
    )
    assert structure(msg) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", ("multipart/related", ["text/html", "image/png"])]),
            "application/pdf",
        ],
    )


def test_cid_parts_without_html_are_plain_attachments(roundtrip: Roundtrip) -> None:
    msg = roundtrip(text="t", attachments=[Attachment(filename="l.png", content=PNG, cid="logo@x")])
    assert structure(msg) == ("multipart/mixed", ["text/plain", "image/png"])


def test_attachments_without_body_are_mixed_alone(roundtrip: Roundtrip) -> None:
    assert structure(roundtrip(attachments=[Attachment(filename="a.pdf", content=PDF)])) == (
        "multipart/mixed",
        ["application/pdf"],
    )


def test_extra_alternatives_come_before_html(roundtrip: Roundtrip) -> None:
    msg = roundtrip(
        text="t",
        html="<p>h</p>",
        alternatives=[Attachment(content="# md", content_type="text/x-web-markdown")],
    )
    assert structure(msg) == ("multipart/alternative", ["text/plain", "text/x-web-markdown", "text/html"])
