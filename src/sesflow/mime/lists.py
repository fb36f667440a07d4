"""Mailing list headers (RFC 2369, 2919 List-ID, 8058 one-click unsubscribe), like Nodemailer's ``list``.

``{"unsubscribe": [...], "id": ..., "help": ..., "subscribe": ..., "post": ..., "owner": ...,
"archive": ...}``; each value is a URL or address string, a ``{"url": ..., "comment": ...}`` mapping, or a
list of those. Every value of one key goes into one header, comma separated (one List-Unsubscribe header
holding both the mailto: and the https: URL is what RFC 8058 and the large mailbox providers expect).
``"one_click": True`` adds ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` and requires an https
unsubscribe URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sesflow.errors import MessageError
from sesflow.mime.headers import check_no_newline, encoded_words, fold
from sesflow.mime.refusal import show

__all__ = ["list_header_lines", "list_header_names"]

_KEY = re.compile(r"[a-z][a-z0-9-]*")
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")
_PLAIN_COMMENT = re.compile(r"[\x20-\x27\x2a-\x5b\x5d-\x7e]*")


def list_header_names(key: str) -> str:
    """``unsubscribe`` -> ``List-Unsubscribe``; ``id`` -> ``List-ID``."""
    if key == "id":
        return "List-ID"
    return "List-" + "-".join(part.capitalize() for part in key.split("-"))


def _url(field: str, value: str) -> str:
    check_no_newline(field, value)
    url = re.sub(r"[\s<>]+", "", value)
    if not url:
        raise MessageError(
            f"{field}: {show(value)} is not a URL or an address",
            hint="e.g. https://example.com/u or u@example.com.",
        )
    if re.match(r"(?i)(https?|mailto|ftp):", url):
        return url
    if _ADDRESS.fullmatch(url):
        return "mailto:" + url
    return "http://" + url


def _comment(field: str, comment: str, quote: bool) -> list[str]:
    check_no_newline(field, comment)
    if comment.isascii() and _PLAIN_COMMENT.fullmatch(comment):
        if quote:
            return ['"' + comment.replace("\\", "\\\\").replace('"', '\\"') + '"']
        return ["(" + comment + ")"] if comment else []
    words = encoded_words(comment)
    if not quote:
        words[0] = "(" + words[0]
        words[-1] += ")"
    return words


def _entries(field: str, raw: Any) -> list[tuple[str, str]]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, str):
            out.append((item, ""))
        elif isinstance(item, Mapping) and isinstance(item.get("url"), str):
            comment = item.get("comment") or ""
            if not isinstance(comment, str):
                raise MessageError(f"{field}: comment {show(comment)} is not a str", hint="Pass text.")
            out.append((item["url"], comment))
        elif isinstance(item, list | tuple):
            out.extend(_entries(field, list(item)))
        else:
            raise MessageError(
                f"{field}: {show(item)} is not a URL, an address or a {{'url': ..., 'comment': ...}} mapping",
                hint="e.g. 'https://example.com/u' or {'url': ..., 'comment': 'Unsubscribe'}.",
            )
    return out


def list_header_lines(options: Mapping[str, Any]) -> tuple[list[str], list[bytes]]:
    """(lowercased header names, rendered lines) for the ``list`` option."""
    names: list[str] = []
    lines: list[bytes] = []
    one_click = False
    https_unsubscribe = False
    for raw_key, raw_value in options.items():
        key = str(raw_key).strip().lower().replace("_", "-")
        field = f"list[{show(raw_key)}]"
        if key == "one-click":
            one_click = bool(raw_value)
            continue
        if not _KEY.fullmatch(key):
            raise MessageError(
                f"list: {show(raw_key)} is not a list header key", hint="e.g. 'unsubscribe', 'id'."
            )
        entries = _entries(field, raw_value)
        if not entries:
            continue
        tokens: list[str] = []
        for position, (url, comment) in enumerate(entries):
            if key == "id":
                target = re.sub(r"^(?i:https?://)", "", _url(field, url)).removeprefix("mailto:")
                part = [*(_comment(field, comment, True) if comment else []), f"<{target}>"]
            else:
                target = _url(field, url)
                if key == "unsubscribe" and target.lower().startswith("https://"):
                    https_unsubscribe = True
                part = [f"<{target}>", *(_comment(field, comment, False) if comment else [])]
            if position < len(entries) - 1:
                part[-1] += ","
            tokens.extend(part)
        name = list_header_names(key)
        names.append(name.lower())
        lines.append(fold(name, tokens))
    if one_click:
        if not https_unsubscribe:
            raise MessageError(
                "list['one_click']: True needs an https:// URL in list['unsubscribe'] (RFC 8058 3.1)",
                hint="Add the https one-click unsubscribe URL to list['unsubscribe'].",
            )
        names.append("list-unsubscribe-post")
        lines.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    return names, lines
