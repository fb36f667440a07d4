"""One stream of a replication: the target's run lock, the stream's dlt pipeline, and its load.

Each stream (the two message streams count as one: they come from one export) has a dlt pipeline of its own,
named after the source, target and object, whose working folder lives under ``~/.sesflow/pipelines`` (the
state that matters is in the target). Its source is ``ses_source`` as the connection configures it, with the
stream's resource alone, renamed to the replication's table; the message streams load batch by batch
(``sync.messages``). A merge stages its rows in a dataset of the run's own
(``<dataset>_staging_<hash of the pipeline>``), dropped when the stream is loaded.

``stop`` (a ``threading.Event``, set by the command line on ctrl-C) ends a message stream early and cleanly:
no further window is handed to dlt, the windows already handed over are loaded and the state saved, and
``SyncInterrupted`` says what the saved state covers. A ``KeyboardInterrupt`` anywhere (a second ctrl-C) ends
it at once, with the same message.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sesflow.connections import (
    DuckDbConnection,
    LocalFilesConnection,
    PostgresConnection,
    SqliteConnection,
    TargetConnection,
)
from sesflow.errors import SesflowError, SyncError, SyncInterrupted
from sesflow.source.catalog import stream_info
from sesflow.sync import lock
from sesflow.sync import messages as batches_module
from sesflow.sync.held import DuckDbHeld, PostgresHeld
from sesflow.sync.memory import release_memory
from sesflow.sync.messages import MessageBatches
from sesflow.sync.progress import (
    JobProgress,
    ProgressCallback,
    ProgressEvent,
    RangePlanned,
    StateWins,
    StreamDone,
    StreamSkipped,
    StreamStarted,
    WindowDone,
    WindowSplit,
)
from sesflow.sync.repeats import EMAIL_KEY, EVENT_KEY, remove_repeats
from sesflow.sync.replication import EMAILS, EVENTS, StreamTask
from sesflow.sync.settings import SourceSettings
from sesflow.sync.shared import SharedTarget
from sesflow.sync.summary import StreamSummary
from sesflow.sync.targets import (
    CreatedNames,
    created_names,
    destination,
    drop_staging,
    file_format,
)

_REFRESH = {"incremental": None, "full-refresh": "drop_sources", "truncate": "drop_data"}
_MERGE_ONCE: Any = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}
MESSAGE_STREAMS = (EMAILS, EVENTS)
_KEYS = {EMAILS: EMAIL_KEY, EVENTS: EVENT_KEY}


def pipeline_name(source: str, target: str, task: StreamTask) -> str:
    """The dlt pipeline (and schema) name of a stream: stable across machines, so its state is found.

    dlt takes schema names of up to 64 characters: a longer name keeps its start and a hash of the whole.
    """
    name = re.sub(r"[^0-9a-z_]+", "_", f"sesflow_{source}_{target}_{task.schema}_{task.table}".lower())
    if len(name) <= 64:
        return name
    return f"{name[:55]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass
class StreamRun:
    """One stream of a replication, loaded under the target's lock."""

    index: int
    total: int
    task: StreamTask
    source_name: str
    target_name: str
    settings: SourceSettings
    target: TargetConnection
    folder: Path
    summary: StreamSummary
    on_progress: ProgressCallback | None
    end: datetime | None
    shared: SharedTarget = field(default_factory=SharedTarget)
    _pending_until: str | None = None
    _synced: bool = False
    _counting: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        """The stream's dlt pipeline and schema name."""
        return pipeline_name(self.source_name, self.target_name, self.task)

    @property
    def messages(self) -> bool:
        """True for the message streams, which load from export jobs in batches."""
        return self.task.name in MESSAGE_STREAMS

    def forward(self, event: ProgressEvent) -> None:
        """Hand ``event`` to the caller's callback."""
        if self.on_progress is not None:
            self.on_progress(event)

    def count(self, event: ProgressEvent) -> None:
        """Count what the message batches report, then forward it (called from export threads too)."""
        stream = self.summary
        with self._counting:
            if isinstance(event, RangePlanned):
                stream.start, stream.end = event.start.isoformat(), event.end.isoformat()
            elif isinstance(event, JobProgress) and event.state == "CREATED":
                stream.jobs += 1
            elif isinstance(event, WindowSplit):
                stream.splits += 1
            elif isinstance(event, WindowDone):
                stream.windows += 1
                stream.emails += event.emails
                stream.events += event.events
                stream.download_bytes += event.download_bytes
                self._pending_until = event.window.end.isoformat()
        self.forward(event)
        inputs = self.settings.connection.inputs
        resumed = isinstance(event, RangePlanned) and event.resumed and inputs.anchor_date is not None
        if resumed and isinstance(event, RangePlanned) and inputs.anchor() < event.start:
            self.forward(StateWins(inputs.anchor(), event.start))

    def execute(self, *, wait: bool, stop: threading.Event | None) -> None:
        """Take the lock and load the stream; ``SyncInterrupted`` when stopped, the stream's error when it
        fails."""
        from dlt.pipeline.exceptions import PipelineStepFailed

        started = time.monotonic()
        try:
            with self._locked(wait, stop) as duck:
                self._run(duck, stop)
        except KeyboardInterrupt:
            raise self.interrupted(cut=True) from None
        except PipelineStepFailed as exc:
            raise self._unwrap(exc) from None
        except SyncError as exc:
            if any(isinstance(cause, KeyboardInterrupt) for cause in _causes(exc)):
                raise self.interrupted(cut=True) from None  # an error met while a ctrl-C unwound the run
            raise
        self.summary.seconds = round(time.monotonic() - started, 3)
        if self.messages and stop is not None and stop.is_set():
            raise self.interrupted(cut=False)
        if self.summary.status == "loaded":
            self.forward(StreamDone(self.task.name, dict(self.summary.tables), self.summary.seconds))

    def interrupted(self, *, cut: bool) -> SyncInterrupted:
        """The error that ends the run here, saying what the state saved in the target covers."""
        if not self.messages:
            return SyncInterrupted(
                f"interrupted: {self.summary.object} in {self.target_name} was not loaded in this run; "
                "rerun to load it"
            )
        where = f"the state saved in {self.target_name} for {self.summary.object}"
        if self.summary.saved_until:
            covers = f"{where} covers messages sent before {self.summary.saved_until}"
        else:
            covers = f"{where} is as the previous run left it (no window of this run was loaded)"
        if cut:
            covers += "; the load that was running is finished by the next run"
        return SyncInterrupted(f"interrupted: {covers}; rerun to continue from there")

    def _unwrap(self, exc: BaseException) -> SesflowError:
        """The error a failed dlt step stands for: an interrupt, sesflow's own error, or a ``SyncError``."""
        chain = list(_causes(exc))
        if any(isinstance(cause, KeyboardInterrupt) for cause in chain):
            return self.interrupted(cut=True)
        for cause in chain:
            if isinstance(cause, SesflowError):
                return cause
        step = getattr(exc, "step", "load")
        original = getattr(exc, "exception", exc)
        return SyncError(
            f"{self.task.name}: the {step} step into {self.target_name} failed: "
            f"{type(original).__name__}: {original}",
            hint="Rerun to retry; the state saved in the target has not moved past what was loaded.",
        )

    @contextlib.contextmanager
    def _locked(self, wait: bool, stop: threading.Event | None) -> Iterator[Any]:
        """The target's run lock for the block; yields the open DuckDB connection for a DuckDB target.

        A DuckDB file stays open for the whole stream: DuckDB checkpoints when its last connection closes,
        and dlt opens and closes the file for every job (~6 per batch), which wrote the growing tables again
        and again: a 30-day sync spent 14 of its 27 s of loading in those closes. DuckDB still checkpoints
        on its own as its write-ahead log grows, and once more when the last stream closes the file. Being
        open, it is also the run lock: DuckDB lets one process write to a file. Streams of the run that load
        at the same time share the lock (``sync.shared``).
        """
        target, name = self.target, self.target_name
        options: dict[str, Any] = {"wait": wait, "on_wait": self.forward, "stop": stop}
        take: Any = None
        key = ""
        if isinstance(target, DuckDbConnection):
            path = target.path()
            key, take = f"duckdb {path}", lambda: _duckdb_file(name, target, path, options)
        elif isinstance(target, PostgresConnection):
            key = f"postgres {target.dsn()} {self.task.schema}"
            take = lambda: lock.postgres_lock(target.dsn(), self.task.schema, name, **options)  # noqa: E731
        elif isinstance(target, SqliteConnection):
            database = target.path()
            key = f"file {database}"
            take = lambda: lock.file_lock(  # noqa: E731
                database.with_name(database.name + ".sesflow-lock"), name, **options
            )
        elif isinstance(target, LocalFilesConnection):
            folder = target.folder()
            key = f"file {folder} {self.task.schema}"
            take = lambda: lock.file_lock(folder / f".{self.task.schema}.sesflow-lock", name, **options)  # noqa: E731
        if take is None:  # a warehouse: nothing sesflow can lock; dlt's own merge keeps rows unique there
            yield None
            return
        with self.shared.hold(key, take) as use:
            if use.value is None or use.first:
                yield use.value
            else:  # a DuckDB file another stream of the run opened: a connection of this thread's own
                cursor = use.value.cursor()
                try:
                    yield cursor
                finally:
                    cursor.close()
        # The last stream to let a DuckDB file go closes it: the last checkpoint, part of its loading.
        self._add_load_seconds(use.release_seconds)

    def _add_load_seconds(self, seconds: float) -> None:
        self.summary.load_seconds = round(self.summary.load_seconds + seconds, 3)

    def _run(self, duck: Any, stop: threading.Event | None) -> None:
        import dlt

        task, target = self.task, self.target
        pipeline = dlt.pipeline(
            pipeline_name=self.name,
            destination=destination(target, duck, self.name),
            staging=target.staging() if hasattr(target, "staging") else None,
            dataset_name=task.schema,
            pipelines_dir=str(self.folder),
        )
        names = created_names(pipeline, task.tables.values(), ("messageid",))
        self.summary.object = names.qualified(task.table)
        tables = {stream: names.qualified(table) for stream, table in task.tables.items()}
        # A snapshot stream replaces its table whatever the mode asks of an incremental one.
        snapshot = not stream_info(task.name).incremental and task.mode == "incremental"
        mode = "replace" if snapshot else task.mode
        self.forward(StreamStarted(self.index, self.total, task.name, self.summary.object, mode, tables))
        sql = target.engine in ("duckdb", "postgres")
        deduplicated = self.messages and sql
        if pipeline.has_pending_data:
            # A killed run left a package behind: finish it first (dlt's run() would do only that and skip
            # the new data). It may stage a file it had staged already: remove the repeats.
            repeats = deduplicated and bool(pipeline.list_normalized_load_packages())
            self._sync(pipeline)
            with self.shared.writing:
                started = time.monotonic()
                if pipeline.list_extracted_load_packages():
                    pipeline.normalize()
                if pipeline.list_normalized_load_packages():
                    pipeline.load()
                self._add_load_seconds(time.monotonic() - started)
            if repeats:
                keys = {table: _KEYS[stream] for stream, table in task.tables.items()}
                remove_repeats(pipeline, "duckdb" if duck is not None else "postgres", keys)
        if self.messages:
            self._load_messages(pipeline, duck, names, deduplicated, stop)
        else:
            self._load_once(pipeline)
        if sql and not pipeline.has_pending_data:
            with self.shared.writing:
                drop_staging(pipeline)

    def _source(self, base: Any, resources: list[Any]) -> Any:
        """A source of ``resources`` (taken from ``base``, a ``ses_source``) under the stream's own schema
        name: streams loading into one dataset keep their schemas apart."""
        from dlt.extract.source import DltSource

        return DltSource(base.schema.clone(with_name=self.name), base.section, resources)

    def _load_messages(
        self,
        pipeline: Any,
        duck: Any,
        names: CreatedNames,
        deduplicated: bool,
        stop: threading.Event | None,
    ) -> None:
        task, target, summary = self.task, self.target, self.summary
        held: DuckDbHeld | PostgresHeld | None = None
        if deduplicated:
            created = tuple(names.tables.values())
            column = names.columns["messageid"]
            if duck is not None:
                held = DuckDbHeld(duck, names.dataset, created, column)
            elif isinstance(target, PostgresConnection):
                held = PostgresHeld(target.dsn(), names.dataset, created, column)
        disposition: Any = "append" if target.engine == "files" else (_MERGE_ONCE if deduplicated else None)
        batches = MessageBatches(
            self.count,
            batch_rows=batches_module.BATCH_ROWS,
            deduplicated=deduplicated,
            held=held,
            interrupt=stop,
            end=self.end,
        )
        refresh = _REFRESH[task.mode]
        fmt = file_format(target, task)
        try:
            while True:
                base = self.settings.source()
                source = self._source(base, batches.resources(base, task.tables, disposition))
                # A full refresh or truncate drops what the target holds when this run loads: nothing it
                # holds now may count as held (or unchanged) for the batch that replaces it.
                batches.held = None if refresh else held
                loading = self._steps(pipeline, source, refresh, fmt)
                summary.saved_until = self._pending_until or summary.saved_until
                # The checks for held messages are loading work too, though done while dlt extracts.
                checking = held.take_seconds() if held else 0.0
                self._add_load_seconds(loading + checking)
                release_memory()
                refresh = None
                if batches.finished:
                    break
        finally:
            batches.close()
            if isinstance(held, PostgresHeld):
                held.close()
        rows = {EMAILS: summary.emails, EVENTS: summary.events}
        summary.tables = {names.qualified(table): rows[stream] for stream, table in task.tables.items()}

    def _load_once(self, pipeline: Any) -> None:
        task, target, summary = self.task, self.target, self.summary
        base = self.settings.source()
        resource = base.resources[task.name]
        resource.apply_hints(table_name=task.table)
        if target.engine == "files" and stream_info(task.name).incremental:
            resource.apply_hints(write_disposition="append")  # files are only ever added: no merge
        if task.name == "ses_metrics":
            reason = _vdm_off(resource.explicit_args["exports"].client)
            if reason is not None:
                summary.status, summary.reason = "skipped", reason
                self.forward(StreamSkipped(task.name, reason))
                return
        counts: dict[str, int] = {}
        loading = self._steps(
            pipeline, self._source(base, [resource]), _REFRESH[task.mode], file_format(target, task), counts
        )
        self._add_load_seconds(loading)
        naming = pipeline.default_schema.naming
        summary.tables = {summary.object: int(counts.get(naming.normalize_table_identifier(task.table), 0))}

    def _sync(self, pipeline: Any) -> None:
        """Restore the pipeline's state from the target, once (as dlt's ``run`` does)."""
        if not self._synced and pipeline.config.restore_from_destination and not pipeline.dev_mode:
            pipeline.sync_destination()
        self._synced = True

    def _steps(
        self, pipeline: Any, data: Any, refresh: Any, fmt: str | None, counts: dict[str, int] | None = None
    ) -> float:
        """dlt's ``run`` of ``data``, step by step: the load step one stream of the run at a time (see
        ``sync.shared``), so that extracting (waiting for exports) overlaps another stream's load. Returns
        the seconds of the normalize and load steps; ``counts`` gets the rows normalised per table."""
        self._sync(pipeline)
        pipeline.extract(data, refresh=refresh, loader_file_format=fmt)
        started = time.monotonic()
        info = pipeline.normalize()
        seconds = time.monotonic() - started
        if counts is not None:
            counts.update(getattr(info, "row_counts", None) or {})
        with self.shared.writing:
            started = time.monotonic()
            pipeline.load()
            return seconds + time.monotonic() - started


@contextlib.contextmanager
def _duckdb_file(name: str, target: DuckDbConnection, path: Path, options: dict[str, Any]) -> Iterator[Any]:
    """The DuckDB file open for the block (DuckDB's write lock: the run lock); closed at the end."""
    duck = lock.open_duckdb(name, target.connect, path, **options)
    try:
        yield duck
    finally:
        duck.close()
        with contextlib.suppress(OSError):
            lock.info_path(path).unlink()


def _vdm_off(client: Any) -> str | None:
    """Why ``ses_metrics`` has nothing to load (VDM is not enabled), or None when it has."""
    from sesflow.source.api import Api, denial_guard
    from sesflow.source.metrics import VDM_SETTING, vdm_enabled

    with denial_guard("ses_metrics", "raise"):
        enabled, setting = vdm_enabled(Api(client))
    if enabled:
        return None
    return (
        f"Virtual Deliverability Manager is not enabled for this account ({VDM_SETTING} is {setting}), so "
        "SES has no metrics to export; enable it in the SES console or with `aws sesv2 "
        "put-account-vdm-attributes --vdm-attributes VdmEnabled=ENABLED`"
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: causes, contexts and the ``exception`` dlt's step errors carry."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "exception", None)
        pending.extend(
            (current.__context__, current.__cause__, wrapped if isinstance(wrapped, BaseException) else None)
        )


__all__ = ["MESSAGE_STREAMS", "StreamRun", "pipeline_name"]
