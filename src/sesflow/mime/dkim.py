"""DKIM signing (RFC 6376) of composed bytes with dkimpy: rsa-sha256 and ed25519-sha256 (RFC 8463)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sesflow.errors import MessageError
from sesflow.mime.model import DkimOptions
from sesflow.mime.refusal import show

__all__ = ["dkim_options", "sign"]

_HEADER_NAME = re.compile(rb"^([!-9;-~]+):", re.MULTILINE)


def dkim_options(value: DkimOptions | Mapping[str, Any]) -> DkimOptions:
    """A ``DkimOptions`` from itself or a mapping of its field names."""
    if isinstance(value, DkimOptions):
        return value
    if not isinstance(value, Mapping):
        raise MessageError(
            f"dkim: {show(value)} is not DkimOptions or a mapping", hint="Use sesflow.DkimOptions(...)."
        )
    try:
        options = DkimOptions(**dict(value))
    except TypeError as exc:
        raise MessageError(
            f"dkim: {exc}", hint="Keys: domain, selector, private_key, algorithm, ..."
        ) from None
    return options


def sign(raw: bytes, options: DkimOptions) -> bytes:
    """``raw`` with a DKIM-Signature header prepended."""
    import dkim  # dkimpy; imported on use so composing without DKIM does not pay for it

    for name in ("domain", "selector"):
        value = getattr(options, name)
        if (
            not isinstance(value, str)
            or not value.isascii()
            or not value
            or any(c in value for c in "\r\n; ")
        ):
            raise MessageError(
                f"dkim.{name}: {show(value)} is not a valid DKIM {name}", hint="e.g. example.com / s1"
            )
    if options.algorithm not in ("rsa-sha256", "ed25519-sha256"):
        raise MessageError(
            f"dkim.algorithm: {options.algorithm!r} is not supported",
            hint="Use rsa-sha256 or ed25519-sha256.",
        )
    head = raw.split(b"\r\n\r\n", 1)[0]
    skip = {name.lower() for name in options.skip_fields}
    if options.header_fields is not None:
        wanted = [name.lower() for name in options.header_fields]
    else:
        wanted = []
        for match in _HEADER_NAME.finditer(head):
            name = match.group(1).decode("ascii").lower()
            if name not in wanted:
                wanted.append(name)
    include = [name.encode("ascii") for name in wanted if name not in skip]
    if b"from" not in include:
        include.insert(0, b"from")
    key = options.private_key.encode("ascii") if isinstance(options.private_key, str) else options.private_key
    try:
        signature = dkim.sign(
            raw,
            options.selector.encode("ascii"),
            options.domain.encode("ascii"),
            key,
            canonicalize=(options.canonicalization[0].encode(), options.canonicalization[1].encode()),
            signature_algorithm=options.algorithm.encode("ascii"),
            include_headers=include,
            linesep=b"\r\n",
        )
    except (dkim.DKIMException, ValueError, UnicodeError) as exc:
        raise MessageError(
            f"dkim: signing failed ({exc})", hint="Check dkim.private_key, dkim.domain and dkim.selector."
        ) from None
    return bytes(signature) + raw
