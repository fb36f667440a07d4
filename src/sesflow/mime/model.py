"""The message model: frozen values describing what to compose, and what compose returns.

Nothing here validates or encodes; ``compose`` does that in one pass, so a refused message leaves nothing
half-built. Field names follow Nodemailer's message options (snake_case; ``from_`` because ``from`` is a
Python keyword).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = [
    "Address",
    "AddressInput",
    "Addresses",
    "Attachment",
    "Composed",
    "DkimOptions",
    "Envelope",
    "Group",
    "HeaderValue",
    "IcalEvent",
    "Message",
]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: an optional display name and an address (``local@domain``)."""

    address: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """An RFC 5322 group (``Friends: a@b, c@d;``): a display name and its members (may be empty)."""

    name: str
    members: tuple[AddressInput, ...] = ()


AddressInput: TypeAlias = "str | tuple[str, str] | Address | Group"
"""``"a@b"``, ``"Name <a@b>"``, ``("Name", "a@b")``, an ``Address`` or a ``Group``.

A string may also hold a comma separated list or group syntax (``"Team: a@b, c@d;"``).
"""

Addresses: TypeAlias = "AddressInput | Sequence[AddressInput] | None"
"""One address input or a list of them."""

HeaderValue: TypeAlias = "str | Sequence[str]"
"""A header value; a list gives the header once per value, in order."""


@dataclass(frozen=True)
class Attachment:
    """One attachment (or alternative body) of a message, like Nodemailer's attachment object.

    Exactly one source is used, in this order: ``raw`` (a complete MIME part, headers and body),
    ``content`` (bytes; a str decoded with ``encoding`` — ``base64``, ``hex``, ``binary``/``latin1`` or a text
    codec, utf-8 by default — or a ``data:`` URL), ``path`` (a local file, or an http(s)/data URL), ``href``
    (an http(s) or data URL). ``filename=False`` sends no file name. ``cid`` makes an inline part that HTML
    can reference as ``cid:...``.
    """

    filename: str | Literal[False] | None = None
    content: bytes | str | None = None
    encoding: str | None = None
    path: str | os.PathLike[str] | None = None
    href: str | None = None
    content_type: str | None = None
    content_disposition: Literal["attachment", "inline"] | None = None
    cid: str | None = None
    headers: Mapping[str, HeaderValue] | None = None
    raw: bytes | str | None = None


@dataclass(frozen=True)
class IcalEvent:
    """A calendar event (RFC 5545 text): sent as a ``text/calendar`` alternative and an ``.ics`` attachment.

    ``method`` is the iTIP method (``REQUEST``, ``CANCEL``, ``PUBLISH``...); by default the ``METHOD`` the
    iCalendar text itself states (RFC 6047 wants the two equal), else ``PUBLISH``. ``content`` is the
    iCalendar text, or ``path``/``href`` to read it from.
    """

    content: str | bytes | None = None
    method: str | None = None
    filename: str = "invite.ics"
    path: str | os.PathLike[str] | None = None
    href: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class DkimOptions:
    """DKIM signing settings (RFC 6376), applied by dkimpy to the composed bytes.

    ``private_key`` is a PEM RSA key for ``rsa-sha256``, or the base64 32-byte seed for ``ed25519-sha256``.
    ``skip_fields`` are header names left unsigned: by default Message-ID and Date, which SES may replace.
    ``header_fields`` restricts signing to these header names (default: every header present but the
    skipped ones).
    """

    domain: str
    selector: str
    private_key: str | bytes
    algorithm: Literal["rsa-sha256", "ed25519-sha256"] = "rsa-sha256"
    skip_fields: tuple[str, ...] = ("message-id", "date")
    header_fields: tuple[str, ...] | None = None
    canonicalization: tuple[Literal["relaxed", "simple"], Literal["relaxed", "simple"]] = (
        "relaxed",
        "relaxed",
    )


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope: ``from_`` (bounce address) and ``to`` (every recipient, bare, de-duplicated)."""

    from_: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Message:
    """A message to compose: Nodemailer's message options as one frozen value.

    ``to``/``cc``/``bcc``/``reply_to`` take one address input or a list; ``from_`` and ``sender`` one
    address. ``list`` takes Nodemailer's ``list`` option (``{"unsubscribe": [...], "id": ..., ...}``) plus
    ``"one_click": True`` for ``List-Unsubscribe-Post`` (RFC 8058). ``envelope`` overrides the computed
    envelope (``{"from": ..., "to": [...]}`` or an ``Envelope``). ``raw`` is a complete message used as
    is (the address fields still give the envelope). ``ses`` holds per-message SES send options for the
    sending side; compose ignores it. Custom ``headers`` follow the rule in ``sesflow.mime``'s docstring.
    """

    from_: AddressInput | None = None
    to: Addresses = None
    cc: Addresses = None
    bcc: Addresses = None
    reply_to: Addresses = None
    sender: AddressInput | None = None
    in_reply_to: str | None = None
    references: str | Sequence[str] | None = None
    subject: str | None = None
    text: str | bytes | None = None
    html: str | bytes | None = None
    amp: str | bytes | None = None
    watch_html: str | bytes | None = None
    alternatives: Sequence[Attachment] = ()
    attachments: Sequence[Attachment] = ()
    ical_event: IcalEvent | None = None
    headers: Mapping[str, HeaderValue] | None = None
    list: Mapping[str, Any] | None = None
    priority: Literal["high", "normal", "low"] = "normal"
    message_id: str | None = None
    date: _dt.datetime | str | None = None
    envelope: Envelope | Mapping[str, Any] | None = None
    text_encoding: Literal["auto", "quoted-printable", "base64"] = "auto"
    raw: bytes | str | None = None
    dkim: DkimOptions | Mapping[str, Any] | None = None
    disable_file_access: bool = False
    disable_url_access: bool = False
    ses: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Composed:
    """A composed message: ``raw`` RFC 5322 bytes (CRLF), its ``envelope`` and ``message_id`` (``<...>``)."""

    raw: bytes
    envelope: Envelope
    message_id: str
