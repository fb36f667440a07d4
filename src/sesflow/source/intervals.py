"""Sling-style time intervals (``30s``, ``15m``, ``6h``, ``1d``, ``1mo``) and the arithmetic on them.

An interval is an integer and a unit: ``s`` seconds, ``m`` minutes, ``h`` hours, ``d`` days, ``mo`` calendar
months (``2026-01-31 + 1mo`` is ``2026-02-28``, as a calendar would say).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sesflow.errors import ConfigError

Unit = Literal["s", "m", "h", "d", "mo"]

_PATTERN = re.compile(r"^\s*(\d+)\s*(mo|s|m|h|d)\s*$")
_SECONDS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Interval:
    """A length of time: ``count`` units of ``unit`` (``mo`` is a calendar month, the others fixed)."""

    count: int
    unit: Unit

    @classmethod
    def parse(cls, text: str | int, *, key: str = "interval") -> Interval:
        """Parse ``"1d"``, ``"6h"``, ``"30m"``, ``"45s"``, ``"1mo"``; ``key`` names the setting in errors."""
        match = _PATTERN.match(str(text))
        if not match:
            raise ConfigError(
                f"{key}: {text!r} is not an interval",
                hint="Write an integer and a unit: s, m, h, d or mo (calendar month), e.g. 1d, 6h, 30m, 1mo.",
            )
        unit: Unit = match.group(2)  # type: ignore[assignment]
        return cls(int(match.group(1)), unit)

    @property
    def is_zero(self) -> bool:
        """True for ``0d``, ``0s``, ... (used for a lookback that looks back nowhere)."""
        return self.count == 0

    def add_to(self, moment: datetime, times: int = 1) -> datetime:
        """``moment`` moved forward by this interval ``times`` times (backward when ``times`` < 0)."""
        if self.unit == "mo":
            return _add_months(moment, self.count * times)
        return moment + timedelta(seconds=_SECONDS[self.unit] * self.count * times)

    def subtract_from(self, moment: datetime) -> datetime:
        """``moment`` moved back by this interval."""
        return self.add_to(moment, -1)

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
