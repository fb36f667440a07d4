"""The SES v2 API as the source reads it: a boto3 ``sesv2`` client built from plain values, and calls that
page, retry what is safe to retry, and turn AccessDenied into an error naming the IAM action to grant.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sesflow.errors import AccessDeniedError, ConfigError, SyncError

THROTTLE_CODES = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"}
)
DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
OnDenied = Literal["skip", "raise"]
LOG = logging.getLogger("sesflow.source")
NO_CREDENTIALS_HINT = (
    "Give credentials (sources.ses.credentials in dlt's secrets.toml, SOURCES__SES__CREDENTIALS__* "
    "variables, or a connection's secrets), or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE "
    "(any values do for the emulator)."
)


@dataclass(frozen=True)
class AwsSettings:
    """Where SES is and who calls it; every field optional (then boto3's default chain decides)."""

    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    profile: str | None = None


def make_client(settings: AwsSettings) -> Any:
    """A boto3 ``sesv2`` client; a ``ConfigError`` naming the setting when the region or endpoint is unusable.

    botocore retries nothing itself (the callers here decide what is safe to retry), and keeps enough
    connections for every export thread.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            profile_name=settings.profile,
            region_name=settings.region,
        )
    except ProfileNotFound:
        raise ConfigError(
            f"profile: no AWS profile called {settings.profile!r}",
            hint="Name a profile of ~/.aws/config, or leave profile out to use the default chain.",
        ) from None
    if not session.region_name:
        raise ConfigError(
            "region: no AWS region is configured",
            hint="Set region (sources.ses.region in .dlt/config.toml, SOURCES__SES__REGION) or AWS_REGION.",
        )
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=64)
    try:
        return session.client("sesv2", endpoint_url=settings.endpoint_url or None, config=config)
    except ValueError as exc:
        if "endpoint" in str(exc).lower():
            raise ConfigError(
                f"endpoint_url: {settings.endpoint_url!r} is not a URL",
                hint="Write http(s)://HOST[:PORT], e.g. http://127.0.0.1:8005, or leave it out for AWS.",
            ) from None
        raise ConfigError(
            f"region: {session.region_name!r} is not an AWS region name",
            hint="Write one such as us-east-1.",
        ) from None


def iam_action(operation: str) -> str:
    """The IAM action that allows an SES v2 operation (SES v2 names them after the operations)."""
    return f"ses:{operation}"


def denied(operation: str, code: str, message: str) -> AccessDeniedError:
    """The error for an operation the credentials may not call."""
    action = iam_action(operation)
    return AccessDeniedError(
        f"the credentials may not call {operation} ({code}: {message})".replace(": )", ")"),
        action=action,
        hint=f"Grant the IAM action {action} to these credentials.",
    )


@contextlib.contextmanager
def denial_guard(stream: str, on_denied: OnDenied) -> Iterator[None]:
    """Around a stream's reads: an ``AccessDeniedError`` fails this stream only.

    ``skip``: it is logged as an error on the ``sesflow.source`` logger (naming the IAM action to grant), the
    stream yields nothing more and its cursor does not move, and the other streams of the run go on.
    ``raise``: it is raised again, naming the stream, and dlt fails the run.
    """
    try:
        yield
    except AccessDeniedError as exc:
        message = f"{stream}: {exc.message}"
        if on_denied == "raise":
            raise AccessDeniedError(message, action=exc.action, stream=stream, hint=exc.hint) from None
        LOG.error("%s. %s The stream is skipped; the other streams go on.", message, exc.hint or "")


class Api:
    """SES v2 calls for the API streams; thread-safe (boto3 clients are)."""

    def __init__(self, client: Any, *, timeout: float = 600.0, transient_retries: int = 8) -> None:
        self._client = client
        self._timeout = timeout
        self._transient_retries = transient_retries
        self.stop = threading.Event()

    def call(self, operation: str, *, missing_ok: bool = False, **params: Any) -> dict[str, Any] | None:
        """One call of ``operation`` (``ListSuppressedDestinations``, ...) with its parameters.

        Throttling is retried with backoff until ``timeout``, 5xx answers and lost connections a few times.
        ``missing_ok``: a ``NotFoundException`` (an item deleted since it was listed) returns None.
        """
        from botocore import xform_name
        from botocore.exceptions import ClientError, ConnectionError, NoCredentialsError, ReadTimeoutError

        method = getattr(self._client, xform_name(operation))
        deadline = time.monotonic() + self._timeout
        throttled = transient = 0
        while True:
            try:
                response: dict[str, Any] = method(**params)
                return response
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", ""))
                message = str(error.get("Message", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
                if code in DENIED_CODES:
                    raise denied(operation, code, message) from None
                if code == "NotFoundException" and missing_ok:
                    return None
                if (code in THROTTLE_CODES or status == 429) and time.monotonic() < deadline:
                    throttled += 1
                    self._pause(min(8.0, 0.25 * 1.6**throttled) * (0.5 + random.random()))
                    continue
                if status >= 500 and transient < self._transient_retries:
                    transient += 1
                    self._pause(min(8.0, 0.2 * 2**transient) * (0.5 + random.random()))
                    continue
                raise SyncError(f"{operation} failed: {code}: {message}".rstrip(": ")) from None
            except NoCredentialsError:
                raise ConfigError("no AWS credentials found", hint=NO_CREDENTIALS_HINT) from None
            except (ConnectionError, ReadTimeoutError) as exc:
                if transient < self._transient_retries:
                    transient += 1
                    self._pause(min(8.0, 0.2 * 2**transient))
                    continue
                raise SyncError(f"{operation}: cannot reach SES: {exc}") from None

    def pages(self, operation: str, items: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing: the ``items`` list of each answer, following ``NextToken``."""
        token: str | None = None
        while True:
            page = dict(params, NextToken=token) if token else params
            answer = self.call(operation, **page) or {}
            yield list(answer.get(items) or [])
            token = answer.get("NextToken")
            if not token:
                return

    def _pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise SyncError("stopped")


__all__ = ["LOG", "Api", "AwsSettings", "OnDenied", "denial_guard", "denied", "iam_action", "make_client"]
