"""The password of a URL replaced by ``***``: the one rule for every URL that reaches output.

A neutral module (it imports nothing of sesflow), so that the core send wing (``send/redis_url.py``, the Redis
URL in an error) and the connections wing (``connections/redaction.py``, URLs in settings, errors and
tracebacks) share it without one importing the other.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host -- the password runs to the last "@" before the host (an "@" left unencoded in
# a password is hidden with it), never across whitespace, a quote or a "/".
URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@'\"]*):(?P<password>[^\s/'\"]+)@")


def redact_urls(text: str) -> str:
    """``text`` (one URL, or free text quoting URLs) with the password of every URL replaced by ``***``."""
    return URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)


__all__ = ["MASK", "URL_PASSWORD", "redact_urls"]
