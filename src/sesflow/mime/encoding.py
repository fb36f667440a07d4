"""Body transfer encodings (RFC 2045 6): 7bit, quoted-printable and base64, built in C by ``binascii``.

Every output uses CRLF line breaks and lines of at most 76 characters (plus CRLF). Text is normalised to
CRLF first, so no bare CR or LF can reach the wire.
"""

from __future__ import annotations

import binascii
import re
from typing import Literal

__all__ = ["TextEncoding", "base64_lines", "choose_text_encoding", "encode_text", "normalise_newlines", "qp"]

TextEncoding = Literal["auto", "quoted-printable", "base64"]

_LINE = 76
_LONG_LINE = re.compile(rb"[^\n]{77}")


def normalise_newlines(data: bytes) -> bytes:
    """CRLF, lone CR and lone LF all become LF (the encoders below turn LF into CRLF)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters joined by CRLF, with no trailing CRLF (empty input gives b'')."""
    encoded = binascii.b2a_base64(data, newline=False)
    size = len(encoded)
    if size <= _LINE:
        return encoded
    if size < 2_000_000:
        return b"\r\n".join([encoded[i : i + _LINE] for i in range(0, size, _LINE)])
    full, rest = divmod(size, _LINE)
    # For megabytes, strided slice assignment (76 column copies in C) beats creating a slice per line.
    out = bytearray(full * (_LINE + 2))
    end = full * _LINE
    for column in range(_LINE):
        out[column :: _LINE + 2] = encoded[column:end:_LINE]
    out[_LINE :: _LINE + 2] = b"\r" * full
    out[_LINE + 1 :: _LINE + 2] = b"\n" * full
    if rest:
        out += encoded[end:]
    else:
        del out[-2:]  # an exact multiple of 76 must not end with an empty line
    return bytes(out)


def qp(data: bytes) -> bytes:
    """Quoted-printable of LF-normalised text, with CRLF hard and soft line breaks.

    ``binascii.b2a_qp`` picks its line break from the input (LF here, so soft breaks are ``=\\n``); every
    LF of its output is a line break, so replacing LF with CRLF afterwards is exact.
    """
    return binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).replace(b"\n", b"\r\n")


def choose_text_encoding(data: bytes) -> Literal["7bit", "quoted-printable", "base64"]:
    """7bit for pure ASCII with lines <= 76 and no NUL; else the smaller of quoted-printable and base64."""
    if data.isascii():
        if b"\x00" not in data and not _LONG_LINE.search(data):
            return "7bit"
        return "quoted-printable"
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    # quoted-printable spends 3 octets per 8-bit byte, base64 4/3 octets per byte
    return "base64" if high * 2 > len(data) * 0.37 else "quoted-printable"


def encode_text(data: bytes, forced: TextEncoding = "auto") -> tuple[str, bytes]:
    """Encode UTF-8 text (any newline style) for a text/* part: (Content-Transfer-Encoding, body)."""
    data = normalise_newlines(data)
    encoding = choose_text_encoding(data) if forced == "auto" else forced
    if encoding == "7bit":
        return encoding, data.replace(b"\n", b"\r\n")
    if encoding == "quoted-printable":
        return encoding, qp(data)
    return "base64", base64_lines(data.replace(b"\n", b"\r\n"))
