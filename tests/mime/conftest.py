"""Fixtures for the mime tests: composing and parsing back with Python's email parser."""

from __future__ import annotations

import email
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default

import pytest

from sesflow import Message, compose


def parse(raw: bytes) -> EmailMessage:
    """``raw`` parsed by Python's email parser (policy.default); UTF-8 headers parsed as text (RFC 6532)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    msg = (
        email.message_from_bytes(raw, policy=default)
        if head.isascii()
        else email.message_from_string(raw.decode("utf-8"), policy=default)
    )
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture
def roundtrip() -> Callable[..., EmailMessage]:
    """Compose a Message built from keyword arguments (with a default from/to) and parse it back."""

    def build(**fields: object) -> EmailMessage:
        fields.setdefault("from_", "sender@example.com")
        fields.setdefault("to", "rcpt@example.org")
        return parse(compose(Message(**fields)).raw)  # type: ignore[arg-type]

    return build


def header_block(raw: bytes) -> str:
    """The top-level header block of ``raw`` as text."""
    return raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")


def structure(msg: EmailMessage) -> object:
    """The MIME tree as nested (content type, [children]) tuples, leaves as their content type."""
    if msg.is_multipart() and msg.get_content_type() != "message/rfc822":
        return (msg.get_content_type(), [structure(p) for p in msg.iter_parts()])  # type: ignore[arg-type]
    return msg.get_content_type()
