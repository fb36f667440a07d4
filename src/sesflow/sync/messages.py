"""The message streams as the runner loads them: the source's ``ses_emails`` and ``ses_email_events``,
batch by batch, from exports that keep running between the batches.

The source's ``ses_messages`` resource exports its whole range in one dlt run. The runner keeps what the
source built (its export settings, its cursor on ``sendtimestamp``, its two transformers with their keys and
schemas) and replaces only that parent resource, by ``feed_messages``: it takes its windows from one
``ExportFeed`` that lives across the dlt runs of a stream, and ends a run after about ``batch_rows`` messages,
so the state in the target moves forward batch by batch while the next exports already run.

Each run stages every message once, and the destination is told so (``deduplicated``), which spares it a
de-duplicating sort: a window whose export repeats a message of an earlier window of the run (an export
straying over its window's edge) waits for the next run. With a ``held`` check, a run whose first window the
target holds none of is appended instead of merged (no staging copy, no delete); a later window of that run
that the target does hold waits for the next run, which merges it. A run that merges (a rerun over a lookback)
leaves out the messages the target holds exactly as exported (``Held.unchanged``): the merge rewrites only
the messages that changed, and those it did not hold.

Besides the cursor, the resource state keeps ``exported_until``, the end of the last window handed to dlt:
the next run starts there less the lookback (the cursor alone would start at the newest send time loaded,
which on a quiet account lies far behind what was already exported).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from sesflow.source.api import denial_guard
from sesflow.source.messages import MessageExports, nest_events
from sesflow.source.records import ExportTables, unique_messages
from sesflow.source.windows import floor_second
from sesflow.sync.feed import ExportFeed
from sesflow.sync.memory import trim_memory
from sesflow.sync.progress import LoadStarted, ProgressCallback, RangePlanned, WindowDone

MESSAGES = "ses_messages"
EXPORTED_UNTIL = "exported_until"
# Messages per dlt run: each run is one merge per table, whose cost grows with the table. 100,000 rather than
# 50,000 loaded 30 days into PostgreSQL at 49,800 instead of 40,600 messages/s, for 34 MB more peak RSS.
BATCH_ROWS = 100_000
_APPEND: Any = dlt.mark.make_hints(write_disposition="append")


class Held(Protocol):
    """Whether the target holds any of these message ids already (in any of the stream's tables)."""

    def __call__(self, messageids: pa.Array | pa.ChunkedArray) -> bool:
        """True when at least one is held, or when the target cannot tell."""

    def unchanged(self, emails: pa.Table, events: pa.Table | None) -> pa.Array:
        """The ids of messages the target holds exactly as in ``emails`` / ``events`` (none when unsure)."""


@dataclass
class MessageBatches:
    """The message loading of one stream run, across its dlt runs.

    ``deduplicated``: stage each message once per run and say so. ``held`` (with ``deduplicated``): append a
    run whose first window the target holds none of. ``interrupt``: once set, no further window is handed to
    dlt. ``end``: the end of the range (default now).
    """

    on_progress: ProgressCallback
    batch_rows: int | None = BATCH_ROWS
    deduplicated: bool = False
    held: Held | None = None
    interrupt: threading.Event | None = None
    end: datetime | None = None
    feed: ExportFeed | None = None
    append: bool = False

    @property
    def finished(self) -> bool:
        """True when no further run is needed: every window is handed over, or the run was stopped."""
        feed = self.feed
        return feed is None or not feed.started or feed.exhausted or feed.interrupted

    def resources(self, base: Any, tables: Mapping[str, str], disposition: Any = None) -> list[Any]:
        """The resources of one dlt run, taken from ``base`` (a fresh ``ses_source``): the runner's
        ``ses_messages`` and the source's transformers named in ``tables`` (stream -> table name), piped
        from it. ``disposition`` replaces the transformers' write disposition when given."""
        origin = base.resources[MESSAGES]
        arguments = origin.explicit_args
        fed = dlt.resource(feed_messages, name=MESSAGES, selected=False)(
            self, arguments["exports"], sendtimestamp=arguments["sendtimestamp"]
        )
        resources = [fed]
        for stream, table in tables.items():
            resource = base.resources[stream].pipe_data_from(fed)
            resource.apply_hints(table_name=table)
            if disposition is not None:
                resource.apply_hints(write_disposition=disposition)
            resource.add_map(self._hinted)
            resources.append(resource)
        self.append = False
        return resources

    def _hinted(self, table: pa.Table) -> Any:
        """A transformer's table, marked for appending when this run appends."""
        return dlt.mark.with_hints(table, _APPEND) if self.append else table

    def take(self, exports: MessageExports, cursor: Any) -> Iterator[pa.Table]:
        """This run's windows, as the source's nested message tables (see the module docstring)."""
        state = dlt.current.resource_state()
        feed = self.feed
        if feed is None:
            feed = self.feed = ExportFeed(exports, self.on_progress, self.interrupt)
            start, resumed = _start(exports, cursor, state.get(EXPORTED_UNTIL))
            stop = floor_second(self.end or datetime.now(UTC))
            self.on_progress(RangePlanned(start, stop, resumed))
            if start >= stop:
                feed.exhausted = True
                return
            feed.start(start, stop)
        rows = 0
        staged: list[pa.ChunkedArray] = []  # the ids of the messages this dlt run holds already
        last_end: datetime | None = None
        while self.batch_rows is None or rows < self.batch_rows:
            result = feed.next_result()
            if result is None:
                break
            tables = result.tables
            emails = events = unchanged = 0
            if tables is not None and tables.rows:
                tables = unique_messages(tables)
                emails, events = tables.rows, tables.events.num_rows
                if self.deduplicated:
                    column = tables.emails["messageid"]
                    if not rows and self.held is not None:  # nothing handed to dlt yet in this run
                        self.append = not self.held(column)
                    elif self.append and self._holds(column):
                        # One an appending run must not append: the next run merges this window.
                        feed.put_back(result)
                        break
                    if not self.append and self.held is not None:
                        tables = _without(tables, self.held.unchanged(tables.emails, tables.events))
                        unchanged = emails - tables.rows
                    ids = tables.emails["messageid"]
                    if rows and _any_in(staged, ids):
                        # A message of an earlier window of this run again: the next run loads this window.
                        feed.put_back(result)
                        break
                    staged.append(ids)
                if tables.rows:
                    yield nest_events(tables)
                    rows += tables.rows
            # Only reached once dlt has taken the window's tables: state never runs ahead of the data.
            window, downloaded = result.window, result.download_bytes
            state[EXPORTED_UNTIL] = window.end.isoformat()
            last_end = window.end
            del result, tables  # the window's tables are dlt's now: nothing here holds them any longer
            trim_memory()  # and the C heap gives back what parsing the window left free
            self.on_progress(WindowDone(window, emails, events, downloaded, unchanged))
        if last_end is not None:
            self.on_progress(LoadStarted(last_end))

    def _holds(self, column: pa.ChunkedArray) -> bool:
        return self.held is not None and self.held(column)

    def close(self) -> None:
        """Stop the exports still running."""
        if self.feed is not None:
            self.feed.close()


def feed_messages(
    batches: MessageBatches,
    exports: MessageExports,
    sendtimestamp: dlt.sources.incremental[datetime] = dlt.sources.incremental(
        "sendtimestamp", on_cursor_value_missing="include", primary_key=()
    ),
) -> Iterator[pa.Table]:
    """The runner's ``ses_messages``: one batch of windows from ``batches``' feed per dlt run."""
    with denial_guard("ses_emails and ses_email_events", "raise"):
        yield from batches.take(exports, sendtimestamp)


def _any_in(staged: list[pa.ChunkedArray], ids: pa.ChunkedArray) -> bool:
    """True when any of ``staged`` (id columns of earlier windows) is among ``ids``: one hash set of the
    window's ids, probed by the run's (Arrow strings: no Python object per message held for the run)."""
    value_set = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    return any(pc.any(pc.is_in(column, value_set=value_set)).as_py() for column in staged)


def _without(tables: ExportTables, messageids: pa.Array) -> ExportTables:
    """``tables`` without the messages ``messageids`` (and their events)."""
    if len(messageids) == 0:
        return tables
    keep_emails = pc.invert(pc.is_in(tables.emails["messageid"], value_set=messageids))
    keep_events = pc.invert(pc.is_in(tables.events["messageid"], value_set=messageids))
    return ExportTables(emails=tables.emails.filter(keep_emails), events=tables.events.filter(keep_events))


def _start(exports: MessageExports, cursor: Any, exported: str | None) -> tuple[datetime, bool]:
    """Where this run starts, and whether from a saved state: the end of the windows exported before less
    the lookback (the cursor's lag), else the cursor's start (the newest send time loaded less the lag, or
    the anchor on a first run)."""
    start = _utc(cursor.start_value) or exports.anchor
    until = _utc(exported)
    if until is not None:
        start = max(start, until - timedelta(seconds=float(cursor.lag or 0)))
    return start, until is not None or start != exports.anchor


def _utc(moment: Any) -> datetime | None:
    """A cursor value (datetime, pendulum or ISO text) as a UTC ``datetime``, whole seconds down."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_second(datetime.fromtimestamp(moment.timestamp(), UTC))


__all__ = ["BATCH_ROWS", "EXPORTED_UNTIL", "MESSAGES", "Held", "MessageBatches", "feed_messages"]
