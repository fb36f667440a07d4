"""What ``sesflow campaign`` shows: a Rich progress bar on a terminal (log lines otherwise), the validation
problems, the summary of a run and its exit code, and the SIGINT/SIGTERM handling of a run."""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from sesflow.campaign import Campaign, Progress, RunSummary, Validation


def console(stderr: bool = False) -> Console:
    """A Rich console that never wraps lines (they may be read by log collectors)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def when(seconds: float | None) -> str:
    """An epoch time as ``YYYY-MM-DD HH:MM:SS UTC`` ("-" for None)."""
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    """Seconds as ``42s``, ``3m05s`` or ``2h10m`` ("-" when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM ask the run to stop (requests in flight finish and are recorded); a second one
    exits at once (the ledger keeps the claims, so resume is still safe)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console(stderr=True).print("stopping: finishing the requests in flight (again to quit now)")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Reporter:
    """Shows progress: a Rich bar with rate and ETA on a terminal, a log line every few seconds otherwise."""

    def __init__(self, name: str, quiet: bool) -> None:
        self._name = name
        self._console = console(stderr=True)
        self._quiet = quiet
        self._bar: Any = None
        self._task: Any = None
        self._last_line = 0.0

    def __enter__(self) -> Callable[[Progress], None]:
        if not self._quiet and self._console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>8.1f}/s"),
                TextColumn("{task.fields[detail]}"),
                TimeRemainingColumn(),
                console=self._console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._name, total=None, rate=0.0, detail="")
        return self.update

    def update(self, progress: Progress) -> None:
        """Show ``progress``: move the bar, or log a line at most every 5 seconds."""
        if self._quiet:
            return
        detail = f"failed {progress.failed:,} · unknown {progress.unknown:,}"
        if self._bar is not None:
            self._bar.update(
                self._task, total=progress.total, completed=progress.done, rate=progress.rate, detail=detail
            )
            return
        now = time.monotonic()
        if now - self._last_line < 5.0 and progress.pending:
            return
        self._last_line = now
        share = progress.done / progress.total if progress.total else 1.0
        self._console.print(
            f"campaign {self._name}: {progress.done:,}/{progress.total:,} ({share:.0%})"
            f" · sent {progress.sent:,} · {detail} · {progress.rate:,.1f}/s · ETA {duration(progress.eta)}",
            markup=False,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def print_validation(validation: Validation) -> None:
    """The validation summary and the first problems, on stderr."""
    err = console(stderr=True)
    err.print(f"validated {validation.summary()}", markup=False)
    for problem in validation.problems[:20]:
        err.print(f"  skipped {validation.source} {problem}", markup=False)
    if validation.problem_count > 20:
        err.print(
            f"  ... and {validation.problem_count - 20:,} more (`send --dry-run --json` lists them all)",
            markup=False,
        )


def finish(summary: RunSummary, campaign: Campaign, as_json: bool) -> None:
    """Print a run's summary (or its JSON) and exit with its code: 0 complete, 1 rows left failed or
    unknown, 130 stopped."""
    counts = summary.counts
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "campaign": summary.campaign,
                    "campaign_id": summary.campaign_id,
                    "ended": summary.ended,
                    "this_run": {"sent": summary.sent, "failed": summary.failed, "unknown": summary.unknown},
                    "counts": counts.to_dict(),
                    "retryable_failed": counts.retryable_failed,
                    "elapsed_seconds": round(summary.elapsed, 3),
                }
            )
        )
    else:
        parts = " · ".join(f"{state} {counts[state]:,}" for state in counts.to_dict() if counts[state])
        console().print(
            f"campaign {summary.campaign} {summary.ended} in {duration(summary.elapsed)}: "
            f"{parts or 'no rows'}",
            markup=False,
        )
        if counts["unknown"]:
            console().print(
                f"{counts['unknown']:,} unknown (the request went out, no answer was recorded): never resent "
                f"blindly; `sesflow campaign reconcile {summary.campaign}` settles them from SES's records.",
                markup=False,
            )
        if counts["failed"]:
            console().print(
                f"{counts['failed']:,} failed ({counts.retryable_failed:,} retryable: "
                f"`sesflow campaign retry-failed {summary.campaign}`).",
                markup=False,
            )
    if summary.published and not as_json:
        console().print(f"outcomes: {summary.published}", markup=False)
    if summary.publish_error:
        console(stderr=True).print(f"warning: outcomes not published: {summary.publish_error}", markup=False)
    if summary.ended == "stopped":
        raise typer.Exit(130)
    if not summary.complete:
        raise typer.Exit(1)


__all__ = ["Reporter", "console", "duration", "finish", "print_validation", "stop_on_signals", "when"]
