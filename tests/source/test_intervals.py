"""Intervals: Sling's units, calendar months, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sesflow.errors import ConfigError
from sesflow.source.intervals import Interval


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), ("0d", 0)]
)
def test_fixed_units_move_by_their_length(text: str, seconds: int) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    assert (Interval.parse(text).add_to(start) - start).total_seconds() == seconds


def test_month_is_a_calendar_month_clamped_to_the_last_day() -> None:
    assert Interval.parse("1mo").add_to(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert Interval.parse("2mo").add_to(datetime(2026, 11, 15, tzinfo=UTC)) == datetime(
        2027, 1, 15, tzinfo=UTC
    )
    assert Interval.parse("1mo").subtract_from(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["5q", "d", "1.5d", "-1d", "", "1 week"])
def test_unknown_units_are_a_config_error_naming_the_key(text: str) -> None:
    with pytest.raises(ConfigError, match="range_interval"):
        Interval.parse(text, key="range_interval")
