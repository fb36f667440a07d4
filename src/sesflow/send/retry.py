"""When a failed send is tried again: exponential backoff, full jitter, bounded by attempts and a deadline.

Only errors that say SES certainly did not take the message are retried (``SendError.retryable``: throttling,
5xx, connection refused). Everything else, and above all an unknown outcome, is final. Each retry also waits
for the rate limiter like any first attempt; that is the Mailer's job, not this module's.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sesflow.errors import ConfigError, SendError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a send SES did not accept.

    ``max_attempts`` counts the first attempt (1 = never retry). The n-th retry sleeps a random time in
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]`` ("full jitter"), and no retry starts once
    ``deadline`` seconds have passed since the first attempt.
    """

    max_attempts: int = 8
    base_delay: float = 0.1
    max_delay: float = 5.0
    deadline: float = 60.0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(f"retry max_attempts must be at least 1, not {self.max_attempts}")
        for name in ("base_delay", "max_delay", "deadline"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"retry {name} must be a non-negative number of seconds, not {value!r}")

    def backoff(self, retry: int) -> float:
        """Seconds to sleep before the ``retry``-th retry (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(retry - 1, 60))
        return self._random.uniform(0.0, ceiling)

    def next_delay(self, error: SendError, attempts: int, elapsed: float) -> float | None:
        """Seconds to wait before trying again after ``attempts`` attempts, or None to give up now."""
        if not error.retryable or attempts >= self.max_attempts:
            return None
        delay = self.backoff(attempts)
        if elapsed + delay >= self.deadline:
            return None
        return delay


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries."""

__all__ = ["NO_RETRY", "RetryPolicy"]
