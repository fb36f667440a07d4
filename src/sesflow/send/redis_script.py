"""``RedisLimiter``'s side of the wire: the Redis client, the Lua script (``redis_limiter.lua``) and its keys,
one call of it, and failing closed.

Every decision is one call of the script, on Redis's clock (``TIME``). A call carries this process's id and,
when due, its heartbeat (``redis_liveness.py``); an error talking to Redis becomes LimiterUnavailableError
(nothing is sent), naming the server without its password.
"""

from __future__ import annotations

import contextlib
from importlib import resources
from typing import Any

from sesflow.errors import ConfigError, LimiterUnavailableError
from sesflow.send.learning import CLIMB, FLOOR, STEP_DOWN
from sesflow.send.limiter import PACING_TOLERANCE_S
from sesflow.send.redis_liveness import WAITER_TTL_S, Liveness
from sesflow.send.redis_url import connect, describe_client, reason
from sesflow.url_redaction import redact_urls

LOOKAHEAD_S = 0.1
"""A permit is given this long before its start at most (the waiter sleeps until its start)."""

KEEP_S = 25 * 3600
"""The keys expire after this long without a send (more than the 24 hours the daily quota looks back)."""

_SUFFIXES = ("state", "inflight", "ended", "queue", "day", "alive", "pushed")


def _lua() -> str:
    """The script, its constants written in (a call then carries only what changes)."""
    source = resources.files("sesflow.send").joinpath("redis_limiter.lua").read_text(encoding="utf-8")
    constants = {
        "TOL": repr(PACING_TOLERANCE_S),
        "STEP": repr(STEP_DOWN),
        "CLIMB": repr(CLIMB),
        "FLOOR": repr(FLOOR),
        "TTL": repr(WAITER_TTL_S),
        "KEEP": str(KEEP_S * 1000),
        "AHEAD": repr(LOOKAHEAD_S),
    }
    for name, value in constants.items():
        source = source.replace(f"@{name}@", value)
    return source


class LimiterScript:
    """The script of one account ``key`` on one Redis (``redis``: a URL, or a client left open by
    ``close``). Redis unreachable here is a ConfigError naming the setting."""

    def __init__(self, redis: Any, key: str) -> None:
        if isinstance(redis, str):
            self.client, self.where, self._owns_client = connect(redis), redact_urls(redis), True
        else:
            self.client, self._owns_client = redis, False
            self.where = describe_client(redis)
        try:
            self.client.ping()
        except Exception as exc:
            if self._owns_client:
                self.client.close()
            raise ConfigError(
                f"cannot reach Redis at {self.where}: {reason(exc)}",
                hint="Check the Redis URL (--redis-url, SESFLOW_REDIS_URL or redis_url=) and that Redis "
                "runs.",
            ) from None
        self.keys = [f"{{{key}}}:{suffix}" for suffix in _SUFFIXES]
        self.state_key = self.keys[0]
        self.auto_key = f"{{{key}}}:auto"
        self.wake_prefix = f"{{{key}}}:wake:"  # the script derives it from the state key
        # Sent as bytes, ready to go: a call's arguments are few, and none is encoded twice.
        self._keys = [k.encode() for k in self.keys]
        self.liveness = Liveness(self._beat)
        self._script = self.client.register_script(_lua())
        from redis.exceptions import RedisError  # the package is there: a client exists

        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)

    def run(self, operation: str, *args: str, beat: bool | None = None) -> tuple[str, str, str]:
        """One call of the script: (message, ticket, Redis's clock then). ``beat``: True carries the
        heartbeat, False not, None when due."""
        process = self.liveness.process
        flag = "0" if beat is False else self.liveness.due(force=bool(beat))
        try:
            reply = self.call(
                self._script,
                keys=self._keys,
                args=[operation.encode(), process.encode(), flag.encode(), *(a.encode() for a in args)],
            )
        except LimiterUnavailableError:
            if flag == "1":
                self.liveness.missed()
            raise
        return text(reply[0]), text(reply[1]), text(reply[2])

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` (a client method), Redis's errors as LimiterUnavailableError."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # redis-py's errors (RedisError), and OSError below them
            if not isinstance(exc, self._errors):
                raise
            raise self.unavailable(exc) from None

    def unavailable(self, exc: BaseException) -> LimiterUnavailableError:
        """The error of a decision Redis could not make."""
        return LimiterUnavailableError(
            f"cannot reach Redis at {self.where}: {reason(exc)}",
            hint="Nothing was sent (the shared rate could not be asked); check that Redis runs.",
        )

    def close(self) -> None:
        """Stop the heartbeat, tell Redis this process has no waiters left, and close the connections if
        they were made here."""
        self.liveness.close()
        with contextlib.suppress(LimiterUnavailableError):
            self.run("gone", beat=False)
        if self._owns_client:
            self.client.close()

    def _beat(self) -> None:
        self.run("beat", beat=True)


def text(value: Any) -> str:
    """A reply from Redis as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


__all__ = ["KEEP_S", "LOOKAHEAD_S", "LimiterScript", "text"]
