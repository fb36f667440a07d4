"""Running many export jobs at once and handing their results back in window order.

Up to ``max_concurrent`` windows are exported at the same time (the ``ExportClient`` lets at most one job be
created per second). Results come back strictly in time order, so whoever saves state after each result only
ever covers a contiguous run of completed windows. A window whose export hit the record cap is replaced, in
place, by its two halves (``on_limit: split``), down to one second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal

from sesflow.errors import ExportLimitError
from sesflow.insights.exports import ExportClient, ExportResult
from sesflow.insights.windows import Window

OnLimit = Literal["split", "fail"]


@dataclass
class _Slot:
    window: Window
    future: Future[ExportResult] | None = None
    children: list[_Slot] = field(default_factory=list)


@dataclass(frozen=True)
class SplitEvent:
    """A window hit the export cap and was replaced by its halves."""

    window: Window
    halves: tuple[Window, Window]


def export_in_order(
    windows: Iterable[Window],
    exporter: ExportClient,
    *,
    max_concurrent: int = 3,
    on_limit: OnLimit = "split",
    on_split: Callable[[SplitEvent], None] | None = None,
) -> Iterator[ExportResult]:
    """Export every window and yield the complete (never truncated) results in time order.

    Raises the first ``SyncError`` met, after stopping the other jobs; results before it were yielded.
    """
    pending = iter(windows)
    order: list[_Slot] = []  # leaves in time order: running, queued or finished-but-not-yet-yielded
    lookahead = max(2 * max_concurrent, max_concurrent + 2)
    exhausted = False
    pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="sesflow-export")
    try:
        while True:
            while not exhausted and len(order) < lookahead:
                window = next(pending, None)
                if window is None:
                    exhausted = True
                else:
                    order.append(_Slot(window))
            running = [slot for slot in order if slot.future is not None and not slot.future.done()]
            for slot in order:
                if len(running) >= max_concurrent:
                    break
                if slot.future is None:
                    slot.future = pool.submit(exporter.export, slot.window)
                    running.append(slot)
            while order and order[0].future is not None and order[0].future.done():
                head = order[0]
                assert head.future is not None
                result = head.future.result()  # raises the window's SyncError
                if not result.truncated:
                    order.pop(0)
                    yield result
                    continue
                if on_limit == "fail":
                    raise ExportLimitError(
                        f"the export of {head.window} hit the limit of "
                        f"{exporter.settings.max_results} records",
                        hint="Use a smaller range_interval, or on_limit: split to let sesflow split windows.",
                    )
                if not head.window.splittable:
                    raise ExportLimitError(
                        f"more than {exporter.settings.max_results} messages were sent within one second "
                        f"({head.window}); the export API cannot return them all",
                    )
                halves = head.window.halves()
                if on_split is not None:
                    on_split(SplitEvent(head.window, halves))
                order[0:1] = [_Slot(halves[0]), _Slot(halves[1])]
                break  # submit the halves before looking further
            if not order and exhausted:
                return
            busy = [slot.future for slot in order if slot.future is not None and not slot.future.done()]
            head_future = order[0].future if order else None
            if busy and (head_future is None or not head_future.done()):
                wait(busy, return_when=FIRST_COMPLETED)
    finally:
        exporter.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
