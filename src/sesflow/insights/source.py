"""The dlt source for SES Message Insights: ``ses_source(...)``, usable in any dlt pipeline.

Resources: ``ses_emails`` (merge on ``messageid``) and ``ses_email_events`` (merge on ``messageid`` +
``position``; all of a message's events are replaced together), both fed with Arrow tables by one hidden
resource, ``ses_exports``, that runs the export jobs. Its resource state holds ``last_end``: the end of the
last contiguous completed window. dlt stores that state in the destination with the data, so a run from a
fresh machine continues where the last one stopped; the next run starts at ``last_end - lookback_interval``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt
from dlt.sources import DltResource

from sesflow.connections import AwsSesConnection, AwsSesInputs
from sesflow.insights.feed import ExportFeed
from sesflow.insights.progress import (
    LoadStarted,
    ProgressCallback,
    ProgressEvent,
    RangePlanned,
    WindowDone,
)
from sesflow.source.exports import ExportSettings
from sesflow.source.intervals import Interval
from sesflow.source.records import ExportTables, unique_messages
from sesflow.source.windows import floor_second

STATE_KEY = "last_end"


def _ignore(event: ProgressEvent) -> None:
    """The default progress callback."""


@dataclass
class _Run:
    """What one dlt run of the source decided: append its messages (all new) rather than merge them."""

    append: bool = False

    def hinted(self, table: Any) -> Any:
        """``table``, marked for appending when this run appends."""
        if self.append:
            return dlt.mark.with_hints(table, dlt.mark.make_hints(write_disposition="append"))
        return table


@dlt.source(name="ses", max_table_nesting=0)
def ses_source(
    region: str | None = None,
    anchor_date: str | date | None = None,
    range_interval: str = "1d",
    lookback_interval: str = "0d",
    endpoint_url: str | None = None,
    on_limit: str = "split",
    max_concurrent_jobs: int = 3,
    poll_interval: float = 5.0,
    job_timeout: float = 3600.0,
    data_format: str = "JSON",
    connection: Any = None,
    end: datetime | None = None,
    emails_table: str = "ses_emails",
    events_table: str = "ses_email_events",
    on_progress: Any = None,
    feed: Any = None,
    batch_rows: int | None = None,
    deduplicated: bool = False,
    held: Any = None,
) -> tuple[DltResource, ...]:
    """SES v2 Message Insights, exported window by window, as ``ses_emails`` and ``ses_email_events``.

    Give either the inputs by name (``region`` required; AWS credentials from the default chain) or a
    ``connection`` (an ``AwsSesConnection``, as read from env.yaml). ``end`` defaults to now; ``on_progress``
    receives ``sesflow.insights.progress`` events.

    ``feed`` (from ``make_feed``) and ``batch_rows`` let a caller load a long range in several dlt runs
    while the export jobs keep running in between: each run takes about ``batch_rows`` messages.

    ``deduplicated=True`` stages every message once per run and tells dlt so, which spares the destination
    its de-duplicating sort (about half of a merge): a run ends before a window whose export repeats a
    message of an earlier window of the run (the next run, or batch, loads it). dlt may stage a file twice
    when it resumes a run killed at the wrong moment, so whoever sets it removes repeats after a resumed
    load, as ``sesflow.sync`` does.

    ``held`` (with ``deduplicated=True``) is given the message ids of a window and tells whether the
    destination holds any of them already (in either table). A run whose first window it holds none of is
    appended instead of merged: no staging copy, no delete. Each further window of that run is checked too,
    and one the destination does hold (an export straying over its window's edge, rows of a killed load) is
    put back for the next run, which merges it.
    """
    if connection is None:
        if not region:
            from sesflow.errors import ConfigError

            raise ConfigError(
                "ses_source: region is missing", hint="Pass region='us-east-1' (or a connection)."
            )
        inputs: dict[str, Any] = {
            "region": region,
            "anchor_date": anchor_date,
            "range_interval": range_interval,
            "lookback_interval": lookback_interval,
            "endpoint_url": endpoint_url,
            "on_limit": on_limit,
            "max_concurrent_jobs": max_concurrent_jobs,
            "poll_interval": poll_interval,
            "job_timeout": job_timeout,
            "data_format": data_format,
        }
        from sesflow.connections import parse_connection

        connection = parse_connection("ses_source", {"type": "api", "spec": "aws_ses", "inputs": inputs})
    assert isinstance(connection, AwsSesConnection)
    progress: ProgressCallback = on_progress or _ignore
    merge: Any = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": deduplicated}
    run = _Run()
    exports = dlt.resource(
        _exports(
            connection.inputs,
            connection,
            end,
            progress,
            feed,
            batch_rows,
            deduplicated,
            held if deduplicated else None,
            run,
        ),
        name="ses_exports",
        selected=False,
    )

    @dlt.transformer(data_from=exports, name=emails_table, write_disposition=merge, primary_key="messageid")
    def ses_emails(tables: ExportTables) -> Iterator[Any]:
        """One row per message: the export's scalar keys (normalised), ``emailtags`` and ``_raw`` as JSON."""
        if tables.emails.num_rows:
            yield run.hinted(tables.emails)

    @dlt.transformer(
        data_from=exports,
        name=events_table,
        write_disposition=merge,
        primary_key=("messageid", "position"),
        merge_key="messageid",
    )
    def ses_email_events(tables: ExportTables) -> Iterator[Any]:
        """One row per event of a message, ``position`` its index in time order."""
        if tables.events.num_rows:
            yield run.hinted(tables.events)

    return exports, ses_emails, ses_email_events


def make_feed(connection: AwsSesConnection, progress: ProgressCallback) -> ExportFeed:
    """An ``ExportFeed`` for this connection's inputs (pass it to several ``ses_source`` runs)."""
    inputs = connection.inputs
    settings = ExportSettings(
        data_format=inputs.data_format,
        poll_interval=inputs.poll_interval,
        job_timeout=inputs.job_timeout,
    )
    return ExportFeed(
        connection.client(),
        settings,
        range_interval=inputs.range_interval,
        max_concurrent=inputs.max_concurrent_jobs,
        on_limit=inputs.on_limit,
        on_job=progress,
        on_split=progress,
    )


def _exports(
    inputs: AwsSesInputs,
    connection: AwsSesConnection,
    end: datetime | None,
    progress: ProgressCallback,
    feed: ExportFeed | None,
    batch_rows: int | None,
    deduplicated: bool,
    held: Callable[[Any], bool] | None,
    run: _Run,
) -> Any:
    def ses_exports() -> Iterator[ExportTables]:
        state = dlt.current.resource_state()
        current = feed if feed is not None else make_feed(connection, progress)
        last_end: datetime | None = None
        try:
            if not current.started:
                saved = state.get(STATE_KEY)
                if saved:
                    start = Interval.parse(inputs.lookback_interval).subtract_from(_parse_moment(saved))
                else:
                    start = inputs.anchor()
                stop = floor_second(end or datetime.now(UTC))
                progress(RangePlanned(start, stop, bool(saved)))
                if start >= stop:
                    current.exhausted = True
                    return
                current.start(start, stop)
            rows = 0
            staged: set[str] = set()  # the messages this dlt run holds already
            while batch_rows is None or rows < batch_rows:
                result = current.next_result()
                if result is None:
                    break
                tables = result.tables
                if tables is not None and tables.rows:
                    if deduplicated:
                        tables = unique_messages(tables)
                        column = tables.emails["messageid"]
                        ids = column.to_pylist()
                        if rows and (not staged.isdisjoint(ids) or (run.append and held and held(column))):
                            # A message of an earlier window of this run again (an export that strays
                            # over its window's edge), or one an appending run must not append: the
                            # next run loads this window.
                            current.put_back(result)
                            break
                        if not rows and held is not None:
                            run.append = not held(column)
                        staged.update(ids)
                    yield tables
                    rows += tables.rows
                # Only reached once dlt has taken the window's tables: state never runs ahead of the data.
                state[STATE_KEY] = result.window.end.isoformat()
                last_end = result.window.end
                progress(
                    WindowDone(
                        result.window,
                        tables.rows if tables else 0,
                        tables.events.num_rows if tables else 0,
                        result.download_bytes,
                    )
                )
        finally:
            if feed is None:
                current.close()
        if last_end is not None:
            progress(LoadStarted(last_end))

    return ses_exports


def _parse_moment(text: str | datetime) -> datetime:
    moment = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["STATE_KEY", "make_feed", "ses_source"]
