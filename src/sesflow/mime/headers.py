"""Header encoding: RFC 2047 encoded words, folding (RFC 5322 2.2.3), RFC 2231 parameters, injection guard.

A header value is built as a list of tokens joined by single spaces; folding may only break before a
token, so unfolding (removing CRLF) gives back exactly the value that was meant. Lines are folded to 78
characters where a break point exists and never exceed 998 octets: a header that cannot be folded that far
is refused.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from urllib.parse import quote

from sesflow.errors import MessageError
from sesflow.mime.refusal import show

__all__ = [
    "MAX_LINE",
    "SOFT_LINE",
    "check_header_name",
    "check_no_newline",
    "encoded_word",
    "encoded_words",
    "fold",
    "param_tokens",
    "unstructured_tokens",
]

SOFT_LINE = 78
MAX_LINE = 998

# 36 bytes of UTF-8 -> 48 base64 characters -> "=?UTF-8?B?" + 48 + "?=" = 60 <= 75 (RFC 2047 2), short
# enough that "Subject: " plus one word stays within 78 characters.
_WORD_BYTES = 36
_SAFE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")


def check_no_newline(field: str, value: str) -> None:
    """Refuse CR or LF in a header value (they would let a value inject headers)."""
    if "\r" in value or "\n" in value:
        raise MessageError(
            f"{field}: {show(value)} contains a line break (CR or LF), which is not allowed in a header",
            hint="Remove the line break; header injection is refused.",
        )


def check_header_name(field: str, name: str) -> None:
    """Refuse a header name that is empty or holds anything but printable ASCII other than ':'."""
    if not _HEADER_NAME.fullmatch(name):
        raise MessageError(
            f"{field}: {name!r} is not a valid header name",
            hint="Header names are printable ASCII without spaces or ':' (RFC 5322 2.2).",
        )


def encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 B-encoded words of at most 75 characters, never splitting a UTF-8 sequence."""
    data = text.encode("utf-8", "surrogatepass")
    words: list[str] = []
    start, size = 0, len(data)
    while start < size:
        end = min(start + _WORD_BYTES, size)
        # back off so a multi-byte character is never split over two words
        while end < size and (data[end] & 0xC0) == 0x80:
            end -= 1
        chunk = binascii.b2a_base64(data[start:end], newline=False).decode("ascii")
        words.append(f"=?UTF-8?B?{chunk}?=")
        start = end
    return words


def encoded_word(text: str) -> str:
    """``text`` as one RFC 2047 B-encoded word, whatever its length."""
    data = text.encode("utf-8", "surrogatepass")
    return f"=?UTF-8?B?{binascii.b2a_base64(data, newline=False).decode('ascii')}?="


def needs_encoding(value: str) -> bool:
    """Whether an unstructured value must be sent as encoded words to round-trip exactly.

    Plain printable ASCII is sent as is; non-ASCII, control characters, tabs, leading or trailing
    spaces (parsers strip them), text that looks like an encoded word and words too long to fold are
    encoded.
    """
    if not _SAFE.fullmatch(value) or "=?" in value:
        return True
    return len(value) > MAX_LINE - 100 and any(len(word) > MAX_LINE - 100 for word in value.split(" "))


def unstructured_tokens(field: str, value: str) -> list[str]:
    """Tokens for an unstructured header value (Subject, custom headers), encoded when needed."""
    check_no_newline(field, value)
    if value == "":
        return [""]
    if needs_encoding(value):
        return encoded_words(value)
    return value.split(" ")


def fold(name: str, tokens: Iterable[str]) -> bytes:
    """One header field, folded before tokens to <= 78 characters when possible, CRLF-terminated.

    Raises MessageError when a line would still exceed 998 octets.
    """
    parts = iter(tokens)
    first = next(parts, "")
    lines: list[str] = []
    if len(name) + 2 + len(first) > SOFT_LINE and len(first) < SOFT_LINE:
        # a long header name: fold right after the colon so the first word fits too
        lines.append(f"{name}:")
        line = " " + first
    else:
        line = f"{name}: {first}"
    for token in parts:
        # break only before a non-empty token, so no continuation line is whitespace only
        if token and len(line) + 1 + len(token) > SOFT_LINE and not line.isspace():
            lines.append(line)
            line = " " + token
        else:
            line = f"{line} {token}"
    lines.append(line)
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if len(data) > MAX_LINE and any(len(part.encode("utf-8")) > MAX_LINE for part in lines):
        raise MessageError(
            f"{name}: the header has a word too long to fold under {MAX_LINE} octets",
            hint="Shorten the value or add spaces to it (RFC 5322 2.1.1 limits lines to 998 octets).",
        )
    return data


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._\-]+")  # anything else is quoted: some parsers misread ' and *


def param_tokens(name: str, value: str, *, encoded_fallback: bool = False) -> list[str]:
    """A MIME parameter as header tokens (each ending with ';' except when last is decided by caller).

    ASCII values are quoted when needed; non-ASCII or long values use RFC 2231 (``name*0*=utf-8''...``).
    With ``encoded_fallback`` a non-ASCII value is instead sent as a quoted RFC 2047 encoded word, the form
    older clients read in ``Content-Type; name=``.
    """
    if value.isascii() and all(ch >= " " and ch != "\x7f" for ch in value) and len(value) <= 60:
        if _TOKEN_CHARS.fullmatch(value):
            return [f"{name}={value}"]
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return [f'{name}="{escaped}"']
    if encoded_fallback:
        words = " ".join(encoded_words(value))
        if len(words) <= 600:  # longer names go RFC 2231 below, so the line stays under 998 octets
            return [f'{name}="{words}"']
    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="!#$&+-.^_`|~")
    if len(encoded) <= 60:
        return [f"{name}*=utf-8''{encoded}"]
    tokens: list[str] = []
    start, index = 0, 0
    while start < len(encoded):
        end = min(start + 60, len(encoded))
        # never split a %XX escape
        pct = encoded.rfind("%", max(start, end - 2), end)
        if pct != -1 and end < len(encoded):
            end = pct
        prefix = "utf-8''" if index == 0 else ""
        tokens.append(f"{name}*{index}*={prefix}{encoded[start:end]}")
        start, index = end, index + 1
    return tokens
