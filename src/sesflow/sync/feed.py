"""A stream of Message Insights export results that keeps running between dlt loads.

``ExportFeed`` drives the source's ``export_in_order`` in a background thread and hands its results over
through a small bounded queue. The runner loads a long range in batches, one dlt run per batch (so the state
in the target moves forward batch by batch); thanks to the feed, the export jobs for the next batch keep
running while dlt normalises and loads the previous one. The windows are those the source cuts
(``WindowPlanner`` at ``anchor + k * range_interval``), and job and split events become progress events.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import datetime

from sesflow.source.exports import ExportClient, ExportResult, JobEvent
from sesflow.source.jobs import SplitEvent, export_in_order
from sesflow.source.messages import MessageExports
from sesflow.source.windows import WindowPlanner
from sesflow.sync.progress import JobProgress, ProgressCallback, WindowSplit

_END = object()
QUEUED_RESULTS = 3


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ExportFeed:
    """Export results in window order, produced in the background; iterate with ``next_result()``.

    ``interrupt`` (set by whoever wants the run to stop early, e.g. on ctrl-C): ``next_result`` hands out
    nothing more, so the windows already handed over are loaded and the state saved, and the run ends there.
    """

    def __init__(
        self, exports: MessageExports, on_progress: ProgressCallback, interrupt: threading.Event | None = None
    ) -> None:
        self._exports = exports
        self._on_progress = on_progress
        # Room for a few seconds of exports: while dlt loads a batch (1-2 s), the jobs keep being created
        # (one per second) instead of stalling on a full queue. Each result holds at most 10,000 messages
        # (~11 MB of Arrow), so the room is fixed rather than grown with the concurrency.
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUED_RESULTS)
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._exporter: ExportClient | None = None
        self._held: ExportResult | None = None
        self.exhausted = False
        self.interrupt = interrupt

    @property
    def interrupted(self) -> bool:
        """True once ``interrupt`` is set: no more results are handed out."""
        return self.interrupt is not None and self.interrupt.is_set()

    @property
    def started(self) -> bool:
        """True once ``start`` was called."""
        return self._thread is not None

    def start(self, start: datetime, end: datetime) -> None:
        """Begin exporting ``[start, end)`` in the background."""
        exports = self._exports
        self._exporter = ExportClient(
            exports.client,
            exports.settings,
            gate=exports.gate,
            on_event=self._job,
            max_jobs=exports.max_concurrent_jobs,
        )
        planner = WindowPlanner(
            start, end, exports.range_interval, cap=exports.settings.max_results, anchor=exports.anchor
        )
        self._thread = threading.Thread(target=self._run, args=(planner,), name="sesflow-feed", daemon=True)
        self._thread.start()

    def _job(self, event: JobEvent) -> None:
        self._on_progress(JobProgress(event.window, event.job_id, event.state))

    def _split(self, event: SplitEvent) -> None:
        self._on_progress(WindowSplit(event.window, event.halves))

    def _run(self, planner: WindowPlanner) -> None:
        assert self._exporter is not None
        results = export_in_order(
            planner,
            self._exporter,
            max_concurrent=self._exports.max_concurrent_jobs,
            on_limit=self._exports.on_limit,
            on_split=self._split,
        )
        try:
            for result in results:
                if not self._put(result):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            self._put(_Failure(exc))
        finally:
            results.close()

    def _put(self, item: object) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def next_result(self) -> ExportResult | None:
        """The next result in window order; None when every window is exported. Raises a job's error."""
        if self._held is not None:
            held, self._held = self._held, None
            return held
        if self.exhausted or self.interrupted:
            return None
        item = self._get()
        if item is None:  # interrupted while waiting
            return None
        if item is _END:
            self.exhausted = True
            return None
        if isinstance(item, _Failure):
            self.exhausted = True
            raise item.error
        assert isinstance(item, ExportResult)
        return item

    def _get(self) -> object | None:
        while True:
            try:
                return self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.interrupted:
                    return None

    def put_back(self, result: ExportResult) -> None:
        """Hand ``result`` out again at the next ``next_result()`` (one result at most)."""
        if self._held is not None:
            raise RuntimeError("ExportFeed.put_back: a result is already held")
        self._held = result

    def __iter__(self) -> Iterator[ExportResult]:
        while (result := self.next_result()) is not None:
            yield result

    def close(self) -> None:
        """Stop the jobs still running and the background thread; close the HTTP pool."""
        self._closed.set()
        if self._exporter is not None:
            self._exporter.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self._exporter is not None:
            self._exporter.close()


__all__ = ["QUEUED_RESULTS", "ExportFeed"]
