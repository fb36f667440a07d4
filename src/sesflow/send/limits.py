"""Which rate limiter a Mailer sends through, from its settings: none, the in-process ``GCRALimiter``, the
shared ``RedisLimiter`` (``redis_url``, or the ``SESFLOW_REDIS_URL`` environment variable), or the one given.
"""

from __future__ import annotations

import os
from typing import Literal

from sesflow.errors import ConfigError
from sesflow.send.limiter import GCRALimiter, RateLimiter, check_daily_quota, check_rate
from sesflow.send.redis_limiter import RedisLimiter, default_key
from sesflow.send.transport import SESAccount, SESEndpoint, Transport

REDIS_URL_VARIABLE = "SESFLOW_REDIS_URL"
"""The environment variable a Mailer reads its ``redis_url`` from when none is passed."""

_DEFAULT_LEASE_S = 36.0  # SESTransport's default timeouts (5 s connect + 30 s read) + 1 s


def choose_limiter(
    transport: Transport,
    *,
    region: str,
    rate: float | Literal["auto"] | None,
    rate_given: bool,
    limiter: RateLimiter | None,
    redis_url: str | None,
    redis_key: str | None,
    daily_quota: int | Literal["auto"] | None,
) -> tuple[RateLimiter | None, bool]:
    """The limiter for these Mailer settings, and whether the Mailer built it (and so must close it)."""
    account = transport if isinstance(transport, SESAccount) else None
    if limiter is not None:
        given = {
            "rate": rate_given,
            "redis_url": redis_url is not None,
            "redis_key": redis_key is not None,
            "daily_quota": daily_quota is not None,
        }
        clash = [name for name, value in given.items() if value]
        if clash:
            raise ConfigError(
                f"Pass either limiter or {', '.join(clash)}, not both: the limiter has its own settings."
            )
        if not isinstance(limiter, RateLimiter):
            raise ConfigError(f"limiter must have rate, acquire and aacquire, not {type(limiter).__name__}")
        return limiter, False
    if not rate_given:
        rate = "auto" if account is not None else None
    if rate is not None:
        rate = check_rate(rate)
    quota = check_daily_quota(daily_quota)
    if "auto" in (rate, quota) and account is None:
        raise ConfigError(
            f"rate='auto' and daily_quota='auto' need a transport that can ask SES; "
            f"{type(transport).__name__} cannot.",
            hint="Pass rate=N (recipients per second) and daily_quota=N.",
        )
    url = redis_url if redis_url is not None else (os.environ.get(REDIS_URL_VARIABLE) or None)
    if url is not None:
        if rate is None:
            raise ConfigError(
                "rate=None means no limit, so there is no rate to share through Redis.",
                hint="Pass rate=N or rate='auto' with redis_url (or unset SESFLOW_REDIS_URL).",
            )
        timeout = transport.request_timeout if isinstance(transport, SESEndpoint) else _DEFAULT_LEASE_S - 1
        shared = RedisLimiter(
            url,
            key=redis_key or default_key(region),
            rate=rate,
            daily_quota=quota,
            account=account,
            lease=max(timeout, 0.0) + 1.0,
        )
        return shared, True
    if redis_key is not None:
        raise ConfigError("redis_key names the account in Redis: it needs redis_url (or SESFLOW_REDIS_URL).")
    if rate is None:
        if quota is not None:
            raise ConfigError("daily_quota needs a rate limiter: pass rate=N or rate='auto' too.")
        return None, False
    return GCRALimiter(rate, account=account, daily_quota=quota), True


__all__ = ["REDIS_URL_VARIABLE", "choose_limiter"]
