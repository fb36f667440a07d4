"""``sesflow.send(message, ...)``: one message, one call, nothing left open.

For a script or a request handler that sends now and then. A steady stream of messages belongs in a long-lived
``Mailer`` (kept connections, parallel requests, one GetAccount call for all of them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sesflow.send.limits import REDIS_URL_VARIABLE
from sesflow.send.mailer import DEFAULT_RATE, Mailer, RateSetting, Sendable
from sesflow.send.result import SendResult
from sesflow.send.retry import RetryPolicy
from sesflow.send.transport import Transport

if TYPE_CHECKING:
    import boto3


def send(
    message: Sendable,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    api: str | None = None,
    transport: Transport | None = None,
    ses: Mapping[str, Any] | None = None,
    rate: RateSetting = DEFAULT_RATE,
    redis_url: str | None = None,
    redis_key: str | None = None,
    retry: RetryPolicy | None = None,
) -> SendResult:
    """Compose and send ``message`` through SES (settings as for ``Mailer``), and return its SendResult; a
    ``TemplatedMessage`` is sent for SES to render.

    Raises MessageError, with nothing sent, when the message cannot be composed or fails the checks; SES's
    answers come back in the result (``status`` "failed" or "unknown"): call ``.raise_for_error()`` on it to
    raise them instead. One message cannot go above a rate by itself, so without ``redis_url`` (or
    ``SESFLOW_REDIS_URL``) no limiter is asked; with it, the message waits its turn in the shared rate (one
    GetAccount call for ``rate="auto"``, the default). Throttling answers are retried with backoff either way.

    >>> sesflow.send(Message(...), region="eu-west-1").raise_for_error()
    """
    shared = redis_url is not None or bool(os.environ.get(REDIS_URL_VARIABLE))
    if not shared and rate is DEFAULT_RATE:
        rate = None
    with Mailer(
        transport,
        region=region,
        endpoint_url=endpoint_url,
        session=session,
        api=api,
        rate=rate,
        redis_url=redis_url,
        redis_key=redis_key,
        max_connections=1,
        retry=retry,
    ) as mailer:
        return mailer.send(message, ses=ses)


__all__ = ["send"]
