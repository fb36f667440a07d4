"""Export windows: the time ranges one export job covers, how a sync range is cut into them, and bisection.

A window is half-open, ``[start, end)``, in whole seconds (UTC). The range of a run is cut at
``anchor + k * range_interval``; the last window ends at the run's end (normally "now").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sesflow.source.intervals import Interval

MIN_WINDOW = timedelta(seconds=1)


@dataclass(frozen=True, order=True)
class Window:
    """One export's time range, ``[start, end)``; ``depth`` counts the bisections that produced it."""

    start: datetime
    end: datetime
    depth: int = 0

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return (self.end - self.start).total_seconds()

    @property
    def splittable(self) -> bool:
        """True while the halves would still be at least one second long."""
        return self.end - self.start >= 2 * MIN_WINDOW

    def halves(self) -> tuple[Window, Window]:
        """The two halves, cut at the whole second nearest the middle."""
        middle = self.start + timedelta(seconds=int(self.seconds // 2))
        return Window(self.start, middle, self.depth + 1), Window(middle, self.end, self.depth + 1)

    def __str__(self) -> str:
        return f"{_iso(self.start)} .. {_iso(self.end)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_second(moment: datetime) -> datetime:
    """``moment`` in UTC without its fraction of a second."""
    return moment.astimezone(UTC).replace(microsecond=0)


def plan_windows(start: datetime, end: datetime, interval: Interval) -> Iterator[Window]:
    """Cut ``[start, end)`` into windows of ``interval``; the last one is cut short at ``end``."""
    start, end = floor_second(start), floor_second(end)
    step = 0
    current = start
    while current < end:
        step += 1
        following = min(interval.add_to(start, step), end)
        if following <= current:  # a month interval can never stall, but guard the loop anyway
            following = min(current + MIN_WINDOW, end)
        yield Window(current, following)
        current = following


class WindowPlanner:
    """Windows of ``interval`` from ``start`` to ``end`` that learn from splits.

    Once a window had to be bisected, the windows after it start at the size that fitted (a busy account
    is busy every day: exporting each following day whole, only to split it again, wastes a job per level).
    When windows come back well under the cap, the size doubles again, up to ``interval``.
    """

    def __init__(self, start: datetime, end: datetime, interval: Interval, *, cap: int = 10_000) -> None:
        self._current = floor_second(start)
        self._end = floor_second(end)
        self._interval = interval
        self._cap = cap
        self._length: timedelta | None = None  # None: the nominal interval

    def __iter__(self) -> Iterator[Window]:
        while self._current < self._end:
            if self._length is None:
                following = self._interval.add_to(self._current)
            else:
                following = self._current + self._length
            following = min(max(following, self._current + MIN_WINDOW), self._end)
            yield Window(self._current, following)
            self._current = following

    def split(self, window: Window) -> None:
        """``window`` hit the cap: plan the next windows no longer than its halves."""
        half = timedelta(seconds=max(1, int(window.seconds // 2)))
        self._length = half if self._length is None else min(self._length, half)

    def fitted(self, window: Window, records: int) -> None:
        """``window`` came back with ``records``: well under the cap, let the next windows grow back."""
        if self._length is None or records * 3 > self._cap or window.end - window.start < self._length:
            return
        doubled = self._length * 2
        nominal = self._interval.add_to(window.end) - window.end
        self._length = None if doubled >= nominal else doubled
