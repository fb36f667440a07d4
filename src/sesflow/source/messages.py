"""The message streams: ``ses_emails`` and ``ses_email_events``, from Message Insights export jobs.

One hidden resource, ``ses_messages``, runs the export jobs window by window and yields one Arrow table per
window: a row per message with its events nested in an ``events`` list column. Its incremental cursor is the
send time, so dlt's filter keeps or drops a message and its events together. The two transformers split
that table into the tables that land: ``ses_emails`` (without ``events``) and ``ses_email_events`` (one row
per event). Arrow all the way: dicts with nested lists load about 40x slower through dlt (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from sesflow.source.api import OnDenied, denial_guard
from sesflow.source.exports import CreateGate, ExportClient, ExportSettings
from sesflow.source.intervals import Interval
from sesflow.source.jobs import OnLimit, export_in_order
from sesflow.source.records import EVENT_SCHEMA, ExportTables, unique_messages
from sesflow.source.windows import WindowPlanner, floor_second

EVENTS_COLUMN = "events"
_EVENT_FIELDS = [field for field in EVENT_SCHEMA if field.name != "messageid"]
EVENT_STRUCT = pa.struct(_EVENT_FIELDS)
MERGE: Any = {"disposition": "merge", "strategy": "delete-insert"}


@dataclass(frozen=True)
class MessageExports:
    """How the message exports run: the window grid and the export-job settings."""

    client: Any
    settings: ExportSettings
    anchor: datetime
    range_interval: Interval
    max_concurrent_jobs: int = 3
    on_limit: OnLimit = "split"
    gate: CreateGate | None = None
    on_denied: OnDenied = "skip"


def nest_events(tables: ExportTables) -> pa.Table:
    """``tables.emails`` with each message's events (in position order) as an ``events`` list column."""
    emails, events = tables.emails, tables.events
    rows = emails.num_rows
    if events.num_rows:
        owner = pc.index_in(events["messageid"], value_set=emails["messageid"].combine_chunks())
        order = pc.sort_indices(
            pa.table({"owner": owner, "position": events["position"]}),
            sort_keys=[("owner", "ascending"), ("position", "ascending")],
        )
        events = events.take(order)
        owner = owner.take(order)
    else:
        owner = pa.chunked_array([], pa.int32())
    counts = [0] * rows
    for index in owner.to_pylist():  # a few Python steps per message: ~1 ms for a 10,000-message window
        if index is not None:
            counts[index] += 1
    offsets = [0]
    for count in counts:
        offsets.append(offsets[-1] + count)
    kept = offsets[-1]  # events of no listed message (none in a parsed export) sort last and are left out
    values = pa.StructArray.from_arrays(
        [events[field.name].combine_chunks()[:kept] for field in _EVENT_FIELDS], fields=_EVENT_FIELDS
    )
    nested = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=pa.list_(EVENT_STRUCT))
    return emails.append_column(pa.field(EVENTS_COLUMN, nested.type), nested)


def emails_of(table: pa.Table) -> pa.Table:
    """The ``ses_emails`` rows of a nested table: every column but ``events``."""
    return table.drop_columns([EVENTS_COLUMN])


def events_of(table: pa.Table) -> pa.Table:
    """The ``ses_email_events`` rows of a nested table: one per event, keyed ``messageid`` + ``position``."""
    lists = table[EVENTS_COLUMN].combine_chunks()
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    columns = [table["messageid"].combine_chunks().take(parents)]
    columns += [flat.field(field.name) for field in _EVENT_FIELDS]
    return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)


def message_exports(
    exports: MessageExports,
    sendtimestamp: dlt.sources.incremental[datetime] = dlt.sources.incremental(
        "sendtimestamp", on_cursor_value_missing="include", primary_key=()
    ),
) -> Iterator[pa.Table]:
    """Export ``[cursor start, end)`` window by window (cut at ``anchor + k * range_interval``).

    The cursor starts at the newest send time loaded minus the lookback (dlt's ``lag``), or at the anchor on
    a first run; it ends at ``end_value`` when one is given (a backfill), else now.
    """
    start = _utc(sendtimestamp.start_value) or exports.anchor
    end = floor_second(_utc(sendtimestamp.end_value) or datetime.now(UTC))
    if start >= end:
        return
    planner = WindowPlanner(
        start, end, exports.range_interval, cap=exports.settings.max_results, anchor=exports.anchor
    )
    exporter = ExportClient(
        exports.client, exports.settings, gate=exports.gate, max_jobs=exports.max_concurrent_jobs
    )
    results = export_in_order(
        planner, exporter, max_concurrent=exports.max_concurrent_jobs, on_limit=exports.on_limit
    )
    try:
        with denial_guard("ses_emails and ses_email_events", exports.on_denied):
            for result in results:
                if result.tables is not None and result.tables.rows:
                    yield nest_events(unique_messages(result.tables))
    finally:
        results.close()
        exporter.close()


@dlt.transformer(name="ses_emails", write_disposition=MERGE, primary_key="messageid")
def ses_emails(table: pa.Table) -> Iterator[pa.Table]:
    """One row per message: the export's scalar keys (normalised), ``emailtags`` and ``_raw`` as JSON."""
    if table.num_rows:
        yield emails_of(table)


@dlt.transformer(
    name="ses_email_events",
    write_disposition=MERGE,
    primary_key=("messageid", "position"),
    merge_key="messageid",
)
def ses_email_events(table: pa.Table) -> Iterator[pa.Table]:
    """One row per event of a message, ``position`` its index in time order; a message's events are
    replaced together when it is exported again."""
    events = events_of(table)
    if events.num_rows:
        yield events


def _utc(moment: Any) -> datetime | None:
    """A cursor value (datetime, pendulum or ISO text) as a UTC ``datetime``, whole seconds down."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_second(datetime.fromtimestamp(moment.timestamp(), UTC))


__all__ = [
    "MessageExports",
    "emails_of",
    "events_of",
    "message_exports",
    "nest_events",
    "ses_email_events",
    "ses_emails",
]
