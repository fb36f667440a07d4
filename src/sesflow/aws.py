"""The AWS region names and endpoint URLs sesflow takes, checked before botocore sees them.

botocore refuses a bad one with a bare ``ValueError`` when it builds a client; checked here, the user is told
which setting or option holds it and what to write instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")  # the rule botocore applies


def check_region(value: str) -> str:
    """``value``, if it can name a region; else ``ValueError`` saying what to write."""
    if not _REGION.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS region name; write one such as us-east-1")
    return value


def check_endpoint_url(value: str) -> str:
    """``value``, if it is an http(s) URL with a host (and a port in range); else ``ValueError``."""
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is no number, or out of range
        usable = False
    if not usable:
        raise ValueError(f"{value!r} is not a URL; write http(s)://HOST[:PORT], e.g. http://127.0.0.1:8005")
    return value


__all__ = ["check_endpoint_url", "check_region"]
