"""Points 6 and 7: calendar invitations, and mailing list headers with RFC 8058 one-click."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesflow import IcalEvent, Message, MessageError, compose
from tests.mime.conftest import header_block, parse

ICS = "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:Réunion\nEND:VEVENT\nEND:VCALENDAR\n"


def _msg(**fields: object) -> Message:
    fields.setdefault("from_", "s@example.com")
    fields.setdefault("to", "r@example.org")
    return Message(**fields)  # type: ignore[arg-type]


def test_ical_event_is_a_calendar_alternative_and_an_ics_attachment() -> None:
    msg = parse(compose(_msg(text="invite", ical_event=IcalEvent(method="request", content=ICS))).raw)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("charset") == "utf-8"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_disposition() is None
    assert calendar.get_content().replace("\r\n", "\n") == ICS
    (ics,) = msg.iter_attachments()
    assert ics.get_content_type() == "application/ics"
    assert ics.get_filename() == "invite.ics"
    assert ics.get_content_disposition() == "attachment"
    assert ics.get_payload(decode=True) == ICS.replace("\n", "\r\n").encode()


def test_ical_event_filename_and_the_method_the_calendar_states() -> None:
    msg = parse(compose(_msg(text="x", ical_event=IcalEvent(content=ICS, filename="meeting.ics"))).raw)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"  # METHOD:REQUEST in the text: an invitation
    assert [a.get_filename() for a in msg.iter_attachments()] == ["meeting.ics"]


def test_ical_event_without_a_stated_method_is_published() -> None:
    text = ICS.replace("METHOD:REQUEST\n", "")
    msg = parse(compose(_msg(text="x", ical_event=IcalEvent(content=text))).raw)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "PUBLISH"


def test_a_given_method_overrides_the_stated_one() -> None:
    msg = parse(compose(_msg(text="x", ical_event=IcalEvent(content=ICS, method="cancel"))).raw)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"


def test_ical_event_content_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "event.ics"
    path.write_text(ICS, encoding="utf-8")
    msg = parse(compose(_msg(text="x", ical_event=IcalEvent(path=str(path), method="REQUEST"))).raw)
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_content().replace("\r\n", "\n") == ICS


def test_an_invalid_ical_method_is_refused() -> None:
    with pytest.raises(MessageError, match=r"ical_event\.method: 'REQ UEST'"):
        compose(_msg(ical_event=IcalEvent(content=ICS, method="REQ UEST")))


def test_list_headers_follow_nodemailer_list_option() -> None:
    head = header_block(
        compose(
            _msg(
                list={
                    "help": "admin@example.com?subject=help",
                    "unsubscribe": [
                        {"url": "https://example.com/unsub", "comment": "Unsubscribe"},
                        "unsub@example.com",
                    ],
                    "subscribe": "example.com/subscribe",
                    "post": "http://example.com/post",
                    "id": {"url": "mylist.example.com", "comment": "My List"},
                }
            )
        ).raw
    )
    assert "List-Help: <mailto:admin@example.com?subject=help>\r\n" in head
    assert (
        "List-Unsubscribe: <https://example.com/unsub> (Unsubscribe),\r\n <mailto:unsub@example.com>\r\n"
        in head
    )
    assert "List-Subscribe: <http://example.com/subscribe>\r\n" in head
    assert "List-Post: <http://example.com/post>\r\n" in head
    assert 'List-ID: "My List" <mylist.example.com>\r\n' in head
    assert "List-Unsubscribe-Post" not in head


def test_one_click_adds_list_unsubscribe_post() -> None:
    msg = parse(
        compose(
            _msg(list={"unsubscribe": ["https://example.com/u/1", "u@example.com"], "one_click": True})
        ).raw
    )
    assert msg["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    assert msg["list-unsubscribe"] == "<https://example.com/u/1>, <mailto:u@example.com>"


def test_one_click_without_an_https_url_is_refused() -> None:
    with pytest.raises(MessageError, match=r"list\['one_click'\]: True needs an https:// URL"):
        compose(_msg(list={"unsubscribe": "u@example.com", "one_click": True}))


def test_a_unicode_list_comment_is_encoded() -> None:
    msg = parse(compose(_msg(list={"id": {"url": "news.example.com", "comment": "Nouvelles été"}})).raw)
    assert msg["list-id"] == "Nouvelles été <news.example.com>"
