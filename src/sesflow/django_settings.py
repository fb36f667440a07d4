"""The Django settings sesflow reads: django-ses's names where they exist, ``SESFLOW_*`` for the rest.

A django-ses project switches by changing ``EMAIL_BACKEND`` alone. Read by ``sesflow.django`` (the
backend) and by ``sesflow.celery`` (a worker sending what that backend queued); each value is checked,
and a setting of the wrong type is a ``ConfigError`` naming it (``settings.SESFLOW_RATE: ...``), with
secrets never shown.

=================================  ==================================================================
setting                            meaning
=================================  ==================================================================
``AWS_SES_REGION_NAME``            region (else ``AWS_DEFAULT_REGION``, else boto3's default)
``AWS_SES_REGION_ENDPOINT_URL``    endpoint URL (or ``AWS_SES_REGION_ENDPOINT``, a host name)
``AWS_SES_ACCESS_KEY_ID``          credentials (else ``AWS_ACCESS_KEY_ID`` ..., else boto3's chain);
``AWS_SES_SECRET_ACCESS_KEY``      ``AWS_SESSION_PROFILE`` names a profile instead
``AWS_SES_SESSION_TOKEN``
``AWS_SES_CONFIGURATION_SET``      a name, or a callable ``(message, dkim_domain=, dkim_key=,
                                   dkim_selector=, dkim_headers=) -> name | None``
``AWS_SES_RETURN_PATH``            the envelope sender (bounces go there); else ``AWS_SES_FROM_EMAIL``,
                                   else the message's ``from_email``
``AWS_SES_SOURCE_ARN`` ...         ``AWS_SES_FROM_ARN``, ``AWS_SES_RETURN_PATH_ARN``: sending authorization
``DKIM_DOMAIN``, ``DKIM_PRIVATE_KEY``, ``DKIM_SELECTOR``, ``DKIM_HEADERS``: DKIM signing
``USE_SES_V2``                     True: SES v2 ``SendEmail``; False: v1 ``SendRawEmail``
``SESFLOW_API``                    ``"v2"`` (default) or ``"v1"``; wins over ``USE_SES_V2``
``SESFLOW_RATE``                   recipients per second, or ``"auto"`` (default: the account's maximum)
``SESFLOW_REDIS_URL``              share the rate with every process using this Redis (``SESFLOW_REDIS_KEY``)
``SESFLOW_DAILY_QUOTA``            recipients per rolling 24 h across those processes, or ``"auto"``
``SESFLOW_MAX_CONNECTIONS``        parallel requests per process (default 10)
``SESFLOW_MAX_ATTEMPTS``           tries of a send SES certainly did not take (default 8; 1 = no retry)
``SESFLOW_CELERY``                 True: queue each message to the ``sesflow.send_message`` Celery task
``SESFLOW_CELERY_OPTIONS``         a dict of ``apply_async`` options (``{"queue": "mail"}``)
=================================  ==================================================================

``AWS_SES_AUTO_THROTTLE`` is not needed (the rate limiter is exact, counted per recipient, and shared
through Redis); ``AWS_SES_CONFIG`` (a botocore ``Config``) is not read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sesflow.errors import ConfigError
from sesflow.extras import optional_imports
from sesflow.mime import DkimOptions
from sesflow.process_mailer import MailerSettings, read_setting

with optional_imports("django"):
    from django.conf import settings as django_conf

ConfigurationSet = str | Callable[..., str | None]

# MailerSettings field -> the settings that give it, first found wins.
_MAILER = {
    "region": ("AWS_SES_REGION_NAME", "AWS_DEFAULT_REGION"),
    "endpoint_url": ("AWS_SES_REGION_ENDPOINT_URL",),
    "access_key_id": ("AWS_SES_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    "secret_access_key": ("AWS_SES_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    "session_token": ("AWS_SES_SESSION_TOKEN", "AWS_SESSION_TOKEN"),
    "profile": ("AWS_SESSION_PROFILE",),
    "api": ("SESFLOW_API",),
    "rate": ("SESFLOW_RATE",),
    "redis_url": ("SESFLOW_REDIS_URL",),
    "redis_key": ("SESFLOW_REDIS_KEY",),
    "daily_quota": ("SESFLOW_DAILY_QUOTA",),
    "max_connections": ("SESFLOW_MAX_CONNECTIONS",),
    "max_attempts": ("SESFLOW_MAX_ATTEMPTS",),
}


@dataclass(frozen=True)
class DjangoSettings:
    """What the settings say: how to build the Mailer, and what goes with every message."""

    mailer: MailerSettings
    configuration_set: ConfigurationSet | None = None
    return_path: str | None = None
    source_arn: str | None = None
    from_arn: str | None = None
    return_path_arn: str | None = None
    dkim: DkimOptions | None = field(default=None, repr=False)
    celery: bool = False
    celery_options: Mapping[str, Any] = field(default_factory=dict)

    def ses_options(self) -> dict[str, Any]:
        """The SES send options the ARN settings give, spelled for the API in use."""
        if self.mailer.api == "v2":
            arn = self.from_arn or self.source_arn
            return {"FromEmailAddressIdentityArn": arn} if arn else {}
        named = {
            "SourceArn": self.source_arn,
            "FromArn": self.from_arn,
            "ReturnPathArn": self.return_path_arn,
        }
        return {k: v for k, v in named.items() if v}


def _get(name: str) -> Any:
    return getattr(django_conf, name, None)


def _text(name: str) -> str | None:
    value = _get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        secret = "KEY" in name
        shown = f"a {type(value).__name__}" if secret else f"{value!r}"
        raise ConfigError(
            f"settings.{name}: expected text, not {shown}", hint=f"Fix {name} in your settings."
        )
    return value


def _bool(name: str) -> bool | None:
    value = _get(name)
    if value is not None and not isinstance(value, bool):
        raise ConfigError(
            f"settings.{name}: expected True or False, not {value!r}", hint=f"Fix {name} in your settings."
        )
    return value


def _mailer() -> MailerSettings:
    values: dict[str, Any] = {}
    for name, settings in _MAILER.items():
        for setting in settings:
            value = _get(setting)
            if value is not None and value != "":
                values[name] = read_setting(name, value, f"settings.{setting}")
                break
    if "endpoint_url" not in values:
        host = _text("AWS_SES_REGION_ENDPOINT")
        if host is not None:
            url = host if "://" in host else f"https://{host}"
            values["endpoint_url"] = read_setting("endpoint_url", url, "settings.AWS_SES_REGION_ENDPOINT")
    if "api" not in values:
        use_v2 = _bool("USE_SES_V2")
        if use_v2 is not None:
            values["api"] = "v2" if use_v2 else "v1"
    return MailerSettings(**values)


def _configuration_set() -> ConfigurationSet | None:
    value = _get("AWS_SES_CONFIGURATION_SET")
    if value is None or value == "" or isinstance(value, str) or callable(value):
        return value or None
    raise ConfigError(
        f"settings.AWS_SES_CONFIGURATION_SET: expected a name or a callable, not {value!r}",
        hint="Fix AWS_SES_CONFIGURATION_SET in your settings.",
    )


def _dkim() -> DkimOptions | None:
    # Every DKIM setting is checked, also while DKIM is off (a wrong type is an error, never ignored).
    domain, key, selector = _text("DKIM_DOMAIN"), _get("DKIM_PRIVATE_KEY"), _text("DKIM_SELECTOR")
    if key is not None and not isinstance(key, str | bytes):
        raise ConfigError(
            f"settings.DKIM_PRIVATE_KEY: expected PEM text or bytes, not a {type(key).__name__}",
            hint="Fix DKIM_PRIVATE_KEY in your settings.",
        )
    headers = _get("DKIM_HEADERS")
    if headers is not None and not (
        isinstance(headers, list | tuple) and all(isinstance(h, str) for h in headers)
    ):
        raise ConfigError(
            f"settings.DKIM_HEADERS: expected a list of header names, not {headers!r}",
            hint="Fix DKIM_HEADERS in your settings.",
        )
    if not domain or not key:
        return None
    options = DkimOptions(domain=domain, selector=selector or "ses", private_key=key)
    if headers is not None:
        options = dataclasses.replace(options, header_fields=tuple(h.lower() for h in headers))
    return options


def _celery_options() -> dict[str, Any]:
    value = _get("SESFLOW_CELERY_OPTIONS")
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(
            f"settings.SESFLOW_CELERY_OPTIONS: expected a dict of apply_async options, not {value!r}",
            hint='For example SESFLOW_CELERY_OPTIONS = {"queue": "mail"}.',
        )
    return dict(value)


def read() -> DjangoSettings:
    """The sesflow settings of the Django project, checked (``ConfigError`` naming a wrong one)."""
    return DjangoSettings(
        mailer=_mailer(),
        configuration_set=_configuration_set(),
        return_path=_text("AWS_SES_RETURN_PATH") or _text("AWS_SES_FROM_EMAIL"),
        source_arn=_text("AWS_SES_SOURCE_ARN"),
        from_arn=_text("AWS_SES_FROM_ARN"),
        return_path_arn=_text("AWS_SES_RETURN_PATH_ARN"),
        dkim=_dkim(),
        celery=bool(_bool("SESFLOW_CELERY")),
        celery_options=_celery_options(),
    )


__all__ = ["DjangoSettings", "read"]
