"""``compose(message) -> Composed``: validate a ``Message`` and build its RFC 5322 bytes in one pass.

Top-level headers come first (From, Sender, To, Cc, Reply-To, In-Reply-To, References, Subject,
Message-ID, Date, list, priority, custom), then MIME-Version and the body tree decided by ``tree.shape``.
Bcc is never written. Pure and thread-safe: the only shared state is the encoded-body cache (locked).
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import itertools
import re
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sesflow.errors import MessageError
from sesflow.mime.addresses import bare_addresses, format_tokens, parse_addresses, to_ascii_domain
from sesflow.mime.cache import DEFAULT_CACHE, EncodedCache
from sesflow.mime.content import ContentLimits
from sesflow.mime.dkim import dkim_options, sign
from sesflow.mime.encoding import normalise_newlines
from sesflow.mime.headers import check_no_newline, fold, unstructured_tokens
from sesflow.mime.lists import list_header_lines
from sesflow.mime.model import Address, Composed, Envelope, Group, Message
from sesflow.mime.node import MimeNode
from sesflow.mime.parts import (
    PartContext,
    alternative_part,
    attachment_part,
    custom_header_lines,
    ical_parts,
    text_part,
)
from sesflow.mime.refusal import show
from sesflow.mime.tree import shape

__all__ = ["PROTECTED_HEADERS", "compose"]

PROTECTED_HEADERS: dict[str, str] = {
    "from": "set Message.from_",
    "to": "set Message.to",
    "cc": "set Message.cc",
    "bcc": "set Message.bcc (Bcc is never written into the message)",
    "message-id": "set Message.message_id",
    "date": "set Message.date",
    "mime-version": "it is always 1.0 and written by compose",
    "content-type": "it follows from the message structure",
    "content-transfer-encoding": "it is chosen per part (see Message.text_encoding)",
}
"""Header names ``Message.headers`` may never hold, with what to do instead."""

# headers written from a Message field: a custom header of the same name is refused only when the field
# is also set (so nothing is silently replaced), and used as given otherwise
_FIELD_HEADERS: dict[str, str] = {
    "subject": "subject",
    "sender": "sender",
    "reply-to": "reply_to",
    "in-reply-to": "in_reply_to",
    "references": "references",
    "x-priority": "priority",
    "x-msmail-priority": "priority",
    "importance": "priority",
}

_PRIORITY: dict[str, list[bytes]] = {
    "high": [b"X-Priority: 1 (Highest)\r\n", b"X-MSMail-Priority: High\r\n", b"Importance: High\r\n"],
    "normal": [],
    "low": [b"X-Priority: 5 (Lowest)\r\n", b"X-MSMail-Priority: Low\r\n", b"Importance: Low\r\n"],
}
_MSG_ID = re.compile(r"<?([^<>@\s\"]+@[^<>@\s\"]+)>?")


def _message_id(field: str, value: str) -> str:
    if not isinstance(value, str):
        raise MessageError(f"{field}: {show(value)} is not a str", hint="Write <unique@domain>.")
    check_no_newline(field, value)
    match = _MSG_ID.fullmatch(value.strip())
    if not match or not match.group(1).isascii():
        raise MessageError(f"{field}: {show(value)} is not a valid message id", hint="Write <unique@domain>.")
    return f"<{match.group(1)}>"


def _date(value: _dt.datetime | str | None) -> str:
    if value is None:
        return email.utils.format_datetime(_dt.datetime.now(_dt.UTC))
    if isinstance(value, _dt.datetime):
        return email.utils.format_datetime(value if value.tzinfo else value.replace(tzinfo=_dt.UTC))
    if isinstance(value, str):
        check_no_newline("date", value)
        try:
            email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            raise MessageError(
                f"date: {show(value)} is not an RFC 5322 date", hint="Pass a datetime."
            ) from None
        return value.strip()
    raise MessageError(f"date: {show(value)} is not a datetime or a str", hint="Pass a datetime.")


def _single(field: str, value: Any) -> Address | None:
    items = parse_addresses(field, value)
    if not items:
        return None
    if len(items) != 1 or isinstance(items[0], Group):
        raise MessageError(f"{field}: {show(value)} must be exactly one address", hint="Pass one address.")
    return items[0]


def _dedupe(addresses: Sequence[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return tuple(out)


def _envelope(message: Message, sender: Address | None, from_: Address | None, rcpt: list[str]) -> Envelope:
    given = message.envelope
    if given is None:
        chosen = sender or from_
        if chosen is None:
            raise MessageError("from_: a sender address is required", hint="Set Message.from_.")
        return Envelope(from_=chosen.address, to=_dedupe(rcpt))
    if isinstance(given, Envelope):
        given = {"from": given.from_, "to": list(given.to)}
    if not isinstance(given, Mapping):
        raise MessageError(
            f"envelope: {show(given)} is not an Envelope or a mapping",
            hint='Write {"from": ..., "to": [...]}.',
        )
    env_from = _single("envelope.from", given.get("from") or given.get("from_"))
    env_from = env_from or sender or from_
    if env_from is None:
        raise MessageError("envelope.from: a sender address is required", hint="Set envelope['from'].")
    to: list[str] = []
    for key in ("to", "cc", "bcc"):
        to += bare_addresses(parse_addresses(f"envelope.{key}", given.get(key)))
    return Envelope(
        from_=env_from.address, to=_dedupe(to if any(k in given for k in ("to", "cc", "bcc")) else rcpt)
    )


def _id_domain(address: Address | None) -> str:
    if address is None:
        return "sesflow.invalid"
    domain = address.address.rpartition("@")[2]
    try:
        return domain if domain.isascii() else to_ascii_domain(domain)
    except UnicodeError:
        return "sesflow.invalid"


def _custom_headers(message: Message, list_names: list[str]) -> list[bytes]:
    headers = message.headers
    if not headers:
        return []
    if not isinstance(headers, Mapping):
        raise MessageError(
            f"headers: {show(headers)} is not a mapping of name to value", hint='Write {"X-Name": "value"}.'
        )
    seen: set[str] = set()
    for name in headers:
        key = str(name).strip().lower()
        if key in seen:
            raise MessageError(
                f"headers: {name!r} is given twice (names are case-insensitive)", hint="Keep one of them."
            )
        seen.add(key)
        if key in PROTECTED_HEADERS:
            raise MessageError(
                f"headers: {name!r} cannot be set as a custom header; {PROTECTED_HEADERS[key]}",
                hint="See the custom header rule in the sesflow.mime documentation.",
            )
        field = _FIELD_HEADERS.get(key)
        if field is not None and getattr(message, field) not in (None, "", "normal"):
            raise MessageError(
                f"headers: {name!r} conflicts with Message.{field}, which is also set",
                hint=f"Set only one of headers[{name!r}] and Message.{field}.",
            )
        if key in list_names:
            raise MessageError(
                f"headers: {name!r} conflicts with Message.list, which also sets it",
                hint="Set it in one place.",
            )
    return custom_header_lines("headers", dict(headers))


def _raw_message(message: Message, message_id: str) -> tuple[bytes, str]:
    """The given raw message with CRLF line breaks, and its Message-ID (added when it has none)."""
    raw = message.raw.encode("utf-8") if isinstance(message.raw, str) else message.raw
    if not isinstance(raw, bytes):
        raise MessageError("raw: the value is not bytes or str", hint="Pass the whole message as bytes.")
    raw = normalise_newlines(raw).replace(b"\n", b"\r\n")
    head = raw.split(b"\r\n\r\n", 1)[0]
    found = re.search(rb"(?im)^message-id:[ \t]*(<[^>\r\n]+>)", head)
    if found:
        return raw, found.group(1).decode("ascii", "replace")
    if re.search(rb"(?im)^message-id:", head):
        return raw, message_id  # an unusual Message-ID is kept as written
    return b"Message-ID: " + message_id.encode("ascii") + b"\r\n" + raw, message_id


def _header_lines(
    message: Message,
    from_: Address | None,
    sender: Address | None,
    recipients: dict[str, list[Address | Group]],
    message_id: str,
) -> list[bytes]:
    """Every top-level header line, in order, ending with the custom headers."""
    lines: list[bytes] = []
    if from_ is not None:
        lines.append(fold("From", format_tokens([from_])))
    if sender is not None:
        lines.append(fold("Sender", format_tokens([sender])))
    for name, items in recipients.items():
        if items:
            lines.append(fold(name, format_tokens(items)))
    if message.in_reply_to:
        lines.append(fold("In-Reply-To", [_message_id("in_reply_to", message.in_reply_to)]))
    if message.references:
        refs = message.references.split() if isinstance(message.references, str) else list(message.references)
        lines.append(fold("References", [_message_id("references", ref) for ref in refs]))
    if message.subject is not None:
        if not isinstance(message.subject, str):
            raise MessageError(f"subject: {show(message.subject)} is not a str", hint="Pass text.")
        lines.append(fold("Subject", unstructured_tokens("subject", message.subject)))
    lines.append(b"Message-ID: " + message_id.encode("ascii") + b"\r\n")
    lines.append(b"Date: " + _date(message.date).encode("ascii") + b"\r\n")
    list_names: list[str] = []
    if message.list:
        list_names, list_lines = list_header_lines(message.list)
        lines.extend(list_lines)
    if message.priority not in _PRIORITY:
        raise MessageError(
            f"priority: {show(message.priority)} is not 'high', 'normal' or 'low'", hint="Use one of those."
        )
    lines.extend(_PRIORITY[message.priority])
    lines.extend(_custom_headers(message, list_names))
    return lines


def compose(
    message: Message,
    *,
    cache: EncodedCache | None = DEFAULT_CACHE,
    limits: ContentLimits | None = None,
) -> Composed:
    """Build ``message`` into RFC 5322 bytes (CRLF) with its envelope and Message-ID.

    ``cache`` reuses encoded attachment bodies across calls (``None`` disables it); ``limits`` caps URL
    and data: URL content. Raises MessageError, naming the field and value, for anything it refuses.
    """
    if not isinstance(message, Message):
        raise MessageError(
            f"message: {show(message)} is not a sesflow.Message", hint="Build a sesflow.Message(...)."
        )
    from_ = _single("from_", message.from_)
    sender = _single("sender", message.sender)
    to = parse_addresses("to", message.to)
    cc = parse_addresses("cc", message.cc)
    bcc = parse_addresses("bcc", message.bcc)
    reply_to = parse_addresses("reply_to", message.reply_to)
    envelope = _envelope(
        message, sender, from_, bare_addresses(to) + bare_addresses(cc) + bare_addresses(bcc)
    )
    message_id = (
        _message_id("message_id", message.message_id)
        if message.message_id
        else f"<{uuid.uuid4()}@{_id_domain(from_ or sender)}>"
    )
    lines = _header_lines(message, from_, sender, {"To": to, "Cc": cc, "Reply-To": reply_to}, message_id)
    if message.raw is not None:
        raw, message_id = _raw_message(message, message_id)
    else:
        lines.append(b"MIME-Version: 1.0\r\n")
        _body_tree(message, cache, limits or ContentLimits()).render(lines, _boundaries())
        raw = b"".join(lines)
    if message.dkim is not None:
        raw = sign(raw, dkim_options(message.dkim))
    return Composed(raw=raw, envelope=envelope, message_id=message_id)


def _boundaries() -> Callable[[], str]:
    seed = secrets.token_hex(12)
    counter = itertools.count(1)
    return lambda: f"--_sesflow_{seed}_{next(counter)}"


def _body_tree(message: Message, cache: EncodedCache | None, limits: ContentLimits) -> MimeNode:
    if message.text_encoding not in ("auto", "quoted-printable", "base64"):
        raise MessageError(
            f"text_encoding: {show(message.text_encoding)} is not 'auto', 'quoted-printable' or 'base64'",
            hint="Use one of those.",
        )
    ctx = PartContext(
        message.text_encoding, message.disable_file_access, message.disable_url_access, cache, limits
    )
    alternatives: list[MimeNode] = []
    if message.text is not None:
        alternatives.append(text_part("text", "text/plain", message.text, ctx, []))
    if message.watch_html is not None:
        alternatives.append(text_part("watch_html", "text/watch-html", message.watch_html, ctx, []))
    if message.amp is not None:
        alternatives.append(text_part("amp", "text/x-amp-html", message.amp, ctx, []))
    attached: list[MimeNode] = []
    if message.ical_event is not None:
        calendar, invite = ical_parts("ical_event", message.ical_event, ctx)
        alternatives.append(calendar)
    for index, alternative in enumerate(message.alternatives or ()):
        alternatives.append(alternative_part(f"alternatives[{index}]", alternative, ctx))
    html = text_part("html", "text/html", message.html, ctx, []) if message.html is not None else None
    if html is not None:
        alternatives.append(html)
    related: list[MimeNode] = []
    for index, attachment in enumerate(message.attachments or ()):
        node = attachment_part(f"attachments[{index}]", attachment, index, ctx)
        (related if html is not None and getattr(attachment, "cid", None) else attached).append(node)
    if message.ical_event is not None:
        attached.append(invite)
    return shape(alternatives, html, related, attached)
