"""The raw message SES would send for a formatted (``Simple``) or templated send, so that every stored
message has MIME bytes the inspection page, ``/raw`` and the List-Unsubscribe logic can read.

The common case (text and/or HTML, plain headers, no attachments) is written directly as bytes: the
stdlib ``email`` package takes milliseconds a message, which capped bulk sends at a few hundred
destinations a second. Anything else (attachments) goes through ``email``. The emulator imports nothing of
sesflow's own composer.
"""

from __future__ import annotations

import binascii
import codecs
import email.header
import email.message
import email.policy
import email.utils
import os
from typing import Any

_ENCODINGS = {"BASE64": "base64", "QUOTED_PRINTABLE": "quoted-printable", "SEVEN_BIT": "7bit"}


def _charset(part: dict[str, Any] | None) -> str:
    """A part's charset; one Python does not know is refused (``ValueError``) as SES refuses it."""
    name = str((part or {}).get("Charset") or "utf-8")
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(f"Unknown charset <{name}>.") from None
    return name


def compose(*args: Any, **kwargs: Any) -> bytes:
    """A MIME message (see ``_compose``); input that cannot make a message raises ``ValueError``."""
    try:
        if not kwargs.get("attachments"):
            return _direct(*args, **kwargs)
        return _compose(*args, **kwargs)
    except (TypeError, LookupError, IndexError, AttributeError) as exc:
        raise ValueError(f"The message cannot be built: {exc}.") from None


def _header(name: str, value: str, charset: str = "utf-8") -> bytes:
    value = " ".join(value.split())  # a header holds no line breaks
    if "\r" in name or "\n" in name or ":" in name:
        raise ValueError(f"Invalid header name {name!r}.")
    if not value.isascii():
        value = email.header.Header(value, charset, header_name=name).encode()
    return f"{name}: {value}\r\n".encode()


def _addresses(name: str, values: list[str]) -> bytes:
    """An address header; display names that are not ASCII become encoded words (the address stays)."""
    shown = []
    for value in values:
        if value.isascii():
            shown.append(" ".join(value.split()))
        else:
            display, address = email.utils.parseaddr(value)
            shown.append(email.utils.formataddr((display, address), "utf-8") if address else value)
    return _header(name, ", ".join(shown))


def _part(content: str, subtype: str, charset: str) -> bytes:
    """One text part: 7bit when it is short-lined ASCII, else quoted-printable of the charset's bytes."""
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if content.isascii() and all(len(line) <= 998 for line in lines):
        body, encoding = "\r\n".join(lines).encode(), "7bit"
    else:
        data = "\n".join(lines).encode(charset)
        body = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
        encoding = "quoted-printable"
    head = f'Content-Type: text/{subtype}; charset="{charset}"\r\nContent-Transfer-Encoding: {encoding}\r\n'
    return head.encode() + b"\r\n" + body + b"\r\n"


def _direct(
    from_address: str,
    to: list[str],
    cc: list[str],
    subject: str,
    text: str | None,
    html: str | None,
    *,
    reply_to: list[str] | None = None,
    headers: list[dict[str, str]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    charsets: tuple[str, str, str] = ("utf-8", "utf-8", "utf-8"),
    when: float | None = None,
) -> bytes:
    """The same message as ``_compose`` for text/HTML without attachments, written as bytes."""
    out = [_addresses("From", [from_address])]
    if to:
        out.append(_addresses("To", to))
    if cc:
        out.append(_addresses("Cc", cc))
    if reply_to:
        out.append(_addresses("Reply-To", reply_to))
    out.append(_header("Subject", subject, charsets[0]))
    out.append(_header("Date", email.utils.formatdate(when, usegmt=True)))
    out.append(b"MIME-Version: 1.0\r\n")
    for header in headers or []:
        out.append(_header(header["Name"], header["Value"]))
    parts = []
    if text is not None:
        parts.append(_part(text, "plain", charsets[1]))
    if html is not None:
        parts.append(_part(html, "html", charsets[2]))
    if not parts:
        parts.append(_part("", "plain", "utf-8"))
    if len(parts) == 1:
        return b"".join(out) + parts[0]
    boundary = f"=_sesflow_{binascii.hexlify(_random(12)).decode()}"
    out.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode())
    for part in parts:
        out.append(f"--{boundary}\r\n".encode() + part)
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _random(size: int) -> bytes:
    return os.urandom(size)


def _compose(
    from_address: str,
    to: list[str],
    cc: list[str],
    subject: str,
    text: str | None,
    html: str | None,
    *,
    reply_to: list[str] | None = None,
    headers: list[dict[str, str]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    charsets: tuple[str, str, str] = ("utf-8", "utf-8", "utf-8"),
    when: float | None = None,
) -> bytes:
    """A MIME message: text and/or HTML alternatives, extra headers, attachments (inline or not)."""
    message = email.message.EmailMessage()
    message["From"] = from_address
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = ", ".join(reply_to)
    message["Subject"] = " ".join(subject.split())  # a header holds no line breaks
    message["Date"] = email.utils.formatdate(when, usegmt=True)
    message["MIME-Version"] = "1.0"
    for header in headers or []:
        message[header["Name"]] = header["Value"]
    if text is not None:
        message.set_content(text, charset=charsets[1])
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html", charset=charsets[2])
        else:
            message.add_alternative(html, subtype="html", charset=charsets[2])
    if text is None and html is None:
        message.set_content("")
    for attachment in attachments or []:
        _attach(message, attachment)
    return message.as_bytes(policy=email.policy.SMTP)


def _attach(message: email.message.EmailMessage, attachment: dict[str, Any]) -> None:
    content_type = str(attachment.get("ContentType") or "application/octet-stream")
    maintype, _, subtype = content_type.partition("/")
    disposition = "inline" if attachment.get("ContentDisposition") == "INLINE" else "attachment"
    raw = attachment.get("RawContent") or b""
    message.add_attachment(
        raw if isinstance(raw, bytes) else str(raw).encode(),
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        filename=attachment.get("FileName"),
        disposition=disposition,
        cid=f"<{attachment['ContentId']}>" if attachment.get("ContentId") else None,
    )
    parts = message.get_payload()
    assert isinstance(parts, list)
    part = parts[-1]
    assert isinstance(part, email.message.Message)
    if attachment.get("ContentDescription"):
        part["Content-Description"] = attachment["ContentDescription"]
    wanted = _ENCODINGS.get(str(attachment.get("ContentTransferEncoding") or ""))
    if wanted and wanted != "base64":
        part.replace_header("Content-Transfer-Encoding", wanted)
        part.set_payload(raw.decode("latin-1") if isinstance(raw, bytes) else str(raw))


def simple_message(
    from_address: str, to: list[str], cc: list[str], simple: dict[str, Any], reply_to: list[str] | None
) -> bytes:
    """The message of a v2 ``Simple`` / v1 ``SendEmail`` body."""
    subject = simple.get("Subject") or {}
    body = simple.get("Body") or {}
    text, html = body.get("Text"), body.get("Html")
    return compose(
        from_address,
        to,
        cc,
        str(subject.get("Data", "")),
        None if text is None else str(text.get("Data", "")),
        None if html is None else str(html.get("Data", "")),
        reply_to=reply_to,
        headers=simple.get("Headers"),
        attachments=simple.get("Attachments"),
        charsets=(_charset(subject), _charset(text), _charset(html)),
    )


def rendered_preview(subject: str, text: str | None, html: str | None) -> str:
    """What TestRenderTemplate answers: the rendered message as MIME text (headers and parts)."""
    message = email.message.EmailMessage()
    message["Subject"] = " ".join(subject.split())  # a header holds no line breaks
    message["MIME-Version"] = "1.0"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_string(policy=email.policy.SMTP)
