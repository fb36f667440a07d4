"""How configuration is shown: every secret replaced by ``***``, wherever configuration reaches output.

One rule decides what a secret is, and three views apply it:

- ``redact(value)``: settings (mappings, lists, text) with the value of every secret key, and the password
  of every URL, replaced; what ``conns list``, error messages and reports show of a connection;
- ``redact_text(text)``: the same rule over free text (an error message, a traceback, a YAML flow mapping
  such as Sling's ``secrets: '{ secret_access_key: ... }'``, a Python ``repr`` of a mapping);
- ``scrub(text, known)``: ``redact_text`` plus every secret value in ``known`` (gathered from the
  configuration on the machine by ``lookup.known_secrets``), for text whose shape no rule can foresee, such
  as a driver's message quoting a password. The command line passes everything it prints about an error
  (message, hint and ``--debug`` traceback) through it.

A secret key is one whose name says it holds a credential: ``password``, ``secret_access_key``,
``session_token``, any ``*token*``, ``private_key*``, ``passphrase``, ``access_key_id``, ``key_body``,
``credentials``, ``api_key``, ``account_key``, ``sas_token``, ``client_secret``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sesflow.url_redaction import MASK, URL_PASSWORD, redact_urls

_SECRET_NAME = re.compile(
    r"(password|passwd|pwd|secret|token|private_key|passphrase|access_key_id|key_body|credentials|api_key"
    r"|account_key|sas)",
    re.IGNORECASE,
)
# Keys whose name matches the rule above but which hold no secret (a folder of secrets, a profile name).
_NOT_SECRET = frozenset({"secrets", "profile", "token_type", "authenticator"})

# key: value, key=value, 'key': 'value', "key" = "value" -- in YAML, JSON, reprs, query strings, DSNs.
_PAIR = re.compile(
    r"""(?P<key>[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|private_key|passphrase|access_key_id"""
    r"""|key_body|api_key|account_key|sas)[A-Za-z0-9_\-]*)(?P<close>['"]?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>'[^']*'|"[^"]*"|[^\s,;&}\])'"]+)""",
    re.IGNORECASE,
)


def is_secret_key(key: object) -> bool:
    """Whether a setting named ``key`` holds a credential."""
    name = str(key).lower()
    return name not in _NOT_SECRET and bool(_SECRET_NAME.search(name))


def redact(value: Any) -> Any:
    """``value`` (settings: a mapping, list or text) with every secret replaced by ``***``."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret_key(key) and item not in (None, ""):
                out[str(key)] = MASK
            else:
                out[str(key)] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """``text`` with URL passwords and the values of secret keys replaced by ``***``."""
    text = redact_urls(text)

    def pair(match: re.Match[str]) -> str:
        if not is_secret_key(match["key"]):
            return match[0]
        value = match["value"]
        quote = value[0] if value[:1] in ("'", '"') else ""
        return f"{match['key']}{match['close']}{match['sep']}{quote}{MASK}{quote}"

    return _PAIR.sub(pair, text)


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """``redact_text(text)``, then every value of ``known`` (longest first) replaced by ``***``."""
    text = redact_text(text)
    for secret in sorted({s for s in known if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def secret_values(value: Any, *, under_secret: bool = False) -> list[str]:
    """Every secret in ``value`` (settings): values of secret keys, URL passwords, secrets in text."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found += secret_values(item, under_secret=under_secret or is_secret_key(key))
    elif isinstance(value, list | tuple):
        for item in value:
            found += secret_values(item, under_secret=under_secret)
    elif isinstance(value, str):
        if under_secret:
            found.append(value)
        found += [m["password"] for m in URL_PASSWORD.finditer(value)]
        for match in _PAIR.finditer(value):
            if is_secret_key(match["key"]):
                found.append(match["value"].strip("'\""))
    elif under_secret and isinstance(value, int | float) and not isinstance(value, bool):
        found.append(str(value))
    return found


def shown(value: Any) -> str:
    """``repr`` of ``value`` redacted: how an error message quotes a configuration value."""
    return repr(redact(value))


__all__ = [
    "MASK",
    "is_secret_key",
    "redact",
    "redact_text",
    "scrub",
    "secret_values",
    "shown",
]
