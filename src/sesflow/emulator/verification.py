"""The verification clock of identities: an identity (and its Easy DKIM and custom MAIL FROM records)
becomes verified ``--verification-delay`` seconds after it was created (0: at once, the default).

SES checks DNS; the emulator has no DNS, so time stands in for it. A domain identity also verifies the
addresses at that domain, as on SES.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.addresses import domain_of

IDENTITIES = "identities"


def verification_status(record: dict[str, Any], now: float) -> str:
    """PENDING until the identity's verification time, then SUCCESS (FAILED once it was failed on purpose)."""
    if record.get("VerificationFailed"):
        return "FAILED"
    return "SUCCESS" if now >= float(record.get("VerifiedAt", 0.0)) else "PENDING"


def dkim_status(record: dict[str, Any], now: float) -> str:
    """The DKIM status of an identity: NOT_STARTED without DKIM, then PENDING until verified, SUCCESS."""
    if not record.get("DkimStartedAt") and record.get("IdentityType") != "DOMAIN":
        return "NOT_STARTED"
    started = float(record.get("DkimStartedAt") or record.get("CreatedTimestamp", 0.0))
    delay = float(record.get("Delay", 0.0))
    return "SUCCESS" if now >= started + delay else "PENDING"


def mail_from_status(record: dict[str, Any], now: float) -> str:
    """The custom MAIL FROM domain's status: PENDING for the verification delay after it was set."""
    since = float(record.get("MailFromSetAt", 0.0))
    return "SUCCESS" if now >= since + float(record.get("Delay", 0.0)) else "PENDING"


def sending_identity(
    identities: dict[tuple[str, ...], dict[str, Any]], address: str
) -> dict[str, Any] | None:
    """The identity that covers ``address``: the address itself, else its domain (None when neither)."""
    found = identities.get((address,))
    if found is None:
        found = identities.get((address.lower(),))
    if found is None:
        found = identities.get((domain_of(address),))
    return found


def is_verified(identities: dict[tuple[str, ...], dict[str, Any]], address: str, now: float) -> bool:
    """True when ``address`` or its domain is a verified identity."""
    for key in ((address,), (address.lower(),), (domain_of(address),)):
        record = identities.get(key)
        if record is not None and verification_status(record, now) == "SUCCESS":
            return True
    return False
