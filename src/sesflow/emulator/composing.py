"""The raw message SES would send for a formatted (``Simple``) or templated send, so that every stored
message has MIME bytes the inspection page, ``/raw`` and the List-Unsubscribe logic can read.

Built with the stdlib ``email`` package (the emulator imports nothing of sesflow's own composer).
"""

from __future__ import annotations

import codecs
import email.message
import email.policy
import email.utils
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
    """A MIME message (see ``_compose``); input the email package cannot render raises ``ValueError``."""
    try:
        return _compose(*args, **kwargs)
    except (TypeError, LookupError, IndexError, AttributeError) as exc:
        raise ValueError(f"The message cannot be built: {exc}.") from None


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
