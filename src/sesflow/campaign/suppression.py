"""Addresses a campaign must not mail: the account suppression list, and addresses that hard-bounced or
complained in the synced Message Insights tables.

The suppression list comes from SES ``ListSuppressedDestinations`` (all pages). The synced tables add what
the suppression list may not hold yet, or what an account-level list is switched off for: every address
with a permanent bounce or a complaint event in ``<schema>.ses_email_events`` (or, when only ``ses_emails``
was synced, a ``PERMANENT_BOUNCE``/``COMPLAINT`` last delivery event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sesflow.campaign.target import SyncTarget, open_target, quote
from sesflow.errors import ConfigError


@dataclass
class Suppressed:
    """Lower-cased address -> why it must not be mailed."""

    reasons: dict[str, str] = field(default_factory=dict)

    def reason(self, address: str) -> str | None:
        """Why ``address`` is suppressed, or None."""
        return self.reasons.get(address.lower())

    def add(self, address: str, reason: str) -> None:
        """Suppress ``address`` (the first reason found wins)."""
        self.reasons.setdefault(address.strip().lower(), reason)

    def __len__(self) -> int:
        return len(self.reasons)


def account_suppressed(client: Any, into: Suppressed) -> None:
    """Add the account suppression list (SES v2 ListSuppressedDestinations, every page)."""
    from botocore.exceptions import BotoCoreError, ClientError

    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"PageSize": 1000}
        if token:
            kwargs["NextToken"] = token
        try:
            page = client.list_suppressed_destinations(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(
                f"cannot read the account suppression list (ListSuppressedDestinations): {exc}",
                hint="Check the SES settings (ses: in the campaign file) and the credentials.",
            ) from None
        for item in page.get("SuppressedDestinationSummaries", []):
            reason = str(item.get("Reason", "")).lower() or "suppressed"
            into.add(str(item["EmailAddress"]), f"on the account suppression list ({reason})")
        token = page.get("NextToken")
        if not token:
            return


def _permanent(details: Any) -> bool:
    if details is None:
        return True  # a bounce without details: treat as hard, the safe side
    try:
        data = json.loads(details) if isinstance(details, str) else details
    except ValueError:
        return "permanent" in str(details).lower()
    bounce = data.get("Bounce", data) if isinstance(data, dict) else {}
    kind = str(bounce.get("BounceType", "") if isinstance(bounce, dict) else "").upper()
    return kind in ("", "PERMANENT")


def synced_suppressed(target: SyncTarget, into: Suppressed) -> None:
    """Add addresses with a hard bounce or a complaint in the synced tables of ``target`` (none when the
    sync has not created its DuckDB file yet)."""
    if target.kind == "duckdb" and not Path(target.location).exists():
        return
    with open_target(target, read_only=target.kind == "duckdb") as db:
        tables = db.tables(target.schema)
        if "ses_email_events" in tables:
            rows = db.run(
                "SELECT CAST(destination AS TEXT), UPPER(CAST(type AS TEXT)), CAST(details AS TEXT) FROM "
                f"{quote(target.schema, 'ses_email_events')} "
                "WHERE UPPER(CAST(type AS TEXT)) IN ('BOUNCE', 'COMPLAINT')"
            )
            for destination, kind, details in rows:
                if not destination:
                    continue
                if kind == "COMPLAINT":
                    into.add(str(destination), "complained earlier (synced Message Insights)")
                elif _permanent(details):
                    into.add(str(destination), "hard-bounced earlier (synced Message Insights)")
        elif "ses_emails" in tables:
            rows = db.run(
                "SELECT CAST(destination AS TEXT), UPPER(CAST(lastdeliveryevent AS TEXT)) FROM "
                f"{quote(target.schema, 'ses_emails')} "
                "WHERE UPPER(CAST(lastdeliveryevent AS TEXT)) IN ('PERMANENT_BOUNCE', 'COMPLAINT')"
            )
            for destinations, kind in rows:
                why = "complained" if kind == "COMPLAINT" else "hard-bounced"
                for address in str(destinations or "").split(","):
                    if address.strip():
                        into.add(address, f"{why} earlier (synced Message Insights)")


__all__ = ["Suppressed", "account_suppressed", "synced_suppressed"]
