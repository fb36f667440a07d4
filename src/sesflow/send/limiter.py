"""Pacing of request starts, counted in recipients per second as SES counts them.

Owns the ``RateLimiter`` protocol (what the Mailer needs from any limiter, so that a shared Redis-backed one
can take its place) and ``GCRALimiter``, the in-process limiter.

``GCRALimiter`` applies two rules to every request of ``cost`` recipients:

1. GCRA pacing: starts are spaced ``cost / rate`` seconds apart, with a tolerance of a few milliseconds so
   that a thread waking late does not lose its slot for good. There is no burst beyond that tolerance.
2. A one-second window that cannot overshoot, whatever the network does. SES counts a send at the moment it
   reaches SES, which lies somewhere between the start of our request and the arrival of its answer. So a
   request occupies the window from its start until one second after its answer came: any later request
   starts at least one second after the earlier one reached SES, and the two can never share a one-second
   window on SES's clock. Pacing on start times alone (what Nodemailer 6 does, per message) overshoots as
   soon as one request travels faster than the one before it.

The price of rule 2 is the round-trip time once per second's worth of sends (``rate / (1 + rtt)``); against a
nearby SES endpoint that is one or two percent.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from sesflow.errors import ConfigError

# How late a start may be against its GCRA slot and still keep the slot (absorbs thread wake-up jitter).
_PACING_TOLERANCE_S = 0.01


@runtime_checkable
class Permit(Protocol):
    """Permission for one request to start; release it once the request has ended, whatever the outcome."""

    def release(self) -> None:
        """Tell the limiter that the request has ended (answered, failed or timed out). Idempotent."""
        ...


@runtime_checkable
class RateLimiter(Protocol):
    """Decides when a request of ``cost`` recipients may start. Implementations must be thread-safe."""

    @property
    def rate(self) -> float:
        """The limit, in recipients per second."""
        ...

    def acquire(self, cost: int) -> Permit:
        """Block until a request of ``cost`` recipients may start, and return its permit."""
        ...

    async def aacquire(self, cost: int) -> Permit:
        """Wait (without blocking the event loop) until a request of ``cost`` recipients may start."""
        ...


class GCRAPermit:
    """A permit of ``GCRALimiter``: ``cost`` recipients admitted at ``started_at`` (limiter clock)."""

    __slots__ = ("_limiter", "_released", "cost", "started_at")

    def __init__(self, limiter: GCRALimiter, cost: int, started_at: float) -> None:
        self._limiter = limiter
        self.cost = cost
        self.started_at = started_at
        self._released = False

    def release(self) -> None:
        """Tell the limiter that the request has ended. Idempotent."""
        if not self._released:
            self._released = True
            self._limiter._release(self.cost)


class GCRALimiter:
    """Thread-safe limiter: GCRA pacing plus a one-second window that holds even against network jitter.

    ``rate`` is in recipients per second. A request whose ``cost`` exceeds one second's worth (say 3
    recipients at ``rate=2``) is let through alone, when the window is empty.

    >>> limiter = GCRALimiter(14)
    >>> permit = limiter.acquire(3)   # blocks until 3 recipients may go
    >>> ...                           # send the message
    >>> permit.release()              # the answer came (or the request failed)
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
            raise ConfigError(f"rate must be a positive number of recipients per second, not {rate!r}")
        self._rate = float(rate)
        self._capacity = float(rate)  # recipients allowed in one second
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = -math.inf  # GCRA theoretical arrival time of the next start
        self._in_flight = 0  # recipients of requests started and not yet ended
        self._ended: deque[tuple[float, int]] = deque()  # (end time, cost), ends in time order
        self._ended_cost = 0
        # Waiters, first come first served. Only the head is ever woken: waking every waiter on every
        # release (notify_all) costs a thundering herd of thread switches at hundreds of sends per second.
        self._queue: deque[_Waiter] = deque()

    @property
    def rate(self) -> float:
        """The limit, in recipients per second."""
        return self._rate

    def acquire(self, cost: int) -> GCRAPermit:
        """Block until a request of ``cost`` recipients may start, and return its permit."""
        cost = _checked_cost(cost)
        waiter = _ThreadWaiter(self._lock)
        with self._lock:
            self._queue.append(waiter)
            try:
                while True:
                    wait = self._try_admit(waiter, cost)
                    if isinstance(wait, GCRAPermit):
                        return wait
                    waiter.condition.wait(wait)
            finally:
                self._leave(waiter)

    async def aacquire(self, cost: int) -> GCRAPermit:
        """Wait, without blocking the event loop, until a request of ``cost`` recipients may start."""
        cost = _checked_cost(cost)
        waiter = _AsyncWaiter(asyncio.get_running_loop())
        with self._lock:
            self._queue.append(waiter)
        try:
            while True:
                with self._lock:
                    wait = self._try_admit(waiter, cost)
                    if isinstance(wait, GCRAPermit):
                        return wait
                    waiter.event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), wait)
        finally:
            with self._lock:
                self._leave(waiter)

    # -- the decision, under the lock ------------------------------------------------------------------

    def _try_admit(self, waiter: _Waiter, cost: int) -> GCRAPermit | float | None:
        """Admit now (a permit), or say how long to wait (seconds; None = until woken)."""
        if self._queue[0] is not waiter:
            return None
        now = self._clock()
        start = self._earliest_start(cost, now)
        if start is None:
            return None
        if start > now:
            return start - now
        self._tat = max(self._tat, now) + cost / self._rate
        self._in_flight += cost
        return GCRAPermit(self, cost, now)

    def _earliest_start(self, cost: int, now: float) -> float | None:
        while self._ended and self._ended[0][0] <= now - 1.0:
            self._ended_cost -= self._ended.popleft()[1]
        start = max(now, self._tat - _PACING_TOLERANCE_S)
        room = self._capacity - cost - self._in_flight
        if room < 0 and self._in_flight > 0:
            return None  # only the end of a request in flight can make room
        room = max(room, 0.0)
        used = self._ended_cost
        for ended_at, ended_cost in self._ended:
            if used <= room:
                break
            start = max(start, ended_at + 1.0)
            used -= ended_cost
        return start

    def _release(self, cost: int) -> None:
        with self._lock:
            self._in_flight -= cost
            self._ended.append((self._clock(), cost))
            self._ended_cost += cost
            if self._queue:
                self._queue[0].wake()

    def _leave(self, waiter: _Waiter) -> None:
        was_head = self._queue[0] is waiter
        self._queue.remove(waiter)
        if was_head and self._queue:
            self._queue[0].wake()


class _Waiter(Protocol):
    def wake(self) -> None: ...


class _ThreadWaiter:
    __slots__ = ("condition",)

    def __init__(self, lock: threading.Lock) -> None:
        self.condition = threading.Condition(lock)

    def wake(self) -> None:  # called with the lock held
        self.condition.notify()


class _AsyncWaiter:
    __slots__ = ("event", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()

    def wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # that loop is closed; its waiter is gone
            self.loop.call_soon_threadsafe(self.event.set)


def _checked_cost(cost: int) -> int:
    if not isinstance(cost, int) or cost < 1:
        raise ValueError(f"cost must be a positive number of recipients, not {cost!r}")
    return cost


__all__ = ["GCRALimiter", "GCRAPermit", "Permit", "RateLimiter"]
