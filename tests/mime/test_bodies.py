"""Point 4: bodies — 7bit / quoted-printable / base64 by content, 76-character lines, CRLF only."""

from __future__ import annotations

import binascii
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sesflow import Attachment, Message, compose
from sesflow.mime.encoding import base64_lines, qp
from tests.mime.conftest import parse

BARE_NEWLINE = re.compile(rb"\r(?!\n)|(?<!\r)\n")


def _body(**fields: object) -> tuple[str, bytes, str]:
    """(Content-Transfer-Encoding, encoded body, decoded text) of a single text/plain message."""
    fields.setdefault("from_", "s@example.com")
    fields.setdefault("to", "r@example.org")
    raw = compose(Message(**fields)).raw  # type: ignore[arg-type]
    head, body = raw.split(b"\r\n\r\n", 1)
    cte = re.search(rb"Content-Transfer-Encoding: (\S+)", head)
    assert cte is not None
    # decoders may give CRLF or LF line breaks (RFC 2046 4.1.1: CRLF is the canonical form)
    return cte.group(1).decode(), body, _lf(parse(raw).get_content())


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def test_short_ascii_lines_are_7bit() -> None:
    cte, body, text = _body(text="Hello\nworld\n")
    assert cte == "7bit"
    assert body == b"Hello\r\nworld\r\n"
    assert text == "Hello\nworld\n"


def test_an_ascii_line_over_76_is_quoted_printable_with_crlf_soft_breaks() -> None:
    cte, body, text = _body(text="x" * 200)
    assert cte == "quoted-printable"
    assert b"=\r\n" in body
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert text == "x" * 200


def test_a_little_non_ascii_is_quoted_printable() -> None:
    cte, _, text = _body(text="Café au lait, please.")
    assert cte == "quoted-printable"
    assert text == "Café au lait, please."


def test_mostly_non_ascii_is_base64() -> None:
    cte, body, text = _body(text="Привет мир " * 50)
    assert cte == "base64"
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert text == "Привет мир " * 50


@pytest.mark.parametrize("forced", ["base64", "quoted-printable"])
def test_text_encoding_forces_the_encoding(forced: str) -> None:
    cte, _, text = _body(text="plain ascii\n", text_encoding=forced)
    assert cte == forced
    assert text == "plain ascii\n"


def test_trailing_whitespace_is_kept_by_quoted_printable() -> None:
    _, body, text = _body(text="end with spaces   \nnext é\n", text_encoding="quoted-printable")
    assert b"=20\r\n" in body
    assert text == "end with spaces   \nnext é\n"


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 57 * 2, 57 * 100, 57 * 100 + 1])
def test_base64_lines_are_76_characters_and_never_leave_an_empty_line(size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    encoded = base64_lines(data[:size])
    lines = encoded.split(b"\r\n")
    assert all(len(line) == 76 for line in lines[:-1])
    assert 0 < len(lines[-1]) <= 76 or size == 0
    assert binascii.a2b_base64(encoded.replace(b"\r\n", b"")) == data[:size]


def test_qp_of_text_without_a_final_newline_uses_crlf_soft_breaks() -> None:
    encoded = qp(b"y" * 100)
    assert encoded == b"y" * 75 + b"=\r\n" + b"y" * 25


@pytest.mark.parametrize(
    "text",
    ["a\rb\nc\r\nd", "\n\n\r\r", "x" * 100 + "\r", "é\r" * 40],
    ids=["mixed", "only", "long", "cr-unicode"],
)
def test_no_bare_cr_or_lf_reaches_the_wire(text: str) -> None:
    raw = compose(
        Message(
            from_="s@example.com",
            to="r@example.org",
            text=text,
            html=text,
            attachments=[Attachment(filename="a.txt", content=text)],
        )
    ).raw
    assert not BARE_NEWLINE.search(raw)
    assert _lf(parse(raw).get_body(("plain",)).get_content()) == text.replace("\r\n", "\n").replace(
        "\r", "\n"
    )


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=2000))
def test_quoted_printable_lines_are_at_most_76_and_decode_back(text: str) -> None:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = qp(data)
    assert not BARE_NEWLINE.search(encoded)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert binascii.a2b_qp(encoded).replace(b"\r\n", b"\n") == data
