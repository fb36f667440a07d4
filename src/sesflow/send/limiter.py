"""Pacing of request starts, counted in recipients per second as SES counts them.

Owns the ``RateLimiter`` and ``Permit`` protocols (what the Mailer needs from any limiter, so that the shared
``RedisLimiter`` can take the place of the in-process one) and ``GCRALimiter``, the in-process limiter.

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
nearby SES endpoint that is one or two percent. The rate learns from throttling answers (``send/learning.py``)
and an optional daily quota is counted over a rolling 24 hours, in whole minutes (a minute leaves the count
once all of it is more than 24 hours old, so the count is never below the truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from sesflow.errors import ConfigError, DailyQuotaExceededError
from sesflow.send.account import AutoQuota
from sesflow.send.learning import cut_after_throttle, learned_rate
from sesflow.send.transport import SESAccount

# How late a start may be against its GCRA slot and still keep the slot (absorbs thread wake-up jitter).
PACING_TOLERANCE_S = 0.01
DAY_S = 86_400.0


@runtime_checkable
class Permit(Protocol):
    """Permission for one request to start; release it once the request has ended, whatever the outcome."""

    def release(self, *, sent: bool = True, throttled: bool = False) -> None:
        """Tell the limiter that the request has ended (answered, failed or timed out). Idempotent.

        ``sent=False``: SES certainly did not take the message (its recipients leave the daily count);
        ``throttled=True``: SES answered that the rate was exceeded (the limiter's rate steps down).
        """
        ...


@runtime_checkable
class RateLimiter(Protocol):
    """Decides when a request of ``cost`` recipients may start. Implementations must be thread-safe."""

    @property
    def rate(self) -> float:
        """The limit now, in recipients per second (``inf`` when nothing is known to limit it)."""
        ...

    def acquire(self, cost: int) -> Permit:
        """Block until a request of ``cost`` recipients may start, and return its permit.

        Raises DailyQuotaExceededError, before anything is sent, when the daily quota has no room for it.
        """
        ...

    async def aacquire(self, cost: int) -> Permit:
        """Wait (without blocking the event loop) until a request of ``cost`` recipients may start."""
        ...


def check_rate(rate: object, name: str = "rate") -> float | Literal["auto"]:
    """``rate`` if it is a positive finite number or ``"auto"``; ConfigError naming ``name`` otherwise."""
    if rate == "auto":
        return "auto"
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not (math.isfinite(rate) and rate > 0):
        raise ConfigError(
            f"{name} must be a positive number of recipients per second or 'auto', not {rate!r}",
            hint="For example rate=14 (--rate 14), or rate='auto' for the account's maximum.",
        )
    return float(rate)


def check_daily_quota(quota: object) -> int | Literal["auto"] | None:
    """``quota`` if it is None, ``"auto"`` or a positive whole number; ConfigError otherwise."""
    if quota is None or quota == "auto":
        return quota
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 1:
        raise ConfigError(
            f"daily_quota must be a positive whole number of recipients, 'auto' or None, not {quota!r}",
            hint="For example daily_quota=50000, or 'auto' for the account's Max24HourSend.",
        )
    return quota


def quota_refused(cost: int, used: int, quota: int) -> DailyQuotaExceededError:
    """The error of a send the daily quota has no room for (nothing was sent)."""
    return DailyQuotaExceededError(
        f"Daily quota exceeded: {used:,} of {quota:,} recipients were sent in the last 24 hours; this "
        f"message to {cost} was not sent.",
        code="DailyQuotaExceeded",
        hint="Room comes back as sends age past 24 hours; SES can raise the quota (Service Quotas).",
    )


class GCRAPermit:
    """A permit of ``GCRALimiter``: ``cost`` recipients admitted at ``started_at`` (limiter clock)."""

    __slots__ = ("_epoch", "_limiter", "_minute", "_released", "cost", "started_at")

    def __init__(self, limiter: GCRALimiter, cost: int, started_at: float, epoch: int, minute: int) -> None:
        self._limiter = limiter
        self.cost = cost
        self.started_at = started_at
        self._epoch = epoch
        self._minute = minute
        self._released = False

    def release(self, *, sent: bool = True, throttled: bool = False) -> None:
        """Tell the limiter that the request has ended. Idempotent."""
        if not self._released:
            self._released = True
            self._limiter._release(self, sent=sent and not throttled, throttled=throttled)


class GCRALimiter:
    """Thread-safe limiter: GCRA pacing plus a one-second window that holds even against network jitter.

    ``rate`` is in recipients per second, or ``"auto"`` to read the account's maximum from ``account`` (an
    SES transport) on first use. A request whose ``cost`` exceeds one second's worth (say 3 recipients at
    ``rate=2``) is let through alone, when the window is empty. ``daily_quota`` (recipients per rolling 24
    hours, or ``"auto"`` for the account's ``Max24HourSend``) refuses a send that would go beyond it with
    DailyQuotaExceededError, before it is sent. Throttled answers (``permit.release(throttled=True)``) step
    the rate down; it then climbs back toward ``rate``.

    >>> limiter = GCRALimiter(14)
    >>> permit = limiter.acquire(3)   # blocks until 3 recipients may go
    >>> ...                           # send the message
    >>> permit.release()              # the answer came (or the request failed)
    """

    def __init__(
        self,
        rate: float | Literal["auto"],
        *,
        account: SESAccount | None = None,
        daily_quota: int | Literal["auto"] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        checked = check_rate(rate)
        quota = check_daily_quota(daily_quota)
        if "auto" in (checked, quota) and account is None:
            raise ConfigError(
                "rate='auto' and daily_quota='auto' need the account to ask: pass account= (a transport).",
                hint="Or use Mailer(rate='auto'), which passes its transport.",
            )
        self._auto = AutoQuota(account) if account is not None else None
        self._ceiling: float | None = None if checked == "auto" else checked
        self._quota_setting = quota
        self._quota: int | None = None if quota == "auto" else quota
        self._resolved = "auto" not in (checked, quota)
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = -math.inf  # GCRA theoretical arrival time of the next start
        self._in_flight = 0  # recipients of requests started and not yet ended
        self._ended: deque[tuple[float, int]] = deque()  # (end time, cost), ends in time order
        self._ended_cost = 0
        self._cut: float | None = None  # the learned rate after the last throttle, and when
        self._cut_at = 0.0
        self._epoch = 0
        self._day: deque[list[int]] = deque()  # [minute, recipients], minutes in order
        self._day_cost = 0
        # Waiters, first come first served. Only the head is ever woken: waking every waiter on every
        # release (notify_all) costs a thundering herd of thread switches at hundreds of sends per second.
        self._queue: deque[_Waiter] = deque()

    @property
    def rate(self) -> float:
        """The limit now, in recipients per second: the rate given, or what throttling taught it."""
        self._resolve()
        with self._lock:
            return self._rate(self._clock())

    @property
    def daily_quota(self) -> int | None:
        """Recipients allowed per rolling 24 hours, or None for no daily limit."""
        self._resolve()
        return self._quota

    def acquire(self, cost: int) -> GCRAPermit:
        """Block until a request of ``cost`` recipients may start, and return its permit."""
        cost = _checked_cost(cost)
        self._resolve()
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
        if not self._resolved:
            await asyncio.to_thread(self._resolve)
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

    def _resolve(self) -> None:
        if self._resolved or self._auto is None:
            return
        account = self._auto.get()  # one GetAccount, outside the limiter's lock
        with self._lock:
            if self._ceiling is None:
                self._ceiling = account.max_send_rate
            if self._quota_setting == "auto":
                self._quota = account.max_24h_send
            self._resolved = True

    # -- the decision, under the lock ------------------------------------------------------------------

    def _rate(self, now: float) -> float:
        assert self._ceiling is not None
        return learned_rate(self._ceiling, self._cut, self._cut_at, now)

    def _try_admit(self, waiter: _Waiter, cost: int) -> GCRAPermit | float | None:
        """Admit now (a permit), or say how long to wait (seconds; None = until woken)."""
        if self._queue[0] is not waiter:
            return None
        now = self._clock()
        minute = int(now // 60)
        if self._quota is not None:
            used = self._day_used(minute)
            if used + cost > self._quota:
                raise quota_refused(cost, used, self._quota)
        rate = self._rate(now)
        start = self._earliest_start(cost, now, rate)
        if start is None:
            return None
        if start > now:
            return min(start - now, 1.0)  # the rate may climb meanwhile: look again within a second
        self._tat = max(self._tat, now) + (cost / rate if math.isfinite(rate) else 0.0)
        self._in_flight += cost
        if self._day and self._day[-1][0] == minute:
            self._day[-1][1] += cost
        else:
            self._day.append([minute, cost])
        self._day_cost += cost
        return GCRAPermit(self, cost, now, self._epoch, minute)

    def _day_used(self, minute: int) -> int:
        # A minute counts until all of it is more than 24 hours old.
        while self._day and self._day[0][0] < minute - 1440:
            self._day_cost -= self._day.popleft()[1]
        return self._day_cost

    def _earliest_start(self, cost: int, now: float, rate: float) -> float | None:
        while self._ended and self._ended[0][0] <= now - 1.0:
            self._ended_cost -= self._ended.popleft()[1]
        if not math.isfinite(rate):
            return now
        start = max(now, self._tat - PACING_TOLERANCE_S)
        room = rate - cost - self._in_flight
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

    def _release(self, permit: GCRAPermit, *, sent: bool, throttled: bool) -> None:
        with self._lock:
            now = self._clock()
            self._in_flight -= permit.cost
            self._ended.append((now, permit.cost))
            self._ended_cost += permit.cost
            if not sent:
                for entry in self._day:
                    if entry[0] == permit._minute:
                        entry[1] -= permit.cost
                        self._day_cost -= permit.cost
                        break
            if throttled and permit._epoch == self._epoch:
                in_window = self._in_flight + self._ended_cost
                self._cut = cut_after_throttle(self._rate(now), in_window)
                self._cut_at = now
                self._epoch += 1
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


__all__ = [
    "PACING_TOLERANCE_S",
    "GCRALimiter",
    "GCRAPermit",
    "Permit",
    "RateLimiter",
    "check_daily_quota",
    "check_rate",
    "quota_refused",
]
