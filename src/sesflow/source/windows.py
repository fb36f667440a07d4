"""Export windows: the time ranges one export job covers, how a sync range is cut into them, and bisection.

A window is half-open, ``[start, end)``, in whole seconds (UTC). The range of a run is cut at
``anchor + k * range_interval`` (``WindowPlanner``, the one planner); the last window ends at the run's end
(normally "now").
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


class WindowPlanner:
    """Windows from ``start`` to ``end``, cut at ``anchor + k * interval``, that learn from splits.

    The cuts are counted from the anchor (``start`` when none is given), never from the window before: from
    2026-01-31 with ``1mo`` they fall on 02-28, 03-31, 04-30, as a calendar says, where adding a month to
    each window's end would drift to 03-28. A range that starts between two cuts begins with a short window.

    Once a window had to be bisected, the windows after it start at the size that fitted (a busy account
    is busy every day: exporting each following day whole, only to split it again, wastes a job per level),
    and never reach over the next cut. When windows come back well under the cap, the size doubles again,
    up to the whole interval.
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        interval: Interval,
        *,
        cap: int = 10_000,
        anchor: datetime | None = None,
    ) -> None:
        if interval.is_zero:
            raise ValueError("WindowPlanner: the interval must be longer than zero")
        self._current = floor_second(start)
        self._end = floor_second(end)
        self._interval = interval
        self._cap = cap
        self._anchor = floor_second(anchor) if anchor is not None else self._current
        self._length: timedelta | None = None  # None: the nominal interval

    def __iter__(self) -> Iterator[Window]:
        while self._current < self._end:
            following = self.next_cut(self._current)
            if self._length is not None:
                following = min(following, self._current + self._length)
            following = min(max(following, self._current + MIN_WINDOW), self._end)
            yield Window(self._current, following)
            self._current = following

    def next_cut(self, moment: datetime) -> datetime:
        """The first ``anchor + k * interval`` after ``moment`` (k may be negative)."""
        step = self._estimate_steps(moment)
        while self._cut(step) <= moment:
            step += 1
        while self._cut(step - 1) > moment:
            step -= 1
        return self._cut(step)

    def _cut(self, step: int) -> datetime:
        return self._interval.add_to(self._anchor, step)

    def _estimate_steps(self, moment: datetime) -> int:
        """About how many intervals lie between the anchor and ``moment`` (exact for fixed units)."""
        if self._interval.unit == "mo":
            months = (moment.year - self._anchor.year) * 12 + moment.month - self._anchor.month
            return months // self._interval.count
        length = self._interval.add_to(self._anchor) - self._anchor
        return int((moment - self._anchor) // length) + 1

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
