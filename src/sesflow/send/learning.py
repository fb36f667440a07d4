"""How a limiter's rate learns from SES's throttling answers, shared by ``GCRALimiter`` and ``RedisLimiter``
(whose Lua script applies the same numbers, passed to it as arguments).

A throttled answer means the account took less than we sent: another sender shares it, the rate given was too
high, or SES lowered the account's rate. The rate then steps down to ``STEP_DOWN`` of the lesser of the rate
and the recipients the one-second window holds (what SES just saw from us), and climbs back by ``CLIMB`` per
second toward the ceiling (the rate given, or the account's). Only one step is taken per round of requests:
a permit admitted before the last step cannot cause another (its throttle was already learned from).
"""

from __future__ import annotations

import math

STEP_DOWN = 0.8
"""A throttle cuts the rate to this share of min(rate, recipients in the window)."""

CLIMB = 1.1
"""After a cut, the rate grows by this factor per second, up to the ceiling."""

FLOOR = 1.0
"""The rate never learns its way below this many recipients per second (unless the ceiling is lower)."""


def learned_rate(ceiling: float, cut: float | None, cut_at: float, now: float) -> float:
    """The rate at ``now``: the ceiling, or the last cut grown by ``CLIMB`` per second since ``cut_at``."""
    if cut is None:
        return ceiling
    grown: float = cut * CLIMB ** min(max(now - cut_at, 0.0), 600.0)
    return min(ceiling, grown)


def cut_after_throttle(rate: float, in_window: float) -> float:
    """The rate after a throttled answer, with ``in_window`` recipients in the one-second window."""
    seen = in_window if in_window > 0 else rate
    return max(FLOOR, STEP_DOWN * min(rate, seen)) if math.isfinite(min(rate, seen)) else FLOOR


__all__ = ["CLIMB", "FLOOR", "STEP_DOWN", "cut_after_throttle", "learned_rate"]
