"""Email addresses as SES reads them: the addr-spec of a mailbox, every address of an address header, and the
checks a destination must pass (``Missing final '@domain'``, ``Illegal address``).
"""

from __future__ import annotations

import email.utils
import re

_PLAIN = re.compile(r"^\s*(?:[^<>\",;:()\[\]\\]*<)?([^\s<>\",;:()\[\]\\]+@[^\s<>\",;:()\[\]\\]+)>?\s*$")


def bare_address(value: str) -> str:
    """The addr-spec of a mailbox (``"Ann" <ann@x.org>`` -> ``ann@x.org``)."""
    plain = _PLAIN.match(value)
    if plain is not None:  # the common case, without the cost of the full RFC 5322 parser
        return plain.group(1)
    return email.utils.parseaddr(value)[1] or value.strip()


def header_addresses(values: list[str]) -> list[str]:
    """Every addr-spec in address header values (``To``, ``Cc``, ``Bcc``)."""
    found: list[str] = []
    for value in values:
        if '"' in value or "(" in value or ":" in value:
            found.extend(addr for _, addr in email.utils.getaddresses([value]) if addr)
        else:
            found.extend(bare_address(part) for part in value.split(",") if part.strip())
    return found


def address_problem(address: str) -> str | None:
    """Why SES refuses an address (its own wording), or None when it is fine."""
    bare = bare_address(address)
    local, at, domain = bare.rpartition("@")
    if not at:
        return f"Missing final '@domain' in address: {address}"
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        return f"Illegal address: {address}"
    return None


def domain_of(address: str) -> str:
    """The domain part of an address, lower-cased."""
    return address.rpartition("@")[2].lower()
