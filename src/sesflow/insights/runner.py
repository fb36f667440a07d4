"""Running a replication: ``sync(path_or_replication) -> SyncSummary``.

For each stream: resolve the source (``aws_ses``) and target connections, take the target's run lock (see
``insights.lock``: one run at a time per dataset), build a dlt pipeline whose working folder lives under
``~/.sesflow/pipelines`` (so a run does not depend on the working directory; the state that matters is in the
target anyway), run ``ses_source`` through it with the stream's mode, batch by batch, and count what was
loaded. A merge stages its rows in a schema of the run's own (``<dataset>_staging_<hash of the pipeline>``),
dropped when the stream is loaded.

``stop`` (a ``threading.Event``, set by the command line on ctrl-C) ends a run early and cleanly: no further
window is handed to dlt, the windows already handed over are loaded and the state saved, and
``SyncInterrupted`` says what the saved state covers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sesflow.connections import (
    AwsSesConnection,
    DuckDbConnection,
    LocalFilesConnection,
    PostgresConnection,
    S3FilesConnection,
    SqliteConnection,
    TargetConnection,
    get_connection,
    no_credentials,
    parse_connection,
    sesflow_home,
)
from sesflow.errors import ConfigError, SesflowError, SyncError, SyncInterrupted
from sesflow.insights import lock
from sesflow.insights.held import DuckDbHeld, PostgresHeld
from sesflow.insights.memory import few_malloc_arenas, release_memory, system_arrow_pool
from sesflow.insights.progress import (
    ProgressCallback,
    ProgressEvent,
    RangePlanned,
    StateWins,
    StreamDone,
    StreamStarted,
    WindowDone,
)
from sesflow.insights.repeats import EMAIL_KEY, EVENT_KEY, remove_repeats
from sesflow.insights.replication import Replication, StreamTask
from sesflow.source.exports import JobEvent
from sesflow.source.jobs import SplitEvent

# Messages per dlt run: each run is one merge per table, whose cost grows with the table. 100,000 rather than
# 50,000 loaded 30 days into PostgreSQL at 49,800 instead of 40,600 messages/s, for 34 MB more peak RSS.
BATCH_ROWS = 100_000
_REFRESH = {"incremental": None, "full-refresh": "drop_sources", "truncate": "drop_data"}


@dataclass
class StreamSummary:
    """What one stream did."""

    stream: str
    object: str
    mode: str
    start: str | None = None
    end: str | None = None
    windows: int = 0
    jobs: int = 0
    splits: int = 0
    emails: int = 0
    events: int = 0
    download_bytes: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0  # dlt's normalize + load steps, summed over the batches
    saved_until: str | None = None  # the end of the last window whose load was committed in this run

    @property
    def rows_per_second(self) -> float:
        """Messages loaded per second of the whole stream run."""
        return self.emails / self.seconds if self.seconds else 0.0


@dataclass
class SyncSummary:
    """What a replication run did: one ``StreamSummary`` per stream, in order."""

    source: str
    target: str
    streams: list[StreamSummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def emails(self) -> int:
        """Messages loaded over all streams."""
        return sum(stream.emails for stream in self.streams)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``sesflow run --json`` prints)."""
        data = asdict(self)
        for stream, summary in zip(data["streams"], self.streams, strict=True):
            stream["rows_per_second"] = round(summary.rows_per_second, 1)
        return data


def pipeline_name(source: str, target: str, task: StreamTask) -> str:
    """The dlt pipeline name of a stream: stable across machines, so the destination state is found."""
    return re.sub(r"[^0-9a-z_]+", "_", f"sesflow_{source}_{target}_{task.schema}_{task.table}".lower())


def sync(
    replication: str | Path | Replication | Mapping[str, Any],
    *,
    streams: Sequence[str] | None = None,
    mode: str | None = None,
    on_progress: ProgressCallback | None = None,
    pipelines_dir: str | Path | None = None,
    end: datetime | None = None,
    connections: Mapping[str, Mapping[str, Any] | str] | None = None,
    wait: bool = True,
    stop: threading.Event | None = None,
) -> SyncSummary:
    """Run a replication (a file path, a mapping or a ``Replication``) and return what it did.

    ``streams``/``mode`` override the file like ``--streams``/``--mode``; ``end`` defaults to now.
    ``connections`` gives settings by name (as in env.yaml) that win over the connections found on the
    machine, for programs that hold their own configuration. While another run loads the same target
    dataset, the run waits for it (``on_progress`` gets a ``Waiting`` event), or with ``wait=False`` raises
    ``TargetBusyError``. Setting ``stop`` ends the run after the windows already exported are loaded.
    Raises ``ConfigError`` for bad configuration, ``SyncError`` when the sync fails (the state saved in the
    target never moves past a window that was not loaded) and ``SyncInterrupted`` when stopped.
    """
    if isinstance(replication, Replication):
        plan = replication
    elif isinstance(replication, Mapping):
        plan = Replication.from_mapping(replication)
    else:
        plan = Replication.load(replication)
    given = connections or {}

    def connection(name: str) -> AwsSesConnection | TargetConnection:
        if name in given:
            return parse_connection(name, given[name], origin="argument")
        return get_connection(name)

    source = connection(plan.config.source)
    if not isinstance(source, AwsSesConnection):
        raise ConfigError(
            f"source: {plan.config.source} is a {source.type} connection",
            hint="The source must be a `type: api, spec: aws_ses` connection.",
        )
    target = connection(plan.config.target)
    if isinstance(target, AwsSesConnection):
        raise ConfigError(f"target: {plan.config.target} is an API connection; the target must be a database")
    tasks = plan.tasks(streams, mode, target_schema=target.default_schema)
    if source.session().get_credentials() is None:
        raise no_credentials()
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    for task in tasks:
        _check_target(plan.config.target, target, task)
    folder = Path(pipelines_dir) if pipelines_dir else sesflow_home() / "pipelines"
    summary = SyncSummary(plan.config.source, plan.config.target)
    started = time.monotonic()
    with few_malloc_arenas(), system_arrow_pool():
        for index, task in enumerate(tasks, start=1):
            stream = StreamSummary(task.name, task.object, task.mode)
            summary.streams.append(stream)
            run = _StreamRun(index, len(tasks), task, plan, source, target, folder, stream, on_progress, end)
            run.execute(wait=wait, stop=stop)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


@dataclass
class _StreamRun:
    """One stream of a replication, loaded batch by batch under the target's lock."""

    index: int
    total: int
    task: StreamTask
    plan: Replication
    source: AwsSesConnection
    target: TargetConnection
    folder: Path
    stream: StreamSummary
    on_progress: ProgressCallback | None
    end: datetime | None
    _pending_until: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def target_name(self) -> str:
        """The target connection's name."""
        return self.plan.config.target

    def forward(self, event: ProgressEvent) -> None:
        """Hand ``event`` to the caller's callback."""
        if self.on_progress is not None:
            self.on_progress(event)

    def count(self, event: ProgressEvent) -> None:
        """Count what the source reports, then forward it."""
        stream = self.stream
        with self._lock:
            if isinstance(event, RangePlanned):
                stream.start, stream.end = event.start.isoformat(), event.end.isoformat()
            elif isinstance(event, JobEvent) and event.state == "CREATED":
                stream.jobs += 1
            elif isinstance(event, SplitEvent):
                stream.splits += 1
            elif isinstance(event, WindowDone):
                stream.windows += 1
                stream.emails += event.emails
                stream.events += event.events
                stream.download_bytes += event.download_bytes
                self._pending_until = event.window.end.isoformat()
        self.forward(event)
        if isinstance(event, RangePlanned) and event.resumed:
            anchor = self.source.inputs.anchor_date
            if anchor is not None and self.source.inputs.anchor() < event.start:
                self.forward(StateWins(self.source.inputs.anchor(), event.start))

    def execute(self, *, wait: bool, stop: threading.Event | None) -> None:
        """Take the lock, load every batch, drop the staging schema; ``SyncInterrupted`` when stopped."""
        task = self.task
        self.forward(StreamStarted(self.index, self.total, task.name, task.object, task.mode))
        started = time.monotonic()
        try:
            with self._locked(wait, stop) as duck:
                self._load(duck, stop)
        except KeyboardInterrupt:
            raise self._interrupted(cut=True) from None
        self.stream.seconds = round(time.monotonic() - started, 3)
        if stop is not None and stop.is_set():
            raise self._interrupted(cut=False)
        self.forward(StreamDone(task.name, self.stream.emails, self.stream.events, self.stream.seconds))

    def _interrupted(self, *, cut: bool) -> SyncInterrupted:
        where = f"the state saved in {self.target_name} for {self.task.object}"
        if self.stream.saved_until:
            covers = f"{where} covers messages sent before {self.stream.saved_until}"
        else:
            covers = f"{where} is as the previous run left it (no window of this run was loaded)"
        if cut:
            covers += "; the load that was running is finished by the next run"
        return SyncInterrupted(f"interrupted: {covers}; rerun to continue from there")

    @contextlib.contextmanager
    def _locked(self, wait: bool, stop: threading.Event | None) -> Iterator[Any]:
        """The target's run lock for the block; yields the open DuckDB connection for a DuckDB target.

        A DuckDB file stays open for the whole stream: DuckDB checkpoints when its last connection closes,
        and dlt opens and closes the file for every job (~6 per batch), which wrote the growing tables again
        and again: a 30-day sync spent 14 of its 27 s of loading in those closes. DuckDB still checkpoints
        on its own as its write-ahead log grows, and once more when the stream closes the file. Being open,
        it is also the run lock: DuckDB lets one process write to a file.
        """
        target, name = self.target, self.target_name
        options: dict[str, Any] = {"wait": wait, "on_wait": self.forward, "stop": stop}
        if isinstance(target, DuckDbConnection):
            path = target.path()
            duck = lock.open_duckdb(name, target.connect, path, **options)
            try:
                yield duck
            finally:
                closing = time.monotonic()
                duck.close()  # the last checkpoint: part of loading, so it is counted with it
                self.stream.load_seconds = round(self.stream.load_seconds + time.monotonic() - closing, 3)
                with contextlib.suppress(OSError):
                    lock.info_path(path).unlink()
        elif isinstance(target, PostgresConnection):
            with lock.postgres_lock(target.dsn(), self.task.schema, name, **options):
                yield None
        elif isinstance(target, SqliteConnection):
            database = target.path()
            with lock.file_lock(database.with_name(database.name + ".sesflow-lock"), name, **options):
                yield None
        elif isinstance(target, LocalFilesConnection):
            with lock.file_lock(target.folder() / f".{self.task.schema}.sesflow-lock", name, **options):
                yield None
        else:  # a warehouse: nothing sesflow can lock; dlt's own merge keeps rows unique there
            yield None

    def _load(self, duck: Any, stop: threading.Event | None) -> None:
        import dlt
        from dlt.pipeline.exceptions import PipelineStepFailed

        from sesflow.insights.source import make_feed, ses_source

        task, target, stream = self.task, self.target, self.stream
        name = pipeline_name(self.plan.config.source, self.target_name, task)
        # dlt gzips the CSV files it loads into PostgreSQL by default, which took ~3 s of every 50,000-message
        # batch (gzip in Python, then gunzip again for COPY): the files are local and short-lived, so no gzip.
        # Scoped to this pipeline's name, so a user's own dlt pipelines keep their setting.
        dlt.config[f"{name}.normalize.data_writer.disable_compression"] = True
        # DuckDB and PostgreSQL get each message once per batch and are told so (no sorting to find out);
        # other dlt destinations keep dlt's own de-duplication.
        deduplicated = target.engine in ("duckdb", "postgres")
        staging = _staging_layout(name)
        if isinstance(target, DuckDbConnection):
            destination = target.destination(duck, staging_dataset_name_layout=staging)
        elif isinstance(target, PostgresConnection):
            destination = target.destination(staging_dataset_name_layout=staging)
        else:
            destination = target.destination()
        try:
            pipeline = dlt.pipeline(
                pipeline_name=name,
                destination=destination,
                staging=target.staging() if hasattr(target, "staging") else None,
                dataset_name=task.schema,
                pipelines_dir=str(self.folder),
            )
            engine: Literal["duckdb", "postgres"] = "duckdb" if duck is not None else "postgres"
            keys = {task.table: EMAIL_KEY, task.events_table: EVENT_KEY}
            file_format = _file_format(target, task)
            # A batch of messages the target does not hold yet is appended rather than merged.
            held: DuckDbHeld | PostgresHeld | None = None
            if duck is not None:
                held = DuckDbHeld(duck, task.schema, tuple(keys))
            elif isinstance(target, PostgresConnection):
                held = PostgresHeld(target.dsn(), task.schema, tuple(keys))
            # One dlt run per batch of about BATCH_ROWS messages: the state in the target moves forward batch
            # by batch, and the feed keeps exporting the next batch while dlt loads the previous one.
            feed = make_feed(self.source, self.count)
            feed.interrupt = stop
            refresh = _REFRESH[task.mode]
            try:
                if pipeline.has_pending_data:
                    # A killed run left a package behind: finish it first (dlt's run() would do only that and
                    # skip the new data). It may stage a file it had staged already: remove the repeats.
                    repeats = deduplicated and bool(pipeline.list_normalized_load_packages())
                    pipeline.run()
                    stream.load_seconds = round(stream.load_seconds + _load_seconds(pipeline), 3)
                    if repeats:
                        remove_repeats(pipeline, engine, keys)
                while True:
                    data = ses_source(
                        connection=self.source,
                        end=self.end,
                        emails_table=task.table,
                        events_table=task.events_table,
                        on_progress=self.count,
                        feed=feed,
                        batch_rows=BATCH_ROWS,
                        deduplicated=deduplicated,
                        held=held,
                    )
                    if target.engine == "files":  # files are only ever added: no merge
                        for table in (task.table, task.events_table):
                            data.resources[table].apply_hints(write_disposition="append")
                    pipeline.run(data, refresh=refresh, loader_file_format=file_format)  # type: ignore[arg-type]
                    stream.saved_until = self._pending_until or stream.saved_until
                    # The checks for held messages are loading work too, though done while dlt extracts.
                    checking = held.take_seconds() if held else 0.0
                    stream.load_seconds = round(stream.load_seconds + _load_seconds(pipeline) + checking, 3)
                    release_memory()
                    refresh = None
                    if feed.exhausted or not feed.started or feed.interrupted:
                        break
            finally:
                feed.close()
                if isinstance(held, PostgresHeld):
                    held.close()
            if deduplicated and not pipeline.has_pending_data:
                _drop_staging(pipeline)
        except PipelineStepFailed as exc:
            if _wraps_interrupt(exc):  # a second ctrl-C inside a dlt step: still an interrupt, exit 130
                raise KeyboardInterrupt from None
            raise _unwrap(exc, self.target_name) from None


def _staging_layout(pipeline: str) -> str:
    """dlt's staging dataset layout for this pipeline: ``<dataset>_staging_<8 hex digits>``.

    The same pipeline always gets the same name, so a resumed load finds what it staged before; the run lock
    keeps any other run out of it while it is in use.
    """
    return "%s_staging_" + hashlib.sha256(pipeline.encode()).hexdigest()[:8]


def _drop_staging(pipeline: Any) -> None:
    """Drop the run's staging schema once nothing is left to load from it (DuckDB and PostgreSQL)."""
    if pipeline.default_schema_name is None:
        return
    with pipeline.sql_client() as client, client.with_staging_dataset():
        if client.has_dataset():
            client.drop_dataset()


def _load_seconds(pipeline: Any) -> float:
    trace = pipeline.last_trace
    total = 0.0
    for step in getattr(trace, "steps", []) or []:
        if step.step in ("normalize", "load") and step.started_at and step.finished_at:
            total += (step.finished_at - step.started_at).total_seconds()
    return total


def _check_target(name: str, target: TargetConnection, task: StreamTask) -> None:
    # DuckDB names a file's catalog after its stem; a schema of the same name makes every table reference
    # ambiguous ("ses.ses_emails" in ses.duckdb), and the load fails half-way. Refuse it up front.
    if isinstance(target, DuckDbConnection) and Path(target.instance).stem == task.schema:
        raise ConfigError(
            f"target {name}: the DuckDB file {target.instance} and the schema {task.schema!r} of "
            f"{task.object} have the same name, which DuckDB cannot tell apart",
            hint="Rename the file (e.g. sesflow.duckdb) or choose another schema in object: "
            "(e.g. ses_data.{stream_name}).",
        )


def _file_format(target: TargetConnection, task: StreamTask) -> str | None:
    if isinstance(target, LocalFilesConnection | S3FilesConnection):
        return task.file_format or target.format
    if isinstance(target, DuckDbConnection):
        return "parquet"
    if isinstance(target, PostgresConnection):
        # Parquet goes in through ADBC's binary COPY when its PostgreSQL driver is installed (a
        # dependency of sesflow): Arrow -> Parquet costs dlt almost nothing, where Arrow -> CSV took
        # ~0.6 s per 50,000 messages. CSV (uncompressed, see above) otherwise.
        return "parquet" if _has_adbc_postgres() else "csv"
    return None


def _has_adbc_postgres() -> bool:
    try:
        import adbc_driver_postgresql  # noqa: F401
    except ImportError:
        return False
    return True


def _wraps_interrupt(exc: BaseException) -> bool:
    """Whether a dlt step failed because a KeyboardInterrupt was raised inside it."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt) or isinstance(
            getattr(cause, "exception", None), KeyboardInterrupt
        ):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _unwrap(exc: BaseException, target: str) -> SesflowError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SesflowError):
            return cause
        cause = cause.__cause__ or cause.__context__
    step = getattr(exc, "step", "load")
    original = getattr(exc, "exception", exc)
    return SyncError(
        f"the {step} step into {target} failed: {type(original).__name__}: {original}",
        hint="Rerun to retry; the state saved in the target has not moved past what was loaded.",
    )
