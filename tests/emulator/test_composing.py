"""The messages the emulator writes for Simple and templated sends parse back as what was sent."""

from __future__ import annotations

from sesflow.emulator.composing import compose
from sesflow.emulator.messages import parse_message


def test_text_and_html_alternatives_with_non_ascii_names_and_headers() -> None:
    raw = compose(
        "Änn Müller <ann@example.com>",
        ["bob@example.org", "Zoë <zoe@example.org>"],
        ["cy@example.org"],
        "Grüße aus Köln",
        "Hällo\nzweite Zeile",
        "<p>Hällo</p>",
        headers=[{"Name": "X-Campaign", "Value": "fall"}],
    )
    message = parse_message(raw)
    assert message["From"].addresses[0].addr_spec == "ann@example.com"
    assert message["From"].addresses[0].display_name == "Änn Müller"
    assert [a.addr_spec for a in message["To"].addresses] == ["bob@example.org", "zoe@example.org"]
    assert message["Subject"] == "Grüße aus Köln" and message["X-Campaign"] == "fall"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.splitlines() == ["Hällo", "zweite Zeile"]
    assert message.get_body(("html",)).get_content().strip() == "<p>Hällo</p>"  # type: ignore[union-attr]


def test_a_subject_with_line_breaks_becomes_one_line_and_long_lines_are_encoded() -> None:
    raw = compose("a@example.com", ["b@example.org"], [], "two\nlines", "x" * 2000, None)
    message = parse_message(raw)
    assert message["Subject"] == "two lines"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert message.get_body(("plain",)).get_content().strip() == "x" * 2000  # type: ignore[union-attr]


def test_attachments_go_through_the_email_package() -> None:
    raw = compose(
        "a@example.com",
        ["b@example.org"],
        [],
        "s",
        "see attached",
        None,
        attachments=[{"RawContent": b"%PDF-1.7", "FileName": "a.pdf", "ContentType": "application/pdf"}],
    )
    (part,) = parse_message(raw).iter_attachments()
    assert part.get_filename() == "a.pdf" and part.get_content() == b"%PDF-1.7"
