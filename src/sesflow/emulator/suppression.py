"""The account-level suppression list (and tenants' own lists): put, get, list (by reason and time, paged),
delete. Sends to a listed address bounce with ``OnAccountSuppressionList`` when the list applies to its
reason (``sending``); seeded hard bounces and complaints land here as SES would add them.
"""

from __future__ import annotations

from typing import Any

from sesflow.emulator.call import Call, Handler, invalid, not_found, paged
from sesflow.emulator.region import Record, Region
from sesflow.emulator.sending import SUPPRESSED
from sesflow.emulator.tables import Table

SUPPRESSION = Table(SUPPRESSED, ("TenantName", "EmailAddress"), "Email address", fold_case=True)
TENANTS_TABLE = "tenants"


def suppress(
    region: Region, address: str, reason: str, when: float, attributes: Record | None = None
) -> None:
    """Put an address on the account's list (kept lower-case; the latest reason and time win)."""
    record: Record = {"EmailAddress": address.lower(), "Reason": reason, "LastUpdateTime": when}
    if attributes:
        record["Attributes"] = attributes
    region.save(SUPPRESSED, ("", address.lower()), record)


def _tenant(call: Call) -> str:
    tenant = call.params.get("TenantName") or ""
    if tenant and call.region.get(TENANTS_TABLE, (tenant,)) is None:
        raise not_found(call, f"Tenant {tenant} does not exist.")
    return str(tenant)


def _key(call: Call) -> tuple[str, str]:
    return (_tenant(call), call.params["EmailAddress"].lower())


def _require(call: Call) -> Record:
    record = SUPPRESSION.find(call, _key(call))
    if record is None:
        raise not_found(
            call, f"Email address {call.params['EmailAddress']} does not exist on your suppression list."
        )
    return record


def put_destination(call: Call) -> Record:
    """PutSuppressedDestination."""
    address = call.params["EmailAddress"]
    if "@" not in address:
        raise invalid(call, f"Invalid email address <{address}>.")
    key = _key(call)
    record: Record = {"EmailAddress": key[1], "Reason": call.params["Reason"], "LastUpdateTime": call.now}
    if key[0]:
        record["TenantName"] = key[0]
    call.region.save(SUPPRESSED, key, record)
    return {}


def get_destination(call: Call) -> Record:
    """GetSuppressedDestination: reason, last update and the message/feedback ids that put it there."""
    return {"SuppressedDestination": dict(_require(call))}


def delete_destination(call: Call) -> Record:
    """DeleteSuppressedDestination."""
    _require(call)
    call.region.remove(SUPPRESSED, _key(call))
    return {}


def list_destinations(call: Call) -> Record:
    """ListSuppressedDestinations: by reason and LastUpdateTime window, newest first."""
    tenant = _tenant(call)
    reasons = call.params.get("Reasons") or []
    start, end = call.params.get("StartDate"), call.params.get("EndDate")
    rows: list[dict[str, Any]] = []
    for (owner, _), record in call.region.table(SUPPRESSED).items():
        if owner != tenant or (reasons and record["Reason"] not in reasons):
            continue
        when = record["LastUpdateTime"]
        if (start is not None and when < start) or (end is not None and when > end):
            continue
        rows.append({k: record[k] for k in ("EmailAddress", "Reason", "LastUpdateTime")})
    rows.sort(key=lambda r: (-r["LastUpdateTime"], r["EmailAddress"]))
    return paged(call, "SuppressedDestinationSummaries", rows, 1000)


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "PutSuppressedDestination"): put_destination,
    ("sesv2", "GetSuppressedDestination"): get_destination,
    ("sesv2", "DeleteSuppressedDestination"): delete_destination,
    ("sesv2", "ListSuppressedDestinations"): list_destinations,
}
