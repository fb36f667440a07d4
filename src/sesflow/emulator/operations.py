"""The operation table: (service, operation) -> handler, gathered from the family modules. Every
operation of botocore's ``ses`` and ``sesv2`` models has an entry (the tests check it against the models).
"""

from __future__ import annotations

from sesflow.emulator import (
    account,
    bulk,
    configsets,
    configsets_v1,
    contacts,
    dedicated,
    deliverability,
    identities,
    identities_v1,
    imports,
    insights,
    receipt,
    reputation,
    sends,
    suppression,
    tagging,
    templates,
    tenants,
    verification_mail,
)
from sesflow.emulator.call import Handler

FAMILIES = (
    account,
    bulk,
    configsets,
    configsets_v1,
    contacts,
    dedicated,
    deliverability,
    identities,
    identities_v1,
    imports,
    insights,
    receipt,
    reputation,
    sends,
    suppression,
    tagging,
    templates,
    tenants,
    verification_mail,
)
OPERATIONS: dict[tuple[str, str], Handler] = {
    key: handler for family in FAMILIES for key, handler in family.OPERATIONS.items()
}


def handler(service: str, operation: str) -> Handler | None:
    """The handler of an operation, or None when the emulator does not answer it."""
    return OPERATIONS.get((service, operation))
