"""One message's way to SES: wait for the limiter, make the request, tell the limiter how it ended, and try
again while SES certainly did not take the message (an unknown outcome is never resent).

``deliver_message`` turns what the Mailer was given into that request: a ``Message`` is composed and sent
raw, a ``TemplatedMessage`` goes as v2 SendEmail with a template; both are checked before the limiter is
asked, so a message SES would refuse for its shape costs no slot.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sesflow.errors import (
    ConfigError,
    DailyQuotaExceededError,
    OutcomeUnknownError,
    SendError,
    ThrottlingError,
)
from sesflow.mime import Composed, Envelope, compose
from sesflow.send.checks import check_email
from sesflow.send.limiter import RateLimiter
from sesflow.send.result import Sendable, SendResult, nodemailer_message_id
from sesflow.send.retry import RetryPolicy
from sesflow.send.templated import TemplatedMessage, templated_request
from sesflow.send.transport import RawEmail, TemplateTransport, Transport


def deliver(
    request: Callable[[], str],
    *,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    region: str,
    envelope: Envelope,
    message: Sendable,
) -> SendResult:
    """Make the send ``request`` (one SES call returning the MessageId, or raising a SendError) for the
    recipients of ``envelope``, each attempt admitted by ``limiter``, retried as ``retry`` says; the result
    names ``region`` in its message id and carries ``envelope`` and ``message``."""
    cost = len(envelope.to)
    started = time.monotonic()
    attempts = 0  # requests made
    tries = 0  # what the retry policy counts: requests, and waits for the limiter that failed
    while True:
        tries += 1
        unknown = False
        try:
            permit = None if limiter is None else limiter.acquire(cost)
        except DailyQuotaExceededError as refused:
            return SendResult("failed", envelope, attempts=attempts, error=refused, message=message)
        except SendError as unavailable:  # the limiter could not decide (Redis, SES's quota): not sent
            error: SendError = unavailable
        else:
            attempts += 1
            try:
                ses_id = request()
            except SendError as exc:
                error = exc
                unknown = isinstance(error, OutcomeUnknownError)
                throttled = isinstance(error, ThrottlingError)
                if permit is not None:
                    # Only an unknown outcome may have been taken by SES; throttling teaches the limiter.
                    permit.release(sent=unknown, throttled=throttled)
                    if throttled:
                        # The limiter slowed down: a throttled send waits its turn again without using
                        # up an attempt, so a rate set too high slows sending instead of failing messages.
                        tries -= 1
            except BaseException:
                if permit is not None:
                    permit.release(sent=False)
                raise
            else:
                if permit is not None:
                    permit.release()
                return SendResult(
                    status="sent",
                    envelope=envelope,
                    message_id=nodemailer_message_id(ses_id, region),
                    response=ses_id,
                    accepted_at=datetime.now(UTC),
                    attempts=attempts,
                    message=message,
                )
        # An unknown outcome is never resent: SES may have taken it, and has no idempotency key.
        delay = None if unknown else retry.next_delay(error, max(tries, 1), time.monotonic() - started)
        if delay is None:
            return SendResult(
                status="unknown" if unknown else "failed",
                envelope=envelope,
                attempts=attempts,
                error=error,
                message=message,
            )
        time.sleep(delay)


def deliver_message(
    message: Sendable,
    ses: Mapping[str, Any] | None,
    *,
    transport: Transport,
    api: str,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    region: str,
) -> SendResult:
    """Check ``message`` (MessageError: nothing sent) and ``deliver`` it through ``transport`` (``api``: the
    SES API it speaks), its SES options updated by ``ses``."""
    if isinstance(message, TemplatedMessage):
        templates = template_transport(transport, api)
        request = templated_request(message, ses)
        return deliver(
            functools.partial(templates.send_templated, request.params),
            limiter=limiter,
            retry=retry,
            region=region,
            envelope=request.envelope,
            message=message,
        )
    composed = message if isinstance(message, Composed) else compose(message)
    options = dict(getattr(message, "ses", None) or {})
    options.update(ses or {})
    email = RawEmail(
        raw=composed.raw, from_=composed.envelope.from_, to=tuple(composed.envelope.to), options=options
    )
    check_email(email, api)
    return deliver(
        functools.partial(transport.send_raw, email),
        limiter=limiter,
        retry=retry,
        region=region,
        envelope=composed.envelope,
        message=message,
    )


def template_transport(transport: Transport, api: str) -> TemplateTransport:
    """``transport`` as a TemplateTransport; ConfigError when it cannot send templates (or speaks v1)."""
    if not isinstance(transport, TemplateTransport):
        raise ConfigError(
            f"{type(transport).__name__} cannot send templated messages (it has no send_templated and "
            "send_bulk).",
            hint="Use SESTransport, BotocoreTransport with a 'sesv2' client, or MemoryTransport.",
        )
    if api != "v2":
        raise ConfigError(
            "Templated sends are SES v2 operations (SendEmail with a template, SendBulkEmail); this Mailer "
            "sends through v1 (api='v1').",
            hint="Build the Mailer with api='v2' (the default) for templated sends.",
        )
    return transport


__all__ = ["deliver", "deliver_message", "template_transport"]
