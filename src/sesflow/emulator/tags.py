"""Message tags as SES accepts them on a send: from API parameters (``EmailTags``, ``Tags``,
``DefaultEmailTags``, ``ReplacementTags``) or an ``X-SES-MESSAGE-TAGS`` header; refused with SES's wording
otherwise.
"""

from __future__ import annotations

import re

from sesflow.emulator.wire import ApiError


def bad_request(protocol: str, message: str) -> ApiError:
    """The invalid-parameter error of each API (v1 ``InvalidParameterValue``, v2 ``BadRequestException``)."""
    if protocol == "v1":
        return ApiError("InvalidParameterValue", message)
    return ApiError("BadRequestException", message)


_TAG_TEXT = re.compile(r"^[A-Za-z0-9_-]{0,256}$")
MAX_TAG_LENGTH = 256


def check_tags(protocol: str, tags: list[tuple[str, str]]) -> None:
    """Refuse message tags SES refuses: names and values of ASCII letters, digits, ``_`` and ``-``, at most
    256 characters, and a name that is not empty."""
    for name, value in tags:
        if not name or not _TAG_TEXT.match(name):
            raise bad_request(
                protocol,
                f"Invalid tag name <{name}>: only alphanumeric ASCII characters, '_', and '-' are allowed"
                f" (1 to {MAX_TAG_LENGTH} characters).",
            )
        if not _TAG_TEXT.match(value):
            raise bad_request(
                protocol,
                f"Invalid tag value <{value}>: only alphanumeric ASCII characters, '_', and '-' are allowed"
                f" (at most {MAX_TAG_LENGTH} characters).",
            )


def header_tags(protocol: str, values: list[str]) -> list[tuple[str, str]]:
    """The tags of ``X-SES-MESSAGE-TAGS`` headers (``name=value`` pairs separated by commas)."""
    tags: list[tuple[str, str]] = []
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            name, sep, tag = pair.partition("=")
            if not sep:
                raise bad_request(
                    protocol, f"Invalid X-SES-MESSAGE-TAGS entry <{pair.strip()}>: expected name=value."
                )
            tags.append((name.strip(), tag.strip()))
    return tags


def tag_pairs(value: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    """``[{"Name": ..., "Value": ...}]`` as (name, value) pairs."""
    return [(str(t.get("Name", "")), str(t.get("Value", ""))) for t in value or []]
