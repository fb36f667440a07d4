"""``RedisLimiter``: one account's rate, shared by every process and host that uses the same Redis and key.

The same two rules as ``GCRALimiter`` (GCRA pacing of request starts; a request occupies the one-second window
until one second after its answer), the same learning from throttling and the same daily quota, decided in
Redis: each decision is one Lua script (``redis_limiter.lua``, registered with redis-py's
``register_script``) run on Redis's clock (``TIME``), so the hosts' clocks never matter.

- **Leases.** Every permit holds its recipients until its release, or until its lease ends (request timeout
  + 1 s) if its process died (``kill -9``): then they are free, as if the request had ended a second before.
- **Arrival order.** Each waiter takes a ticket (its place in one queue across all processes) and only the
  first is admitted; a script that admits someone pushes the decision onto the list of the waiter concerned,
  which blocks on it (``BLPOP``) instead of polling. The first waiter sleeps until its computed start. A
  waiter shows it is alive every ``HEARTBEAT_S``; one silent for ``WAITER_TTL_S`` (its process died) loses
  its place.
- **Daily quota.** Recipients admitted in the last 24 hours, per whole minute, across all processes; a send
  that would go beyond it is refused before it is sent (DailyQuotaExceededError). A send SES certainly did
  not take gives its recipients back.
- **Fail closed.** Redis unreachable at construction is a ConfigError; later, each wait raises
  LimiterUnavailableError (retryable, and nothing is sent): never a send without a decision.

Keys (``key`` defaults to ``sesflow:REGION:default``): ``{key}:state``, ``{key}:inflight``, ``{key}:ended``,
``{key}:queue``, ``{key}:waiters``, ``{key}:day``, ``{key}:auto`` (the account's quota, cached 15 minutes)
and ``{key}:wake:TICKET``. The braces make one Redis Cluster hash slot of them all. They expire after 25
idle hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from sesflow.errors import ConfigError, LimiterUnavailableError
from sesflow.send.account import UNKNOWN, AutoQuota
from sesflow.send.learning import CLIMB, FLOOR, STEP_DOWN, learned_rate
from sesflow.send.limiter import PACING_TOLERANCE_S, check_daily_quota, check_rate, quota_refused
from sesflow.send.transport import SendQuota, SESAccount, SESEndpoint

_log = logging.getLogger("sesflow")

HEARTBEAT_S = 0.5
"""A waiter that is not first shows it is alive this often (and looks at the queue again)."""

WAITER_TTL_S = 3.0
"""A waiter silent this long is taken for dead and loses its place in the queue."""

KEEP_S = 25 * 3600
"""The keys expire after this long without a send (more than the 24 hours the daily quota looks back)."""

AUTO_TTL_S = 900
"""How long the account's quota, read once from SES, is shared through Redis before it is read again."""

_UNLIMITED = 1e299  # the script's "no ceiling"
_SUFFIXES = ("state", "inflight", "ended", "queue", "waiters", "day")


def default_key(region: str, name: str = "default") -> str:
    """The documented default key of an account's limiter: ``sesflow:REGION:NAME``."""
    return f"sesflow:{region}:{name}"


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (safe to print)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else url


def _lua() -> str:
    return resources.files("sesflow.send").joinpath("redis_limiter.lua").read_text(encoding="utf-8")


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
        if isinstance(redis, str):
            self._client, self._where, self._owns_client = _connect(redis), redact_url(redis), True
        else:
            self._client, self._owns_client = redis, False
            self._where = _describe_client(redis)
        try:
            self._client.ping()
        except Exception as exc:
            if self._owns_client:
                self._client.close()
            raise ConfigError(
                f"cannot reach Redis at {self._where}: {_reason(exc)}",
                hint="Check redis_url (sesflow send --redis-url, or SESFLOW_REDIS_URL) and that Redis runs.",
            ) from None
        self._keys = [f"{{{key}}}:{suffix}" for suffix in _SUFFIXES]
        self._wake_prefix = f"{{{key}}}:wake:"
        self._fixed = [
            self._wake_prefix,
            repr(PACING_TOLERANCE_S),
            repr(STEP_DOWN),
            repr(CLIMB),
            repr(FLOOR),
            repr(WAITER_TTL_S),
            str(KEEP_S * 1000),
        ]
        self._script = self._client.register_script(_lua())

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
            cut, cut_at = self._client.hmget(self._keys[0], "cut", "cut_at")
            seconds, micros = self._client.time()
        except Exception as exc:
            raise self._unavailable(exc) from None
        now = float(seconds) + float(micros) / 1e6
        return learned_rate(limits.ceiling, None if cut is None else float(cut), float(cut_at or 0), now)

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
        try:
            while True:
                message, ticket = self._run("acquire", ticket, str(cost), repr(self._lease), ceiling, quota)
                while True:
                    kind, _, detail = message.partition(":")
                    if kind == "A":
                        return self._permit(int(ticket), detail)
                    if kind == "Q":
                        used, _, allowed = detail.partition(":")
                        ticket = ""  # the script already took it out of the queue
                        raise quota_refused(cost, int(float(used)), int(float(allowed)))
                    if kind == "W":
                        # First in line, with a known start: sleep until then (a BLPOP timeout is only as
                        # fine as Redis's 100 ms timer), then ask again.
                        time.sleep(min(int(detail) / 1000, HEARTBEAT_S))
                        break
                    wait = HEARTBEAT_S if kind == "N" else min(max(int(detail) / 1000, 0.01), HEARTBEAT_S)
                    pushed = self._call(self._client.blpop, [self._wake_prefix + ticket], timeout=wait)
                    if pushed is None:
                        break  # a heartbeat, or the lease of a request in flight ended: ask again
                    message = pushed[1].decode() if isinstance(pushed[1], bytes) else str(pushed[1])
        except BaseException:
            if ticket:
                self._leave(ticket, cost)
            raise

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
        """Close the Redis connections if this limiter made them (from a URL); a client passed in stays
        open."""
        if self._owns_client:
            self._client.close()

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
        auto_key = f"{{{self._key}}}:auto"
        cached = self._call(self._client.hmget, auto_key, "rate", "daily")
        if cached[0] is not None:
            daily = float(cached[1]) if cached[1] is not None else -1.0
            return SendQuota(float(cached[0]), None if daily < 0 else int(daily))
        assert self._account is not None
        quota = AutoQuota(self._account).get()
        if quota is not UNKNOWN:
            daily_text = str(-1 if quota.max_24h_send is None else quota.max_24h_send)
            pipe = self._client.pipeline()
            pipe.hset(auto_key, mapping={"rate": repr(quota.max_send_rate), "daily": daily_text})
            pipe.expire(auto_key, AUTO_TTL_S)
            self._call(pipe.execute)
        return quota

    def _run(self, operation: str, *args: str) -> tuple[str, str]:
        reply = self._call(self._script, keys=self._keys, args=[*self._fixed, operation, *args])
        return _text(reply[0]), _text(reply[1])

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            return function(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> LimiterUnavailableError:
        return LimiterUnavailableError(
            f"cannot reach Redis at {self._where}: {_reason(exc)}",
            hint="Nothing was sent (the shared rate could not be asked); check that Redis runs.",
        )

    def _permit(self, ticket: int, detail: str) -> RedisPermit:
        cost, epoch, minute, started_at, _rate = detail.split(":")
        return RedisPermit(self, ticket, int(cost), epoch, minute, float(started_at))

    def _release(self, permit: RedisPermit, *, sent: bool, throttled: bool) -> None:
        limits = self._resolve()
        ceiling = repr(limits.ceiling) if math.isfinite(limits.ceiling) else repr(_UNLIMITED)
        try:
            self._run(
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
            self._run("leave", ticket, str(cost))


def _connect(url: str) -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigError(
            "The Redis limiter needs the redis package.", hint="pip install 'sesflow[redis]'"
        ) from None
    shown = redact_url(url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"redis_url must be a redis://, rediss:// or unix:// URL, not {shown!r}",
            hint="For example redis://127.0.0.1:6379/0 (sesflow send --redis-url, or SESFLOW_REDIS_URL).",
        )
    try:
        return redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"redis_url is not a usable Redis URL ({shown}): {exc}",
            hint="For example redis://127.0.0.1:6379/0 (sesflow send --redis-url, or SESFLOW_REDIS_URL).",
        ) from None


def _describe_client(client: Any) -> str:
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _release_unused(future: asyncio.Future[RedisPermit]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().release(sent=False)


__all__ = ["HEARTBEAT_S", "WAITER_TTL_S", "RedisLimiter", "RedisPermit", "default_key", "redact_url"]
