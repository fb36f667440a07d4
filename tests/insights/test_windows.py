"""Window planning and bisection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sesflow.insights.intervals import Interval
from sesflow.insights.windows import Window, plan_windows


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
