"""Where part content comes from: bytes, str (+ encoding), data: URLs, local files and http(s) URLs.

File and URL access can be switched off per message (``disable_file_access``, ``disable_url_access``).
URL fetches have a timeout and a size cap; data: URLs a size cap, and are parsed in linear time (no
regular expression runs over the payload).
"""

from __future__ import annotations

import binascii
import codecs
import os
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from sesflow.errors import MessageError
from sesflow.mime.refusal import show

__all__ = [
    "ContentLimits",
    "decode_str",
    "fetch_url",
    "is_data_url",
    "is_http_url",
    "parse_data_url",
    "read_file",
]


@dataclass(frozen=True)
class ContentLimits:
    """Caps for content read from outside the message: URL timeout (s) and sizes (bytes).

    The defaults follow SES's 40 MB message size limit.
    """

    fetch_timeout: float = 10.0
    max_fetch_bytes: int = 40 * 1024 * 1024
    max_data_url_bytes: int = 40 * 1024 * 1024


def is_data_url(value: object) -> bool:
    """Whether ``value`` is a str starting with ``data:`` (case-insensitive)."""
    return isinstance(value, str) and value[:5].lower() == "data:"


def is_http_url(value: object) -> bool:
    """Whether ``value`` is a str starting with ``http://`` or ``https://`` (case-insensitive)."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def decode_str(field: str, content: str, encoding: str | None) -> bytes:
    """Bytes of str content: ``base64``, ``hex``, ``binary``/``latin1``, or a text codec (utf-8 default)."""
    name = (encoding or "utf-8").lower().replace("_", "-")
    try:
        if name == "base64":
            return binascii.a2b_base64(content.encode("ascii"))
        if name == "hex":
            return bytes.fromhex(content)
        if name in ("binary", "latin1", "latin-1"):
            return content.encode("latin-1")
        codecs.lookup(name)
        return content.encode(name)
    except LookupError:
        raise MessageError(
            f"{field}.encoding: {show(encoding)} is not a known encoding",
            hint="Use base64, hex, binary or a text codec such as utf-8.",
        ) from None
    except (ValueError, UnicodeError):
        raise MessageError(
            f"{field}.content: the value is not valid {encoding or 'utf-8'} content",
            hint="Check the content against the encoding you named.",
        ) from None


def parse_data_url(field: str, url: str, limits: ContentLimits) -> tuple[bytes, str | None]:
    """(bytes, media type or None) of a ``data:[<type>][;base64],<data>`` URL."""
    if len(url) > limits.max_data_url_bytes * 4 // 3 + 1024:
        raise MessageError(
            f"{field}: the data: URL is larger than the {limits.max_data_url_bytes}-byte cap",
            hint="Attach large content as bytes or a file path instead.",
        )
    header, comma, payload = url[5:].partition(",")
    if not comma or len(header) > 1024:
        raise MessageError(
            f"{field}: {url[:60]!r} is not a valid data: URL",
            hint="Write data:[<media type>][;base64],<data>.",
        )
    params = [p.strip() for p in header.split(";")]
    is_base64 = bool(params) and params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    media_type = params[0].lower() if params and "/" in params[0] else None
    try:
        data = binascii.a2b_base64(payload.encode("ascii")) if is_base64 else unquote_to_bytes(payload)
    except (ValueError, UnicodeError):
        raise MessageError(
            f"{field}: the data: URL holds invalid base64",
            hint="Check the payload after the comma.",
        ) from None
    if len(data) > limits.max_data_url_bytes:
        raise MessageError(
            f"{field}: the data: URL is larger than the {limits.max_data_url_bytes}-byte cap",
            hint="Attach large content as bytes or a file path instead.",
        )
    return data, media_type


def read_file(field: str, path: str | os.PathLike[str], disabled: bool) -> bytes:
    """The bytes of a local file, unless file access is disabled for the message."""
    if disabled:
        raise MessageError(
            f"{field}: {os.fspath(path)!r} is a file path, and file access is disabled for this message",
            hint="Pass the content as bytes, or set disable_file_access=False.",
        )
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise MessageError(
            f"{field}: {os.fspath(path)!r} cannot be read ({exc.strerror or exc})",
            hint="Check that the file exists and is readable.",
        ) from None


def fetch_url(field: str, url: str, disabled: bool, limits: ContentLimits) -> tuple[bytes, str | None]:
    """(bytes, content type or None) fetched from an http(s) URL, with a timeout and a size cap."""
    if disabled:
        raise MessageError(
            f"{field}: {url!r} is a URL, and URL access is disabled for this message",
            hint="Pass the content as bytes, or set disable_url_access=False.",
        )
    import httpx  # only messages with URL attachments pay for importing httpx

    try:
        with (
            httpx.Client(timeout=limits.fetch_timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise MessageError(
                    f"{field}: {url!r} answered HTTP {response.status_code}",
                    hint="Check the URL; only a 200 answer is attached.",
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_fetch_bytes:
                raise _too_large(field, url, limits)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_fetch_bytes:
                    raise _too_large(field, url, limits)
                chunks.append(chunk)
            media = response.headers.get("content-type")
            return b"".join(chunks), media.split(";")[0].strip().lower() if media else None
    except httpx.TimeoutException:
        raise MessageError(
            f"{field}: {url!r} did not answer within {limits.fetch_timeout} s",
            hint="Check the URL or raise ContentLimits.fetch_timeout.",
        ) from None
    except httpx.HTTPError as exc:
        raise MessageError(f"{field}: {url!r} could not be fetched ({exc})", hint="Check the URL.") from None


def _too_large(field: str, url: str, limits: ContentLimits) -> MessageError:
    return MessageError(
        f"{field}: {url!r} is larger than the {limits.max_fetch_bytes}-byte cap",
        hint="Raise ContentLimits.max_fetch_bytes or attach smaller content.",
    )
