"""Redis URLs as the shared limiter takes them: a client made from one (with timeouts, so that a dead Redis
fails a wait instead of hanging it) and the address of a client shown; a URL is shown without its password
(``sesflow.url_redaction``).
"""

from __future__ import annotations

from typing import Any

from sesflow.errors import ConfigError
from sesflow.extras import optional_imports
from sesflow.url_redaction import redact_urls

_WHERE = "--redis-url, SESFLOW_REDIS_URL or redis_url="


def connect(url: str) -> Any:
    """A redis.Redis client for ``url``; ConfigError naming the setting for a URL that is not usable."""
    with optional_imports("redis"):  # a missing package: one line naming pip install 'sesflow[redis]'
        import redis
    shown = redact_urls(url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"redis_url must be a redis://, rediss:// or unix:// URL, not {shown!r}",
            hint=f"For example redis://127.0.0.1:6379/0 ({_WHERE}).",
        )
    try:
        return redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"redis_url is not a usable Redis URL ({shown}): {exc}",
            hint=f"For example redis://127.0.0.1:6379/0 ({_WHERE}).",
        ) from None


def describe_client(client: Any) -> str:
    """Where ``client`` connects, as a URL without credentials."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def reason(exc: BaseException) -> str:
    """The first line of an error's text (redis-py's name the address, never the password)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


__all__ = ["connect", "describe_client", "reason"]
