"""Sending limits like SES: recipients per second over any 1-second window, the 24-hour quota, and the log
of every send attempt that ``GET /_sesflow/sends`` returns.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import deque
from typing import Any


class SendLimiter:
    """Exact sliding windows over accepted sends, counted in recipients.

    A send of ``n`` recipients at time ``t`` is accepted only if the recipients accepted in (t - 1, t] plus
    ``n`` stay within ``max_send_rate``, and those accepted in (t - 24 h, t] plus ``n`` within
    ``max_24h_send``.
    """

    def __init__(self, max_send_rate: float, max_24h_send: int) -> None:
        self.max_send_rate = max_send_rate
        self.max_24h_send = max_24h_send
        self._second: deque[tuple[float, int]] = deque()
        self._second_sum = 0
        self._day: deque[tuple[float, int]] = deque()
        self._day_sum = 0

    def restore(self, t: float, recipients: int) -> None:
        """Count a send accepted before a restart (``--data-dir``) in the 24-hour window."""
        self._day.append((t, recipients))
        self._day_sum += recipients

    def sent_last_24h(self, now: float) -> int:
        """Recipients accepted in the last 24 hours."""
        self._expire(now)
        return self._day_sum

    def _expire(self, now: float) -> None:
        second, day = self._second, self._day
        while second and second[0][0] <= now - 1.0:
            self._second_sum -= second.popleft()[1]
        while day and day[0][0] <= now - 86_400.0:
            self._day_sum -= day.popleft()[1]

    def check(self, now: float, recipients: int) -> str | None:
        """None if the send fits (and record it), else ``"rate"`` or ``"daily"``."""
        self._expire(now)
        if self._day_sum + recipients > self.max_24h_send:
            return "daily"
        if self._second_sum + recipients > self.max_send_rate:
            return "rate"
        self._second.append((now, recipients))
        self._second_sum += recipients
        self._day.append((now, recipients))
        self._day_sum += recipients
        return None


class SendsLog:
    """Every send attempt with its arrival time, recipient count, HTTP status and operation."""

    def __init__(self) -> None:
        self._times: array[float] = array("d")
        self._rows: list[tuple[int, int, str]] = []

    def record(self, t: float, recipients: int, status: int, operation: str) -> None:
        """Add one attempt (arrival times only grow, so the log stays sorted)."""
        if self._times and t < self._times[-1]:
            t = self._times[-1]
        self._times.append(t)
        self._rows.append((recipients, status, operation))

    def since(self, t: float) -> list[dict[str, Any]]:
        """Attempts that arrived at or after ``t``."""
        start = bisect_left(self._times, t)
        rows = self._rows
        return [
            {"t": self._times[i], "recipients": rows[i][0], "status": rows[i][1], "operation": rows[i][2]}
            for i in range(start, len(rows))
        ]

    def clear(self) -> None:
        """Forget every attempt."""
        self._times = array("d")
        self._rows = []
