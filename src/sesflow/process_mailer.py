"""One Mailer per process, built from settings: what the Celery task and the Django backend send through.

``MailerSettings`` holds how to reach SES and how fast to send (a frozen value; secrets are kept out of its
repr). ``settings_from(values, names, where)`` reads them from a mapping of settings by name (Celery's
config, Django's settings, the environment) and refuses a value of the wrong type with a ``ConfigError``
naming the setting, never showing a secret. ``process_mailer(settings)`` gives this process's Mailer for
those settings, built on first use: a web or worker process forked from a parent that had one builds its
own (threads and sockets do not survive ``fork``), so the prefork pools of Celery and gunicorn work.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from sesflow.aws import check_endpoint_url, check_region
from sesflow.errors import ConfigError
from sesflow.send import Mailer, RetryPolicy
from sesflow.url_redaction import redact_urls

Rate = float | Literal["auto"]


@dataclass(frozen=True)
class MailerSettings:
    """How to build a Mailer: where SES is, which credentials, and the sending rate.

    ``rate`` is recipients per second or ``"auto"`` (the account's maximum, read from SES once); it is
    never unlimited. ``redis_url`` shares the rate with every process that uses the same Redis and
    ``redis_key``; ``daily_quota`` (recipients per rolling 24 h, or ``"auto"``) is then counted there too.
    ``max_attempts`` bounds the tries of one send SES certainly did not accept (throttled,
    5xx, unreachable; 1 = no retry). Credentials left unset come from boto3's chain (environment, profile,
    instance role).
    """

    region: str | None = None
    endpoint_url: str | None = None
    api: Literal["v2", "v1"] = "v2"
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    profile: str | None = None
    rate: Rate = "auto"
    redis_url: str | None = field(default=None, repr=False)
    redis_key: str | None = None
    daily_quota: int | Literal["auto"] | None = None
    max_connections: int = 10
    max_attempts: int = 8


# -- reading settings --------------------------------------------------------------------------------------

Reader = Callable[[Any, bool], Any]  # (value, from_text) -> the setting's value, or ValueError saying why


def _text(value: Any, from_text: bool) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected non-empty text")
    return value


def _region(value: Any, from_text: bool) -> str:
    return check_region(_text(value, from_text))


def _endpoint(value: Any, from_text: bool) -> str:
    return check_endpoint_url(_text(value, from_text))


def _api(value: Any, from_text: bool) -> str:
    if value not in ("v2", "v1"):
        raise ValueError("expected 'v2' or 'v1'")
    return str(value)


def _rate(value: Any, from_text: bool) -> Rate:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    if from_text and isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError("expected a positive number of recipients per second, or 'auto'")
    return float(value)


def _whole(value: Any, from_text: bool) -> int:
    if from_text and isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("expected a whole number of at least 1")
    return value


def _quota(value: Any, from_text: bool) -> int | Literal["auto"]:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return _whole(value, from_text)
    except ValueError:
        raise ValueError("expected a whole number of recipients per 24 hours, or 'auto'") from None


def _redis_url(value: Any, from_text: bool) -> str:
    text = _text(value, from_text)
    try:
        parts = urlsplit(text)
        _ = parts.port  # a port that is not a number raises here
        if parts.scheme == "unix":
            usable = bool(parts.path)
        else:
            usable = parts.scheme in ("redis", "rediss") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        raise ValueError("expected a Redis URL such as redis://127.0.0.1:6379/0")
    return text


READERS: dict[str, Reader] = {
    "region": _region,
    "endpoint_url": _endpoint,
    "api": _api,
    "access_key_id": _text,
    "secret_access_key": _text,
    "session_token": _text,
    "profile": _text,
    "rate": _rate,
    "redis_url": _redis_url,
    "redis_key": _text,
    "daily_quota": _quota,
    "max_connections": _whole,
    "max_attempts": _whole,
}
SECRET = frozenset({"access_key_id", "secret_access_key", "session_token", "redis_url"})


def _shown(name: str, value: Any) -> str:
    if name == "redis_url" and isinstance(value, str):
        return repr(redact_urls(value))
    if name in SECRET:
        return f"a {type(value).__name__}"
    text = repr(value)
    return f"{text[:57]}..." if len(text) > 60 else text


def read_setting(name: str, value: Any, setting: str, *, from_text: bool = False) -> Any:
    """``value`` of the setting named ``setting`` read as the MailerSettings field ``name``; ConfigError."""
    try:
        return READERS[name](value, from_text)
    except ValueError as why:
        raise ConfigError(
            f"{setting}: {why}, not {_shown(name, value)}",
            hint=f"Fix {setting} where it is set.",
        ) from None


def settings_from(
    values: Mapping[str, Any], names: Mapping[str, str], *, from_text: bool = False
) -> dict[str, Any]:
    """The MailerSettings fields found in ``values`` under the setting names ``names`` (field -> name).

    Settings that are absent or None are left out. ``from_text`` reads numbers written as text (the
    environment); otherwise a setting must already have its type.
    """
    found: dict[str, Any] = {}
    for name, setting in names.items():
        value = values.get(setting)
        if value is not None:
            found[name] = read_setting(name, value, setting, from_text=from_text)
    return found


ENVIRONMENT = {
    "region": "SESFLOW_REGION",
    "endpoint_url": "SESFLOW_ENDPOINT_URL",
    "api": "SESFLOW_API",
    "rate": "SESFLOW_RATE",
    "redis_url": "SESFLOW_REDIS_URL",
    "redis_key": "SESFLOW_REDIS_KEY",
    "daily_quota": "SESFLOW_DAILY_QUOTA",
    "max_connections": "SESFLOW_MAX_CONNECTIONS",
    "max_attempts": "SESFLOW_MAX_ATTEMPTS",
}
"""The environment variables read by ``settings_from_environment`` (AWS credentials come from boto3's own
variables: ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...)."""


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The MailerSettings fields set by ``SESFLOW_*`` environment variables (see ``ENVIRONMENT``)."""
    return settings_from(os.environ if environ is None else environ, ENVIRONMENT, from_text=True)


# -- the Mailer of this process ----------------------------------------------------------------------------


def build_mailer(settings: MailerSettings) -> Mailer:
    """A new Mailer for ``settings`` (it owns its transport and limiter); the caller closes it."""
    session = None
    if settings.access_key_id or settings.secret_access_key or settings.session_token or settings.profile:
        import boto3

        session = boto3.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            profile_name=settings.profile,
            region_name=settings.region,
        )
    return Mailer(
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        session=session,
        api=settings.api,
        rate=settings.rate,
        redis_url=settings.redis_url,
        redis_key=settings.redis_key,
        daily_quota=settings.daily_quota,
        max_connections=settings.max_connections,
        retry=RetryPolicy(max_attempts=settings.max_attempts),
    )


class _Built:
    """The Mailers this process built, by settings; forgotten (not closed) in a forked child."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mailers: dict[MailerSettings, Mailer] = {}
        self.pid = os.getpid()

    def forget(self) -> None:
        # In a forked child the parent's sending threads do not exist: drop the Mailers without closing
        # them (closing would wait for threads that never run) and let the child build its own.
        self.lock = threading.Lock()
        self.mailers = {}
        self.pid = os.getpid()


_built = _Built()
os.register_at_fork(after_in_child=_built.forget)


def process_mailer(settings: MailerSettings) -> Mailer:
    """This process's Mailer for ``settings``, built on first use and shared by every caller after."""
    if _built.pid != os.getpid():  # forked by a route register_at_fork does not see (os.fork is covered)
        _built.forget()
    with _built.lock:
        mailer = _built.mailers.get(settings)
        if mailer is None:
            mailer = _built.mailers[settings] = build_mailer(settings)
        return mailer


def close_process_mailers() -> None:
    """Finish the queued sends of every Mailer ``process_mailer`` built here, and close them."""
    with _built.lock:
        mailers, _built.mailers = list(_built.mailers.values()), {}
    for mailer in mailers:
        mailer.close()


__all__ = [
    "ENVIRONMENT",
    "MailerSettings",
    "build_mailer",
    "close_process_mailers",
    "process_mailer",
    "read_setting",
    "settings_from",
    "settings_from_environment",
]
