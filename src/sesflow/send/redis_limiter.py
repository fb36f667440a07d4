"""``RedisLimiter``: one account's rate, shared by every process and host that uses the same Redis and key.

The same two rules as ``GCRALimiter`` (GCRA pacing of request starts; a request occupies the one-second window
until one second after its answer), the same learning from throttling and the same daily quota, decided in
Redis: each decision is one call of a Lua script (``redis_limiter.lua``, called through ``redis_script.py``)
run on Redis's clock (``TIME``), so the hosts' clocks never matter.

- **Leases.** Every permit holds its recipients until its release, or until its lease ends (request timeout
  + 1 s) if its process died (``kill -9``): then they are free, as if the request had ended a second before.
- **Lookahead.** A permit is given up to ``LOOKAHEAD_S`` before its start (the moment both rules allow it),
  with that start; ``acquire`` sleeps until then. The wake-up of the waiter (a push, a thread switch) happens
  before the start instead of after it, where it would leave the window unused.
- **Arrival order.** With no one waiting, the caller is decided at once (one call). Else each waiter takes a
  ticket (its place in one queue across all processes) and only the first is admitted; a script that admits
  someone pushes the permit onto the list of the waiter concerned, which blocks on it (``BLPOP``) instead of
  polling. A pushed permit not read within ``WAITER_TTL_S`` (its process died) is taken back. The first
  waiter sleeps until it is due. Waiters belong to their process, which shows it is alive every
  ``HEARTBEAT_S`` (``redis_liveness.py``); the waiters of a process silent for ``WAITER_TTL_S`` lose their
  place.
- **Daily quota.** Recipients admitted in the last 24 hours, per whole minute, across all processes; a send
  that would go beyond it is refused before it is sent (DailyQuotaExceededError). A send SES certainly did
  not take gives its recipients back.
- **Fail closed.** Redis unreachable at construction is a ConfigError; later, each wait raises
  LimiterUnavailableError (retryable, and nothing is sent): never a send without a decision.

A permit costs two calls (``acquire`` and ``release``) when no one waits, three when its waiter queued
(``acquire``, the ``BLPOP`` that brings the permit, ``release``).

Keys (``key`` defaults to ``sesflow:REGION:default``): ``{key}:state``, ``{key}:inflight``, ``{key}:ended``,
``{key}:queue``, ``{key}:day``, ``{key}:alive``, ``{key}:pushed``, ``{key}:auto`` (the account's quota,
cached 15 minutes) and ``{key}:wake:TICKET``. The braces make one Redis Cluster hash slot of them all. They
expire after 25 idle hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from sesflow.errors import ConfigError, LimiterUnavailableError
from sesflow.send.account import UNKNOWN, AutoQuota
from sesflow.send.learning import learned_rate
from sesflow.send.limiter import check_daily_quota, check_rate, quota_refused
from sesflow.send.redis_liveness import HEARTBEAT_S, WAITER_TTL_S
from sesflow.send.redis_script import LOOKAHEAD_S, LimiterScript, text
from sesflow.send.transport import SendQuota, SESAccount, SESEndpoint

_log = logging.getLogger("sesflow")

BLOCK_S = 2.0
"""A waiter that is not first blocks this long at most before it asks again."""

STALE_S = 0.5
"""A permit that may have waited longer than this for its waiter (a process stopped or starved) is checked
with Redis before use: its lease, request timeout + 1 s, must still cover the request."""

AUTO_TTL_S = 900
"""How long the account's quota, read once from SES, is shared through Redis before it is read again."""

_UNLIMITED = 1e299  # the script's "no ceiling"


def default_key(region: str, name: str = "default") -> str:
    """The documented default key of an account's limiter: ``sesflow:REGION:NAME``."""
    return f"sesflow:{region}:{name}"


@dataclass(frozen=True)
class _Limits:
    ceiling: float  # recipients per second (inf: none known)
    quota: int | None  # recipients per rolling 24 h (None: no daily quota)


class RedisPermit:
    """A permit of ``RedisLimiter``: ``cost`` recipients admitted at ``started_at`` (Redis clock, seconds)."""

    __slots__ = ("_epoch", "_limiter", "_minute", "_released", "cost", "started_at", "ticket")

    def __init__(
        self, limiter: RedisLimiter, ticket: int, cost: int, epoch: str, minute: str, started_at: float
    ) -> None:
        self._limiter = limiter
        self.ticket = ticket
        self.cost = cost
        self._epoch = epoch
        self._minute = minute
        self.started_at = started_at
        self._released = False

    def release(self, *, sent: bool = True, throttled: bool = False) -> None:
        """Tell the shared limiter that the request has ended. Idempotent; never raises (if Redis cannot be
        told, the permit's lease frees its recipients)."""
        if self._released:
            return
        self._released = True
        self._limiter._release(self, sent=sent and not throttled, throttled=throttled)


class RedisLimiter:
    """The account-wide rate limiter, shared through Redis by every process using the same ``key``.

    ``redis`` is a URL (``redis://[:password@]host:port/db``, ``rediss://`` for TLS, ``unix://``) or a
    ``redis.Redis`` client (left open by ``close``). ``rate`` is in recipients per second, or ``"auto"``;
    ``daily_quota`` in recipients per rolling 24 hours, ``"auto"`` or None. ``"auto"`` reads the account's
    ``MaxSendRate``/``Max24HourSend`` through ``account`` (an SES transport) once, and shares it through Redis
    for 15 minutes. ``key`` names the account (default ``sesflow:REGION:default``, REGION from ``region`` or
    ``account``): processes sending for the same account must use the same key, and different accounts
    different keys. ``lease`` is how long a permit may be held by a process that died: the request timeout
    plus one second (the Mailer passes its transport's).

    >>> limiter = RedisLimiter("redis://127.0.0.1:6379/0", key="sesflow:eu-west-1:shop", rate=200)
    >>> with Mailer(region="eu-west-1", limiter=limiter) as mailer: ...
    """

    def __init__(
        self,
        redis: Any,
        *,
        key: str | None = None,
        rate: float | Literal["auto"] = "auto",
        daily_quota: int | Literal["auto"] | None = None,
        account: SESAccount | None = None,
        region: str | None = None,
        lease: float = 36.0,
    ) -> None:
        checked = check_rate(rate)
        quota = check_daily_quota(daily_quota)
        if "auto" in (checked, quota) and account is None:
            raise ConfigError(
                "rate='auto' and daily_quota='auto' need the account to ask: pass account= (a transport).",
                hint="Or pass a number, or use Mailer(redis_url=...), which passes its transport.",
            )
        if (
            isinstance(lease, bool)
            or not isinstance(lease, int | float)
            or not (math.isfinite(lease) and lease > 1)
        ):
            raise ConfigError(f"lease must be more than 1 second (request timeout + 1), not {lease!r}")
        if key is None:
            if region is None and isinstance(account, SESEndpoint):
                region = account.region
            if not region:
                raise ConfigError("RedisLimiter needs key= (or region=) to name the account it limits.")
            key = default_key(region)
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"key must be a non-empty string naming the account, not {key!r}")
        self._key = key
        self._rate_setting = checked
        self._quota_setting = quota
        self._account = account
        self._lease = float(lease)
        self._limits: _Limits | None = None
        self._redis = LimiterScript(redis, key)

    @property
    def key(self) -> str:
        """The key naming the account in Redis."""
        return self._key

    @property
    def lease(self) -> float:
        """Seconds a permit of a dead process holds its recipients."""
        return self._lease

    @property
    def rate(self) -> float:
        """The shared limit now, in recipients per second: the rate given, or what throttling taught it."""
        limits = self._resolve()
        try:
            cut, cut_at = self._redis.client.hmget(self._redis.state_key, "cut", "cut_at")
            seconds, micros = self._redis.client.time()
        except Exception as exc:
            raise self._redis.unavailable(exc) from None
        now = float(seconds) + float(micros) / 1e6
        return learned_rate(limits.ceiling, float(cut) if cut else None, float(cut_at or 0), now)

    @property
    def daily_quota(self) -> int | None:
        """Recipients allowed per rolling 24 hours, or None."""
        return self._resolve().quota

    def acquire(self, cost: int) -> RedisPermit:
        """Block until a request of ``cost`` recipients may start (in arrival order across processes).

        Raises DailyQuotaExceededError (nothing sent) when the daily quota has no room for it, and
        LimiterUnavailableError when Redis cannot be asked.
        """
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 1:
            raise ValueError(f"cost must be a positive number of recipients, not {cost!r}")
        limits = self._resolve()
        ceiling = repr(limits.ceiling) if math.isfinite(limits.ceiling) else repr(_UNLIMITED)
        quota = str(-1 if limits.quota is None else limits.quota)
        ticket = ""
        waiting = False
        try:
            while True:
                asked = time.monotonic()
                message, ticket, decided = self._redis.run(
                    "acquire", ticket, str(cost), repr(self._lease), ceiling, quota
                )
                since = (asked, float(decided))  # our last call: when we sent it, and Redis's clock then
                while True:
                    kind, _, detail = message.partition(":")
                    if kind == "A":
                        permit, delay = self._admitted(ticket, cost, detail, since)
                        if permit is None:
                            break  # read too late, and its lease had ended: queue again, in the same place
                        ticket = ""  # admitted: from here on the permit gives its recipients back
                        _sleep_until_start(permit, delay)
                        return permit
                    if kind == "Q":
                        used, _, allowed = detail.partition(":")
                        ticket = ""  # the script already took it out of the queue
                        raise quota_refused(cost, int(float(used)), int(float(allowed)))
                    if not waiting:
                        waiting = True
                        self._redis.liveness.waiting()
                    if kind == "W":
                        # First in line, due in `detail` ms: sleep until then (a BLPOP timeout is only as
                        # fine as Redis's 100 ms timer), then ask again.
                        time.sleep(min(int(detail) / 1000, BLOCK_S))
                        break
                    wait = BLOCK_S if kind == "N" else min(max(int(detail) / 1000, 0.01), BLOCK_S)
                    pushed = self._redis.call(
                        self._redis.client.blpop, [self._redis.wake_prefix + ticket], timeout=wait
                    )
                    if pushed is None:
                        break  # the lease of a request in flight ended, or a long wait: ask again
                    message = text(pushed[1])
        except BaseException:
            if ticket:
                self._leave(ticket, cost)
            raise
        finally:
            if waiting:
                self._redis.liveness.done()

    async def aacquire(self, cost: int) -> RedisPermit:
        """Async twin of ``acquire`` (it waits on a worker thread); a cancelled wait gives its permit back."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, self.acquire, cost)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(_release_unused)
            raise

    def close(self) -> None:
        """Stop this process's heartbeat and close the Redis connections if this limiter made them (from a
        URL); a client passed in stays open."""
        self._redis.close()

    # -- talking to Redis ----------------------------------------------------------------------------------

    def _resolve(self) -> _Limits:
        limits = self._limits
        if limits is not None:
            return limits
        quota = self._auto_quota() if "auto" in (self._rate_setting, self._quota_setting) else UNKNOWN
        ceiling = quota.max_send_rate if self._rate_setting == "auto" else float(self._rate_setting)
        daily = quota.max_24h_send if self._quota_setting == "auto" else self._quota_setting
        self._limits = _Limits(ceiling, daily if daily is None else int(daily))
        return self._limits

    def _auto_quota(self) -> SendQuota:
        """The account's quota: from Redis when another process read it lately, else from SES (then
        shared)."""
        auto_key = self._redis.auto_key
        cached = self._redis.call(self._redis.client.hmget, auto_key, "rate", "daily")
        if cached[0] is not None:
            daily = float(cached[1]) if cached[1] is not None else -1.0
            return SendQuota(float(cached[0]), None if daily < 0 else int(daily))
        assert self._account is not None
        quota = AutoQuota(self._account).get()
        if quota is not UNKNOWN:
            daily_text = str(-1 if quota.max_24h_send is None else quota.max_24h_send)
            pipe = self._redis.client.pipeline()
            pipe.hset(auto_key, mapping={"rate": repr(quota.max_send_rate), "daily": daily_text})
            pipe.expire(auto_key, AUTO_TTL_S)
            self._redis.call(pipe.execute)
        return quota

    def _admitted(
        self, ticket: str, cost: int, detail: str, since: tuple[float, float]
    ) -> tuple[RedisPermit | None, float]:
        """The permit of an ``A`` message and how long to wait for its start; None if it was read so late
        that its lease may have ended and it has (``claim``).

        ``since`` is our last call (when we sent it, on our clock; Redis's clock when it ran): the permit,
        decided at ``now`` on Redis's clock, cannot have waited for us longer than the time since we sent
        that call less the time Redis's clock moved from that call to the decision -- durations on each
        clock, never one clock against the other. Waiting ``start - now`` from its arrival never starts
        early.
        """
        cost_text, epoch, minute, start, now, _rate = detail.split(":")
        permit = RedisPermit(self, int(ticket), int(cost_text), epoch, minute, float(start))
        age = time.monotonic() - since[0] - (float(now) - since[1])
        if age <= STALE_S:
            return permit, float(start) - float(now)
        answer, _, claimed_at = self._redis.run("claim", ticket, str(cost), repr(self._lease))
        if answer != "ok":
            return None, 0.0
        return permit, float(start) - float(claimed_at)

    def _release(self, permit: RedisPermit, *, sent: bool, throttled: bool) -> None:
        limits = self._resolve()
        ceiling = repr(limits.ceiling) if math.isfinite(limits.ceiling) else repr(_UNLIMITED)
        try:
            self._redis.run(
                "release",
                f"{permit.ticket}:{permit.cost}",
                permit._epoch,
                permit._minute,
                "1" if sent else "0",
                "1" if throttled else "0",
                ceiling,
            )
        except LimiterUnavailableError as error:
            _log.warning("sesflow: %s; the permit's lease will free its recipients", error.message)

    def _leave(self, ticket: str, cost: int) -> None:
        with contextlib.suppress(LimiterUnavailableError):
            self._redis.run("leave", ticket, str(cost))


def _sleep_until_start(permit: RedisPermit, delay: float) -> None:
    """Sleep ``delay`` seconds, the time until the permit's start; interrupted, give the permit back."""
    if delay <= 0:
        return
    try:
        time.sleep(delay)
    except BaseException:
        permit.release(sent=False)
        raise


def _release_unused(future: asyncio.Future[RedisPermit]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().release(sent=False)


__all__ = [
    "BLOCK_S",
    "HEARTBEAT_S",
    "LOOKAHEAD_S",
    "STALE_S",
    "WAITER_TTL_S",
    "RedisLimiter",
    "RedisPermit",
    "default_key",
]
