"""``sesflow run -r replication.yaml``: run a Sling-style replication (logic in ``sesflow.insights``).

Progress looks like Sling's: stream i/N, the window being exported, job states, rows and rows/s; a Rich
progress bar on a terminal, plain timestamped log lines otherwise; ``--json`` prints the summary.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from sesflow.insights.progress import ProgressEvent

_err = Console(stderr=True, highlight=False, soft_wrap=True)


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
        from sesflow.insights.progress import (
            LoadStarted,
            RangePlanned,
            StreamDone,
            StreamStarted,
            WindowDone,
        )
        from sesflow.source.exports import JobEvent
        from sesflow.source.jobs import SplitEvent

        if isinstance(event, StreamStarted):
            self._started = time.monotonic()
            self._rows = 0
            self._log(
                f"[{event.index} / {event.total}] running stream {event.stream} -> {event.object} "
                f"({event.mode})"
            )
        elif isinstance(event, RangePlanned):
            origin = "saved state" if event.resumed else "anchor_date"
            self._log(f"exporting {event.start.isoformat()} .. {event.end.isoformat()} (from {origin})")
        elif isinstance(event, JobEvent):
            self._log(f"window {event.window}: job {event.job_id} {event.state}")
        elif isinstance(event, SplitEvent):
            self._log(
                f"window {event.window} hit the export cap: splitting into {event.halves[0]} "
                f"and {event.halves[1]}"
            )
        elif isinstance(event, WindowDone):
            self._rows += event.emails
            rate = self._rows / max(time.monotonic() - self._started, 1e-6)
            self._log(
                f"window {event.window}: {event.emails} messages, {event.events} events "
                f"({self._rows} rows, {rate:,.0f} r/s)"
            )
        elif isinstance(event, LoadStarted):
            self._log("loading into the target")
        elif isinstance(event, StreamDone):
            rate = event.emails / event.seconds if event.seconds else 0.0
            self._log(
                f"inserted {event.emails} rows and {event.events} events in {event.seconds:.1f} s "
                f"({rate:,.0f} r/s)"
            )


class _Bar:
    """A Rich progress bar over the time range of the stream."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._start = 0.0
        self._rows = 0
        self._began = time.monotonic()
        self._label = ""

    def __call__(self, event: ProgressEvent) -> None:
        from sesflow.insights.progress import LoadStarted, RangePlanned, StreamDone, StreamStarted, WindowDone
        from sesflow.source.exports import JobEvent
        from sesflow.source.jobs import SplitEvent

        progress = self._progress
        if isinstance(event, StreamStarted):
            self._label = f"[{event.index}/{event.total}] {event.stream}"
            self._rows = 0
            self._began = time.monotonic()
            self._task = progress.add_task(self._label, total=1.0, status="starting")
            return
        if self._task is None:
            return
        if isinstance(event, RangePlanned):
            self._start = event.start.timestamp()
            progress.update(self._task, total=max(event.end.timestamp() - self._start, 1.0), completed=0)
        elif isinstance(event, JobEvent):
            progress.update(
                self._task, status=f"{event.window.start:%Y-%m-%d %H:%M:%S} {event.state.lower()}"
            )
        elif isinstance(event, SplitEvent):
            progress.update(self._task, status=f"splitting {event.window.start:%Y-%m-%d %H:%M}")
        elif isinstance(event, WindowDone):
            self._rows += event.emails
            rate = self._rows / max(time.monotonic() - self._began, 1e-6)
            progress.update(
                self._task,
                completed=event.window.end.timestamp() - self._start,
                status=f"{self._rows:,} rows {rate:,.0f} r/s",
            )
        elif isinstance(event, LoadStarted):
            progress.update(self._task, status=f"{self._rows:,} rows, loading")
        elif isinstance(event, StreamDone):
            progress.update(self._task, status=f"{event.emails:,} rows in {event.seconds:.1f} s")


def run(
    replication: str = typer.Option(..., "-r", "--replication", help="The replication YAML file."),
    streams: str | None = typer.Option(
        None, "--streams", help="Comma-separated streams to run (overrides the file)."
    ),
    mode: str | None = typer.Option(
        None, "--mode", help="incremental, full-refresh or truncate (overrides the file)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Run a replication: export SES Message Insights into the target database."""
    from sesflow.insights.runner import sync

    names = [name.strip() for name in streams.split(",") if name.strip()] if streams else None
    summary: Any
    if _err.is_terminal and not as_json:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=_err,
        ) as progress:
            summary = sync(replication, streams=names, mode=mode, on_progress=_Bar(progress))
    else:
        summary = sync(replication, streams=names, mode=mode, on_progress=_LogLines())
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        for stream in summary.streams:
            _err.print(
                f"{stream.stream} -> {stream.object}: {stream.emails} rows, {stream.events} events, "
                f"{stream.jobs} export jobs ({stream.splits} splits) in {stream.seconds:.1f} s"
            )


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to the root command."""
    app.command("run")(run)
