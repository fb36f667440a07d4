"""Running a replication: ``sync(path_or_replication) -> SyncSummary``.

Resolve the source (``aws_ses``) and target connections, check everything that can be checked before any
work (the replication, the connections, the source's settings, the target), then run the streams
(``sync.streams``) in two lanes: the message streams, which mostly wait for export jobs, in the calling
thread, and the other streams one after the other in a thread beside them (each lane in the replication's
order; they share the target's run lock and take turns at dlt's load step, see ``sync.shared``). A stream that
fails (credentials that may not read it, an export job that keeps
failing, ...) fails alone: the others still run, and the run then raises that stream's error (or
``StreamsFailedError`` naming them all when several failed), with the run's ``SyncSummary`` as ``summary``.
Bad configuration, a busy target with ``wait=False`` and an interrupt end the run at once.

``sync()`` leaves the process as it found it: no environment variable, dlt setting, allocator setting or
pyarrow pool is changed (``sync.memory.process_tuning`` is the command line's, or a program's, choice).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sesflow.connections import (
    AwsSesConnection,
    TargetConnection,
    get_connection,
    no_credentials,
    parse_connection,
    sesflow_home,
)
from sesflow.errors import ConfigError, StreamsFailedError, SyncError, SyncInterrupted, TargetBusyError
from sesflow.sync.progress import ProgressCallback, StreamFailed
from sesflow.sync.replication import Replication
from sesflow.sync.settings import SourceSettings
from sesflow.sync.shared import SharedTarget
from sesflow.sync.streams import MESSAGE_STREAMS, StreamRun
from sesflow.sync.summary import StreamSummary, SyncSummary
from sesflow.sync.targets import check_target


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

    ``streams``/``mode`` override the file like ``--streams``/``--mode``; ``end`` (the end of the message
    exports) defaults to now. ``connections`` gives settings by name (as in env.yaml) that win over the
    connections found on the machine, for programs that hold their own configuration. While another run
    loads the same target dataset, the run waits for it (``on_progress`` gets a ``Waiting`` event), or with
    ``wait=False`` raises ``TargetBusyError``. Setting ``stop`` ends the run after the windows already
    exported are loaded. Raises ``ConfigError`` for bad configuration, ``SyncInterrupted`` when stopped, and
    once every stream ran, the error of the stream that failed (see the module docstring).
    """
    plan, source, target = _resolve(replication, connections or {})
    tasks = plan.tasks(streams, mode, target_schema=target.default_schema)
    if source.session().get_credentials() is None:
        raise no_credentials()
    settings = SourceSettings(plan.config.source, source)
    settings.source()  # the source checks its settings (a bad dimension, ...) before any stream runs
    for task in tasks:
        check_target(plan.config.target, target, task)
    folder = Path(pipelines_dir) if pipelines_dir else sesflow_home() / "pipelines"
    summary = SyncSummary(plan.config.source, plan.config.target)
    shared = SharedTarget()
    runs = [
        StreamRun(
            index,
            len(tasks),
            task,
            plan.config.source,
            plan.config.target,
            settings,
            target,
            folder,
            StreamSummary(task.name, task.object, task.mode),
            on_progress,
            end,
            shared,
        )
        for index, task in enumerate(tasks, start=1)
    ]
    lanes = _lanes(runs)
    outcome = _Outcome()
    started = time.monotonic()
    beside: threading.Thread | None = None
    if len(lanes) > 1:
        beside = threading.Thread(
            target=_run_lane, args=(lanes[1], outcome, wait, stop), name="sesflow-streams", daemon=True
        )
        beside.start()
    try:
        _run_lane(lanes[0], outcome, wait, stop)
    finally:
        if beside is not None:
            beside.join()  # a lane that ended the run early has told the other to start no further stream
    summary.seconds = round(time.monotonic() - started, 3)
    skipped = {id(run) for run in outcome.not_run}
    summary.streams = [run.summary for run in runs if id(run) not in skipped]  # in the file's order
    if outcome.fatal is not None:
        error = outcome.fatal
        if error is _STOPPED:
            left = ", ".join(run.task.name for run in sorted(outcome.not_run, key=lambda run: run.index))
            error = SyncInterrupted(f"interrupted before {left} ran; rerun to run them")
        if isinstance(error, SyncInterrupted | TargetBusyError):
            error.summary = summary
        raise error
    failures = {run.task.name: outcome.failures[run.index] for run in runs if run.index in outcome.failures}
    if failures:
        raise _failed(summary, failures)
    return summary


def _lanes(runs: list[StreamRun]) -> list[list[StreamRun]]:
    """The message streams, and the other streams to run beside them (one lane when either is empty)."""
    messages = [run for run in runs if run.task.name in MESSAGE_STREAMS]
    others = [run for run in runs if run.task.name not in MESSAGE_STREAMS]
    return [messages, others] if messages and others else [runs]


_STOPPED = SyncInterrupted("interrupted")  # stopped between streams: which did not run is said at the end


class _Outcome:
    """What the lanes of a run met: each failed stream's error, and the error that ends the run."""

    def __init__(self) -> None:
        self.failures: dict[int, SyncError] = {}
        self.fatal: BaseException | None = None
        self.not_run: list[StreamRun] = []
        self.halt = threading.Event()
        self._lock = threading.Lock()

    def end(self, error: BaseException) -> None:
        """Record the error that ends the run (the first one wins); the lanes start no further stream."""
        with self._lock:
            if self.fatal is None or self.fatal is _STOPPED:
                self.fatal = error
        self.halt.set()

    def skip(self, runs: list[StreamRun]) -> None:
        """``runs`` will not run."""
        with self._lock:
            self.not_run.extend(runs)


def _run_lane(runs: list[StreamRun], outcome: _Outcome, wait: bool, stop: threading.Event | None) -> None:
    """Run ``runs`` one after the other; a stream that fails fails alone (see the module docstring)."""
    for position, run in enumerate(runs):
        if outcome.halt.is_set() or (stop is not None and stop.is_set()):
            outcome.skip(runs[position:])
            outcome.end(_STOPPED)
            return
        try:
            run.execute(wait=wait, stop=stop)
        except (ConfigError, SyncInterrupted, TargetBusyError) as exc:
            outcome.skip(runs[position + 1 :])
            outcome.end(exc)
            return
        except SyncError as exc:
            run.summary.status, run.summary.error = "failed", exc.message
            outcome.failures[run.index] = exc
            if run.on_progress is not None:
                run.on_progress(StreamFailed(run.task.name, exc.message, exc.hint))
        except BaseException as exc:  # KeyboardInterrupt, a bug: ends the run, raised in the calling thread
            outcome.end(exc)
            if threading.current_thread() is threading.main_thread():
                raise
            return


def _resolve(
    replication: str | Path | Replication | Mapping[str, Any],
    given: Mapping[str, Mapping[str, Any] | str],
) -> tuple[Replication, AwsSesConnection, TargetConnection]:
    """The replication and its source and target connections (``given`` wins over the machine's)."""
    if isinstance(replication, Replication):
        plan = replication
    elif isinstance(replication, Mapping):
        plan = Replication.from_mapping(replication)
    else:
        plan = Replication.load(replication)

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
    return plan, source, target


def _failed(summary: SyncSummary, failures: dict[str, SyncError]) -> SyncError:
    """The error a run with failed streams raises: the one failure itself, or all of them together."""
    if len(failures) == 1:
        (error,) = failures.values()
    else:
        total = len(summary.streams)
        listed = "; ".join(
            error.message if error.message.startswith(name) else f"{name}: {error.message}"
            for name, error in failures.items()
        )
        hints = [error.hint for error in failures.values() if error.hint]
        error = StreamsFailedError(
            f"{len(failures)} of {total} streams failed: {listed}",
            failures=failures,
            hint=" ".join(dict.fromkeys(hints)) or None,
        )
    error.summary = summary
    return error


__all__ = ["sync"]
