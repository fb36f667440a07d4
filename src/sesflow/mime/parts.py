"""Leaf parts: text bodies, alternatives, attachments and the calendar event, as ``MimeNode`` values.

Attachments are base64 (through the encoded-body cache) except message/* parts, which RFC 2046 5.2.1
forbids encoding: they are sent as 8bit with CRLF line breaks.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass

from sesflow.errors import MessageError
from sesflow.mime.cache import EncodedCache
from sesflow.mime.content import (
    ContentLimits,
    decode_str,
    fetch_url,
    is_data_url,
    is_http_url,
    parse_data_url,
    read_file,
)
from sesflow.mime.encoding import TextEncoding, base64_lines, encode_text, normalise_newlines
from sesflow.mime.headers import check_header_name, check_no_newline, fold, param_tokens, unstructured_tokens
from sesflow.mime.model import Attachment, HeaderValue, IcalEvent
from sesflow.mime.node import MimeNode
from sesflow.mime.refusal import show

__all__ = [
    "PartContext",
    "alternative_part",
    "attachment_part",
    "custom_header_lines",
    "ical_parts",
    "text_part",
]

mimetypes.init()


@dataclass(frozen=True)
class PartContext:
    """What building a part needs from the message and the caller."""

    text_encoding: TextEncoding
    disable_file_access: bool
    disable_url_access: bool
    cache: EncodedCache | None
    limits: ContentLimits


def _text_bytes(field: str, value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageError(
                f"{field}: the bytes are not valid UTF-8", hint="Pass str, or bytes encoded as UTF-8."
            ) from None
        return value
    if not isinstance(value, str):
        raise MessageError(f"{field}: {show(value)} is not text", hint="Pass str or UTF-8 bytes.")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise MessageError(
            f"{field}: the text holds a lone surrogate that UTF-8 cannot encode", hint="Fix the text."
        ) from None


def text_part(
    field: str, content_type: str, value: str | bytes, ctx: PartContext, params: list[str]
) -> MimeNode:
    """A text/* body in UTF-8, 7bit / quoted-printable / base64 as the content (or text_encoding) asks."""
    cte, body = encode_text(_text_bytes(field, value), ctx.text_encoding)
    return MimeNode(content_type, ["charset=utf-8", *params], cte, body=body)


def _split_type(field: str, value: str) -> tuple[str, list[str]]:
    check_no_newline(field, value)
    main, *params = (p.strip() for p in value.split(";"))
    main = main.lower()
    if main.count("/") != 1 or not all(main.split("/")) or " " in main:
        raise MessageError(f"{field}: {show(value)} is not a valid content type", hint="Write type/subtype.")
    return main, [p for p in params if p]


def _load(field: str, att: Attachment, ctx: PartContext) -> tuple[bytes | None, str | None, str | None]:
    """(bytes or None for a cacheable file, media type from a data:/http source, file path)."""
    content = att.content
    if content is not None:
        if isinstance(content, bytes):
            return content, None, None
        if isinstance(content, bytearray | memoryview):
            return bytes(content), None, None
        if not isinstance(content, str):
            raise MessageError(
                f"{field}.content: {type(content).__name__} is not bytes or str",
                hint="Pass bytes, str or a data: URL.",
            )
        if is_data_url(content) and att.encoding is None:
            data, media = parse_data_url(f"{field}.content", content, ctx.limits)
            return data, media, None
        return decode_str(field, content, att.encoding), None, None
    source = att.path if att.path is not None else att.href
    if source is None:
        return b"", None, None
    text = os.fspath(source)
    where = f"{field}.path" if att.path is not None else f"{field}.href"
    if is_data_url(text):
        data, media = parse_data_url(where, text, ctx.limits)
        return data, media, None
    if is_http_url(text):
        data, media = fetch_url(where, text, ctx.disable_url_access, ctx.limits)
        return data, media, None
    if att.path is None:
        raise MessageError(
            f"{where}: {show(text)} is not an http(s) or data: URL", hint="Use path= for files."
        )
    if ctx.disable_file_access:
        read_file(where, text, True)
    return None, None, text


def _base64_body(field: str, data: bytes | None, path: str | None, ctx: PartContext) -> bytes:
    if path is not None:
        if ctx.cache is None:
            return base64_lines(read_file(f"{field}.path", path, ctx.disable_file_access))
        try:
            st = os.stat(path)
        except OSError as exc:
            raise MessageError(
                f"{field}.path: {path!r} cannot be read ({exc.strerror or exc})",
                hint="Check that the file exists and is readable.",
            ) from None
        key = ("file", os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)
        return ctx.cache.for_key(key, lambda: read_file(f"{field}.path", path, False), base64_lines)
    assert data is not None
    if ctx.cache is None:
        return base64_lines(data)
    return ctx.cache.for_content("base64", data, base64_lines)


_PART_HEADERS = frozenset(
    {"content-type", "content-transfer-encoding", "content-disposition", "content-id", "mime-version"}
)


def custom_header_lines(
    field: str, headers: dict[str, HeaderValue] | None, *, of_part: bool = False
) -> list[bytes]:
    """Rendered lines for user headers (values as unstructured text, a list gives one line each).

    For a part (``of_part``), the Content-* headers compose writes itself are refused.
    """
    lines: list[bytes] = []
    for name, value in (headers or {}).items():
        check_header_name(f"{field}", name)
        if of_part and name.strip().lower() in _PART_HEADERS:
            raise MessageError(
                f"{field}: {name!r} cannot be set as a part header; it follows from the attachment's fields",
                hint="Use content_type, content_disposition, cid or filename instead.",
            )
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise MessageError(
                f"{field}[{name!r}]: {show(value)} is not a str or a list of str",
                hint="Header values are text.",
            )
        for item in values:
            lines.append(fold(name, unstructured_tokens(f"{field}[{name!r}]", item)))
    return lines


def _derived_filename(att: Attachment, index: int, content_type: str) -> str:
    source = att.path if att.path is not None else att.href
    if source is not None and not is_data_url(os.fspath(source)):
        base = os.fspath(source).replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0]
        if base:
            return base
    extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"attachment-{index + 1}{extension}"


def attachment_part(field: str, att: Attachment, index: int, ctx: PartContext) -> MimeNode:
    """An attachment (or a cid part): content type, disposition, RFC 2231 file name, body."""
    if not isinstance(att, Attachment):
        raise MessageError(
            f"{field}: {show(att)} is not an Attachment", hint="Wrap it in sesflow.Attachment(...)."
        )
    extra = custom_header_lines(f"{field}.headers", dict(att.headers) if att.headers else None, of_part=True)
    if att.raw is not None:
        raw = att.raw.encode("utf-8") if isinstance(att.raw, str) else att.raw
        return MimeNode("application/octet-stream", raw=normalise_newlines(raw).replace(b"\n", b"\r\n"))
    data, media, path = _load(field, att, ctx)
    if att.content_type:
        content_type, type_params = _split_type(f"{field}.content_type", att.content_type)
    else:
        guess_from = att.filename or (os.fspath(att.path) if att.path is not None else None) or att.href
        guessed = mimetypes.guess_type(guess_from, strict=False)[0] if guess_from else None
        content_type, type_params = guessed or media or "application/octet-stream", []
    is_message = content_type.startswith("message/")
    disposition = att.content_disposition or (
        "inline" if is_message or (content_type.startswith("image/") and att.cid) else "attachment"
    )
    if disposition not in ("inline", "attachment"):
        raise MessageError(
            f"{field}.content_disposition: {show(disposition)} is not 'inline' or 'attachment'",
            hint="Use one of those.",
        )
    filename: str | None
    if att.filename is False:
        filename = None
    elif att.filename and att.filename.strip():
        check_no_newline(f"{field}.filename", att.filename)
        filename = att.filename.strip()  # parsers drop surrounding whitespace, file systems dislike it
    else:
        filename = None if is_message else _derived_filename(att, index, content_type)
    params = list(type_params)
    disposition_tokens: list[str] = [disposition]
    if filename is not None:
        params += param_tokens("name", filename, encoded_fallback=True)
        disposition_tokens += param_tokens("filename", filename)
    headers = [fold("Content-Disposition", _semicolons(disposition_tokens))]
    if att.cid:
        cid = att.cid.strip().strip("<>")
        check_no_newline(f"{field}.cid", cid)
        if not cid or any(ch in cid for ch in ' <>\t"\\') or not cid.isascii():
            raise MessageError(
                f"{field}.cid: {att.cid!r} is not a valid Content-ID", hint="Use e.g. logo@example"
            )
        headers.append(fold("Content-ID", [f"<{cid}>"]))
    headers.extend(extra)
    if is_message:
        body = data if data is not None else read_file(f"{field}.path", path or "", ctx.disable_file_access)
        body = normalise_newlines(body).replace(b"\n", b"\r\n")
        # 8bit whatever the content: a message/* part may not be encoded (RFC 2046 5.2.1), and 8bit also
        # covers pure ASCII, so the label is right before the bytes are looked at
        return MimeNode(content_type, params, "8bit", headers, body)
    return MimeNode(content_type, params, "base64", headers, _base64_body(field, data, path, ctx))


def _semicolons(tokens: list[str]) -> list[str]:
    return [t + ";" for t in tokens[:-1]] + tokens[-1:]


def alternative_part(field: str, att: Attachment, ctx: PartContext) -> MimeNode:
    """An extra alternative body (e.g. text/x-web-markdown): text/* as text, anything else base64."""
    if not isinstance(att, Attachment):
        raise MessageError(
            f"{field}: {show(att)} is not an Attachment", hint="Wrap it in sesflow.Attachment(...)."
        )
    if att.raw is not None:
        return attachment_part(field, att, 0, ctx)
    data, media, path = _load(field, att, ctx)
    if data is None:
        data = read_file(f"{field}.path", path or "", ctx.disable_file_access)
    if att.content_type:
        content_type, params = _split_type(f"{field}.content_type", att.content_type)
    else:
        guess_from = att.filename or (os.fspath(att.path) if att.path is not None else None) or att.href
        guessed = mimetypes.guess_type(guess_from, strict=False)[0] if guess_from else None
        content_type, params = guessed or media or "text/plain", []
    extra = custom_header_lines(f"{field}.headers", dict(att.headers) if att.headers else None, of_part=True)
    if content_type.startswith("text/"):
        params = [p for p in params if not p.lower().startswith("charset=")]
        node = text_part(field, content_type, data, ctx, params)
    else:
        node = MimeNode(content_type, params, "base64", body=base64_lines(data))
    node.headers.extend(extra)
    return node


def _stated_method(data: bytes) -> str | None:
    """The ``METHOD`` property of the calendar (RFC 5545 3.7.2), if the text states one."""
    for line in data.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon and name.strip().upper() == b"METHOD":
            return value.strip().decode("ascii", "replace")
        if line.upper().startswith(b"BEGIN:VEVENT"):  # calendar properties come before the components
            return None
    return None


def ical_parts(field: str, event: IcalEvent, ctx: PartContext) -> tuple[MimeNode, MimeNode]:
    """The ``text/calendar; method=...`` alternative and the ``application/ics`` attachment."""
    if not isinstance(event, IcalEvent):
        raise MessageError(
            f"{field}: {show(event)} is not an IcalEvent", hint="Wrap it in sesflow.IcalEvent(...)."
        )
    source = Attachment(content=event.content, encoding=event.encoding, path=event.path, href=event.href)
    data, _, path = _load(field, source, ctx)
    if data is None:
        data = read_file(f"{field}.path", path or "", ctx.disable_file_access)
    data = normalise_newlines(data).replace(b"\n", b"\r\n")  # RFC 5545 3.1: lines end with CRLF
    method = (event.method or _stated_method(data) or "PUBLISH").strip().upper()
    if not method.isascii() or not method.replace("-", "").isalnum():
        raise MessageError(f"{field}.method: {method!r} is not an iTIP method", hint="e.g. REQUEST.")
    alternative = text_part(field, "text/calendar", data, ctx, [f"method={method}"])
    filename = event.filename or "invite.ics"
    check_no_newline(f"{field}.filename", filename)
    attachment = MimeNode(
        "application/ics",
        param_tokens("name", filename, encoded_fallback=True),
        "base64",
        [fold("Content-Disposition", _semicolons(["attachment", *param_tokens("filename", filename)]))],
        base64_lines(data),
    )
    return alternative, attachment
