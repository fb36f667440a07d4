"""Window planning (the ``WindowPlanner`` the exports run on) and bisection."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sesflow.source.intervals import Interval
from sesflow.source.windows import Window, WindowPlanner


def _at(day: int, hour: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_windows_cover_the_range_without_gaps_and_the_last_is_cut_at_the_end() -> None:
    windows = list(WindowPlanner(_at(1), _at(3, 12), Interval.parse("1d")))
    assert [(w.start, w.end) for w in windows] == [(_at(1), _at(2)), (_at(2), _at(3)), (_at(3), _at(3, 12))]


def test_month_windows_are_counted_from_the_anchor_so_they_end_on_the_last_day_of_each_month() -> None:
    start = datetime(2026, 1, 31, tzinfo=UTC)
    windows = list(WindowPlanner(start, datetime(2026, 5, 1, tzinfo=UTC), Interval.parse("1mo")))
    assert [w.end.date().isoformat() for w in windows] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-01",
    ]


def test_a_range_starting_between_two_cuts_begins_with_a_short_window_up_to_the_next_cut() -> None:
    planner = WindowPlanner(_at(3, 7), _at(6), Interval.parse("1d"), anchor=_at(1))
    assert [(w.start, w.end) for w in planner] == [(_at(3, 7), _at(4)), (_at(4), _at(5)), (_at(5), _at(6))]


def test_cuts_follow_the_anchor_when_the_range_starts_before_it() -> None:
    planner = WindowPlanner(_at(1, 18), _at(3), Interval.parse("1d"), anchor=_at(2, 6))
    assert [w.end for w in planner] == [_at(2, 6), _at(3)]


def test_month_cuts_from_an_anchor_on_the_31st_stay_on_month_ends_for_a_later_start() -> None:
    anchor = datetime(2026, 1, 31, tzinfo=UTC)
    planner = WindowPlanner(
        datetime(2026, 4, 10, tzinfo=UTC),
        datetime(2026, 6, 5, tzinfo=UTC),
        Interval.parse("1mo"),
        anchor=anchor,
    )
    assert [w.end.date().isoformat() for w in planner] == ["2026-04-30", "2026-05-31", "2026-06-05"]


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


def test_a_shortened_window_never_reaches_over_the_next_cut() -> None:
    planner = WindowPlanner(_at(1), _at(5), Interval.parse("1d"))
    windows = iter(planner)
    planner.split(Window(_at(1), _at(1, 14)))  # a 14-hour window split: 7-hour windows from now on
    assert [next(windows) for _ in range(5)] == [
        Window(_at(1), _at(1, 7)),
        Window(_at(1, 7), _at(1, 14)),
        Window(_at(1, 14), _at(1, 21)),
        Window(_at(1, 21), _at(2)),
        Window(_at(2), _at(2, 7)),
    ]


def test_windows_grow_back_when_they_come_back_well_under_the_cap() -> None:
    planner = WindowPlanner(_at(1), _at(5), Interval.parse("1d"))
    windows = iter(planner)
    first = next(windows)
    planner.split(first)
    second = next(windows)
    assert second == Window(_at(2), _at(2, 12))
    planner.fitted(second, 100)
    assert next(windows) == Window(_at(2, 12), _at(3))
    assert next(windows) == Window(_at(3), _at(4))


def test_the_planner_covers_the_range_to_the_end() -> None:
    windows = list(WindowPlanner(_at(1), _at(3, 12), Interval.parse("1d")))
    assert windows[-1].end == _at(3, 12)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
