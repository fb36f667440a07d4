"""Window planning and bisection."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sesflow.source.intervals import Interval
from sesflow.source.windows import Window, WindowPlanner, plan_windows


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def test_windows_cover_the_range_without_gaps_and_the_last_is_cut_at_the_end() -> None:
    windows = list(plan_windows(_at(1), _at(3, 12), Interval.parse("1d")))
    assert [(w.start, w.end) for w in windows] == [(_at(1), _at(2)), (_at(2), _at(3)), (_at(3), _at(3, 12))]


def test_month_windows_follow_the_calendar() -> None:
    start = datetime(2026, 1, 31, tzinfo=UTC)
    windows = list(plan_windows(start, datetime(2026, 4, 1, tzinfo=UTC), Interval.parse("1mo")))
    assert [w.end.date().isoformat() for w in windows] == ["2026-02-28", "2026-03-31", "2026-04-01"]


def test_halves_meet_in_the_middle_on_a_whole_second() -> None:
    first, second = Window(_at(1), _at(1) + timedelta(seconds=3)).halves()
    assert first.end == second.start == _at(1) + timedelta(seconds=1)
    assert (first.start, second.end) == (_at(1), _at(1) + timedelta(seconds=3))


def test_a_one_second_window_cannot_be_split() -> None:
    assert not Window(_at(1), _at(1) + timedelta(seconds=1)).splittable
    assert Window(_at(1), _at(1) + timedelta(seconds=2)).splittable


def test_after_a_split_the_next_windows_start_at_the_size_that_fitted() -> None:
    planner = WindowPlanner(_at(1), _at(5), Interval.parse("1d"))
    windows = iter(planner)
    first = next(windows)
    planner.split(first)
    planner.split(first.halves()[0])
    assert next(windows) == Window(_at(2), _at(2, 6))


def test_windows_grow_back_when_they_come_back_well_under_the_cap() -> None:
    planner = WindowPlanner(_at(1), _at(5), Interval.parse("1d"))
    windows = iter(planner)
    first = next(windows)
    planner.split(first)
    second = next(windows)
    assert second == Window(_at(2), _at(2, 12))
    planner.fitted(second, 100)
    assert next(windows) == Window(_at(2, 12), _at(3, 12))


def test_the_planner_covers_the_range_to_the_end() -> None:
    windows = list(WindowPlanner(_at(1), _at(3, 12), Interval.parse("1d")))
    assert windows[-1].end == _at(3, 12)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
