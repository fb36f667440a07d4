"""``sesflow run``: run a Sling-style replication (logic in ``sesflow.sync``).

``-r replication.yaml``, or Sling's flags for one stream (``--src-conn --src-stream --tgt-conn --tgt-object
--mode``). Progress looks like Sling's: stream i/N, the window being exported, job states, rows and rows/s; a
Rich progress bar on a terminal, plain timestamped log lines otherwise; ``--json`` prints the summary.
ctrl-C stops the run cleanly (the windows exported so far are loaded, exit 130); a second ctrl-C stops it at
once. The command tunes its own process for syncing (``sesflow.sync.memory.process_tuning``), which the
library call leaves alone.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from sesflow.cli.output import console, number
from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from sesflow.sync.progress import ProgressEvent
    from sesflow.sync.summary import SyncSummary


def _tables(rows: dict[str, int]) -> str:
    """``200 rows into ses.ses_emails and 450 into ses.ses_email_events``."""
    parts = [f"{number(count)} into {name}" for name, count in rows.items()]
    if not parts:
        return "nothing"
    parts[0] = parts[0].replace(" into ", " rows into ", 1)
    return " and ".join(parts)


def _plain(event: ProgressEvent) -> str | None:
    """The line that events other than progress (waiting, state over anchor, skipped or failed) print."""
    from sesflow.sync.progress import StateWins, StreamFailed, StreamSkipped, Waiting

    if isinstance(event, StreamSkipped):
        return f"{event.stream}: skipped: {event.reason}"
    if isinstance(event, StreamFailed):
        return f"{event.stream}: failed: {event.message}" + (f" {event.hint}" if event.hint else "")
    if isinstance(event, Waiting):
        return f"waiting: target {event.target} is being loaded by another run ({event.holder.describe()})"
    if isinstance(event, StateWins):
        return (
            f"anchor_date {event.anchor.date().isoformat()} is earlier than the state saved in the target: "
            f"the state wins and this run starts at {event.start.isoformat()} (to start again from "
            "anchor_date, run with --mode full-refresh)"
        )
    return None


# The streams whose windows, jobs and loads the progress events without a stream name describe (the other
# streams run beside them, see ``sesflow.sync.runner``).
_MESSAGE_STREAMS = ("ses_emails", "ses_email_events")


class _LogLines:
    """Plain log lines on stderr (not a terminal, or --json)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._rows = 0

    def _log(self, text: str) -> None:
        with self._lock:
            stamp = datetime.now().strftime("%H:%M:%S")
            print(f"{stamp} INF {text}", file=sys.stderr, flush=True)

    def __call__(self, event: ProgressEvent) -> None:
        from sesflow.sync.progress import (
            JobProgress,
            LoadStarted,
            RangePlanned,
            StreamDone,
            StreamStarted,
            WindowDone,
            WindowSplit,
        )

        line = _plain(event)
        if line is not None:
            self._log(line)
        elif isinstance(event, StreamStarted):
            if event.stream in _MESSAGE_STREAMS:  # the rate of the windows below is theirs
                self._started = time.monotonic()
                self._rows = 0
            into = ", ".join(event.tables.values()) or event.object
            self._log(
                f"[{event.index} / {event.total}] running stream {event.stream} -> {into} ({event.mode})"
            )
        elif isinstance(event, RangePlanned):
            origin = "saved state" if event.resumed else "anchor_date"
            self._log(f"exporting {event.start.isoformat()} .. {event.end.isoformat()} (from {origin})")
        elif isinstance(event, JobProgress):
            self._log(f"window {event.window}: job {event.job_id} {event.state}")
        elif isinstance(event, WindowSplit):
            self._log(
                f"window {event.window} hit the export cap: splitting into {event.halves[0]} "
                f"and {event.halves[1]}"
            )
        elif isinstance(event, WindowDone):
            self._rows += event.emails
            rate = self._rows / max(time.monotonic() - self._started, 1e-6)
            self._log(
                f"window {event.window}: {number(event.emails)} messages, {number(event.events)} events "
                f"({number(self._rows)} rows, {number(rate)} r/s)"
            )
        elif isinstance(event, LoadStarted):
            self._log("loading into the target")
        elif isinstance(event, StreamDone):
            first = next(iter(event.rows.values()), 0)
            rate = first / event.seconds if event.seconds else 0.0
            self._log(f"inserted {_tables(dict(event.rows))} in {event.seconds:.1f} s ({number(rate)} r/s)")


class _Bar:
    """A Rich progress bar over the time range of the stream."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None  # the message streams' bar, which the events without a stream move
        self._tasks: dict[str, TaskID] = {}
        self._start = 0.0
        self._rows = 0
        self._began = time.monotonic()
        self._label = ""

    def __call__(self, event: ProgressEvent) -> None:
        from sesflow.sync.progress import (
            JobProgress,
            LoadStarted,
            RangePlanned,
            StreamDone,
            StreamStarted,
            WindowDone,
            WindowSplit,
        )

        progress = self._progress
        line = _plain(event)
        if line is not None:
            progress.console.print(line, markup=False)
            return
        if isinstance(event, StreamStarted):
            label = f"[{event.index}/{event.total}] {event.object}"
            task = self._tasks[event.stream] = progress.add_task(label, total=1.0, status="starting")
            if event.stream in _MESSAGE_STREAMS:
                self._label, self._task = label, task
                self._rows = 0
                self._began = time.monotonic()
            return
        if isinstance(event, StreamDone):
            done = self._tasks.get(event.stream)
            if done is not None:
                first = next(iter(event.rows.values()), 0)
                total = next((task.total for task in progress.tasks if task.id == done), None)
                progress.update(
                    done, status=f"{number(first)} rows in {event.seconds:.1f} s", completed=total
                )
            return
        if self._task is None:
            return
        if isinstance(event, RangePlanned):
            self._start = event.start.timestamp()
            progress.update(self._task, total=max(event.end.timestamp() - self._start, 1.0), completed=0)
        elif isinstance(event, JobProgress):
            progress.update(
                self._task, status=f"{event.window.start:%Y-%m-%d %H:%M:%S} {event.state.lower()}"
            )
        elif isinstance(event, WindowSplit):
            progress.update(self._task, status=f"splitting {event.window.start:%Y-%m-%d %H:%M}")
        elif isinstance(event, WindowDone):
            self._rows += event.emails
            rate = self._rows / max(time.monotonic() - self._began, 1e-6)
            progress.update(
                self._task,
                completed=event.window.end.timestamp() - self._start,
                status=f"{number(self._rows)} rows {number(rate)} r/s",
            )
        elif isinstance(event, LoadStarted):
            progress.update(self._task, status=f"{number(self._rows)} rows, loading")


@contextlib.contextmanager
def _ctrl_c_stops(stop: threading.Event) -> Iterator[None]:
    """Within the block, a first ctrl-C sets ``stop`` (the run ends cleanly); a second one interrupts at once.

    Process tuning belongs to the command line: ``sync()`` itself installs no handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console(stderr=True).print(
            "stopping: loading the windows exported so far (ctrl-C again to stop at once)", markup=False
        )

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _one_stream(
    src_conn: str | None,
    src_stream: str | None,
    tgt_conn: str | None,
    tgt_object: str | None,
    mode: str | None,
) -> dict[str, Any]:
    """A replication mapping from Sling's flags for one stream."""
    missing = [flag for flag, value in (("--src-conn", src_conn), ("--tgt-conn", tgt_conn)) if not value]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} missing: give -r replication.yaml, or --src-conn and --tgt-conn",
            hint="Example: sesflow run --src-conn AWS_SES --src-stream ses_emails --tgt-conn MY_PG "
            "--tgt-object 'ses.{stream_name}' --mode incremental",
        )
    stream: dict[str, Any] = {}
    if tgt_object:
        stream["object"] = tgt_object
    if mode:
        stream["mode"] = mode
    return {"source": src_conn, "target": tgt_conn, "streams": {src_stream or "ses_emails": stream or None}}


def run(
    replication: str | None = typer.Option(
        None, "-r", "--replication", help="The replication YAML file.", metavar="FILE"
    ),
    src_conn: str | None = typer.Option(
        None, "--src-conn", help="Source connection (Sling's flag).", metavar="NAME"
    ),
    src_stream: str | None = typer.Option(
        None, "--src-stream", help="Source stream, e.g. ses_emails (default).", metavar="STREAM"
    ),
    tgt_conn: str | None = typer.Option(
        None, "--tgt-conn", help="Target connection (Sling's flag).", metavar="NAME"
    ),
    tgt_object: str | None = typer.Option(
        None, "--tgt-object", help="Target object, e.g. 'ses.{stream_name}'.", metavar="SCHEMA.TABLE"
    ),
    streams: str | None = typer.Option(
        None, "--streams", help="Comma-separated streams to run (overrides the file).", metavar="A,B"
    ),
    mode: str | None = typer.Option(
        None, "--mode", help="incremental, full-refresh or truncate (overrides the file).", metavar="MODE"
    ),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Exit 2 at once when another run is loading the same target."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Run a replication: load the SES streams it selects into the target database."""
    from sesflow.errors import SyncError
    from sesflow.sync.memory import process_tuning
    from sesflow.sync.runner import sync
    from sesflow.sync.summary import SyncSummary

    if replication is not None and (src_conn or tgt_conn or tgt_object or src_stream):
        raise ConfigError("give either -r replication.yaml or --src-conn/--tgt-conn, not both")
    plan: Any = (
        replication
        if replication is not None
        else _one_stream(src_conn, src_stream, tgt_conn, tgt_object, mode)
    )
    names = [name.strip() for name in streams.split(",") if name.strip()] if streams else None
    stop = threading.Event()
    err = console(stderr=True)
    options: dict[str, Any] = {"streams": names, "mode": mode, "wait": not no_wait, "stop": stop}
    try:
        with _ctrl_c_stops(stop), process_tuning():
            if err.is_terminal and not as_json:
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TextColumn("{task.fields[status]}"),
                    TimeElapsedColumn(),
                    console=err,
                ) as progress:
                    summary = sync(plan, on_progress=_Bar(progress), **options)
            else:
                summary = sync(plan, on_progress=_LogLines(), **options)
    except SyncError as exc:
        if isinstance(exc.summary, SyncSummary):
            _print_summary(exc.summary, as_json=as_json)
        raise
    _print_summary(summary, as_json=as_json)


def _print_summary(summary: SyncSummary, *, as_json: bool) -> None:
    """The run's summary: JSON on stdout, or one line per stream on stderr."""
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
        return
    err = console(stderr=True)
    for stream in summary.streams:
        if stream.status == "skipped":
            line = f"{stream.stream} -> {stream.object}: skipped ({stream.reason})"
        elif stream.status == "failed":
            line = f"{stream.stream} -> {stream.object}: failed ({stream.error})"
        else:
            line = f"{stream.stream} -> {stream.object}: {number(stream.rows)} rows"
            others = {name: rows for name, rows in stream.tables.items() if name != stream.object}
            if others:
                line += ", " + ", ".join(f"{number(rows)} into {name}" for name, rows in others.items())
            if stream.jobs:
                line += f", {number(stream.jobs)} export jobs ({number(stream.splits)} splits)"
            line += f" in {stream.seconds:.1f} s"
        err.print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the root command."""
    app.command("run")(run)
