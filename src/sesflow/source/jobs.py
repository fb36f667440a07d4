"""Running many export jobs at once and handing their results back in window order.

Up to ``max_concurrent`` windows are exported at the same time (the ``ExportClient`` lets at most one job be
created per second). Results come back strictly in time order, so whoever saves state after each result only
ever covers a contiguous run of completed windows. A window whose export hit the record cap is replaced, in
place, by its two halves (``on_limit: split``), down to one second.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal

from sesflow.errors import ExportLimitError
from sesflow.source.exports import ExportClient, ExportResult
from sesflow.source.windows import Window, WindowPlanner

OnLimit = Literal["split", "fail"]


@dataclass
class _Slot:
    window: Window
    future: Future[ExportResult] | None = None


@dataclass(frozen=True)
class SplitEvent:
    """A window hit the export cap and was replaced by its halves."""

    window: Window
    halves: tuple[Window, Window]


def export_in_order(
    windows: Iterable[Window] | WindowPlanner,
    exporter: ExportClient,
    *,
    max_concurrent: int = 3,
    on_limit: OnLimit = "split",
    on_split: Callable[[SplitEvent], None] | None = None,
) -> Generator[ExportResult, None, None]:
    """Export every window and yield the complete (never truncated) results in time order.

    Raises the first ``SyncError`` met, after stopping the other jobs; results before it were yielded.
    A ``WindowPlanner`` is told about splits and fits, so the windows not yet planned adapt.
    """
    planner = windows if isinstance(windows, WindowPlanner) else None
    pending = iter(windows)
    order: list[_Slot] = []  # leaves in time order: running, queued or finished-but-not-yet-yielded
    lookahead = max_concurrent + 3  # bounds the finished results held back for window order
    exhausted = False
    # One worker more than jobs allowed at SES: it downloads and parses while the others wait on SES
    # (the ExportClient's own slots keep the jobs at SES to max_concurrent).
    workers = max_concurrent + 1
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sesflow-export")
    try:
        while True:
            if on_limit == "split":
                order = _split_truncated(order, exporter.settings.max_results, planner, on_split)
            while not exhausted and len(order) < lookahead:
                window = next(pending, None)
                if window is None:
                    exhausted = True
                else:
                    order.append(_Slot(window))
            running = sum(1 for slot in order if slot.future is not None and not slot.future.done())
            for slot in order:
                if running >= workers:
                    break
                if slot.future is None:
                    slot.future = pool.submit(exporter.export, slot.window)
                    running += 1
            while order and order[0].future is not None and order[0].future.done():
                head = order[0]
                assert head.future is not None
                result = head.future.result()  # raises the window's SyncError
                if result.truncated:
                    break  # split above on the next turn (or refused there)
                order.pop(0)
                if planner is not None:
                    planner.fitted(result.window, result.exported)
                yield result
            if order and _is_truncated(order[0]):
                if on_limit == "fail":
                    raise ExportLimitError(
                        f"the export of {order[0].window} hit the limit of "
                        f"{exporter.settings.max_results} records",
                        hint="Use a smaller range_interval, or on_limit: split to let sesflow split windows.",
                    )
                if not order[0].window.splittable:
                    raise ExportLimitError(
                        f"more than {exporter.settings.max_results} messages were sent within one second "
                        f"({order[0].window}); the export API cannot return them all",
                    )
                continue
            if not order and exhausted:
                return
            busy = [slot.future for slot in order if slot.future is not None and not slot.future.done()]
            if busy:
                wait(busy, return_when=FIRST_COMPLETED)
    finally:
        exporter.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _is_truncated(slot: _Slot) -> bool:
    future = slot.future
    return future is not None and future.done() and future.exception() is None and future.result().truncated


def _split_truncated(
    order: list[_Slot],
    cap: int,
    planner: WindowPlanner | None,
    on_split: Callable[[SplitEvent], None] | None,
) -> list[_Slot]:
    """``order`` with every finished, truncated, splittable window replaced by its two halves, in place."""
    out: list[_Slot] = []
    for slot in order:
        if _is_truncated(slot) and slot.window.splittable:
            halves = slot.window.halves()
            if planner is not None:
                planner.split(slot.window)
            if on_split is not None:
                on_split(SplitEvent(slot.window, halves))
            out.extend((_Slot(halves[0]), _Slot(halves[1])))
        else:
            out.append(slot)
    return out
