"""The ``ses_suppressed_destinations`` stream: the account-level suppression list.

ListSuppressedDestinations pages through the list (from the cursor's last update time on, as its
``StartDate`` filter allows), and GetSuppressedDestination adds what only it tells: the message and feedback
ids of the bounce or complaint that put the address there. Those reads run ``DETAIL_THREADS`` at a time (each
retried on throttling as every call of the source is), and a page's rows keep the listing's order. Merged on
``email_address``. An address removed
from the list stays in the table until a full refresh (``refresh="drop_resources"``, or Sling's
``full-refresh`` mode) reads the list whole again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa

from sesflow.source.api import Api, OnDenied, denial_guard

SUPPRESSION_SCHEMA = pa.schema(
    [
        pa.field("email_address", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("last_update_time", pa.timestamp("us", tz="UTC")),
        pa.field("message_id", pa.string()),
        pa.field("feedback_id", pa.string()),
    ]
)
PAGE_SIZE = 1000
DETAIL_THREADS = 8  # GetSuppressedDestination calls at once: one at a time took 23 s for 13,736 addresses


@dataclass(frozen=True)
class SuppressionReads:
    """How the list is read: ``details`` adds a GetSuppressedDestination per address (message/feedback id)."""

    client: Any
    details: bool = True
    on_denied: OnDenied = "skip"


def suppressed_destinations(
    reads: SuppressionReads,
    last_update_time: dlt.sources.incremental[datetime] = dlt.sources.incremental("last_update_time"),
) -> Iterator[pa.Table]:
    """The suppressed addresses updated since the cursor (all of them on a first run), a page at a time."""
    api = Api(reads.client)
    since = last_update_time.start_value
    params: dict[str, Any] = {"PageSize": PAGE_SIZE}
    if isinstance(since, datetime):
        params["StartDate"] = since
    pool = ThreadPoolExecutor(max_workers=DETAIL_THREADS, thread_name_prefix="sesflow-suppression")
    try:
        with denial_guard("ses_suppressed_destinations", reads.on_denied):
            for page in api.pages("ListSuppressedDestinations", "SuppressedDestinationSummaries", **params):
                if reads.details:
                    rows = list(pool.map(lambda summary: _row(api, summary, True), page))
                else:
                    rows = [_row(api, summary, False) for summary in page]
                if rows:
                    yield pa.Table.from_pylist(rows, schema=SUPPRESSION_SCHEMA)
    finally:
        api.stop.set()  # a detail read still pausing for a retry gives up at once
        pool.shutdown(wait=True, cancel_futures=True)


def _row(api: Api, summary: dict[str, Any], details: bool) -> dict[str, Any]:
    row = {
        "email_address": summary["EmailAddress"],
        "reason": summary.get("Reason"),
        "last_update_time": _utc(summary.get("LastUpdateTime")),
        "message_id": None,
        "feedback_id": None,
    }
    if details:
        found = api.call("GetSuppressedDestination", missing_ok=True, EmailAddress=summary["EmailAddress"])
        entry = (found or {}).get("SuppressedDestination") or {}
        attributes = entry.get("Attributes") or {}
        row["message_id"] = attributes.get("MessageId")
        row["feedback_id"] = attributes.get("FeedbackId")
        if entry.get("LastUpdateTime") is not None:
            row["last_update_time"] = _utc(entry["LastUpdateTime"])
        row["reason"] = entry.get("Reason", row["reason"])
    return row


def _utc(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["DETAIL_THREADS", "SUPPRESSION_SCHEMA", "SuppressionReads", "suppressed_destinations"]
