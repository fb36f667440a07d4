"""One message's way to SES: wait for the limiter, make the request, tell the limiter how it ended, and try
again while SES certainly did not take the message (an unknown outcome is never resent).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sesflow.errors import DailyQuotaExceededError, OutcomeUnknownError, SendError, ThrottlingError
from sesflow.mime import Composed, Envelope, Message
from sesflow.send.limiter import RateLimiter
from sesflow.send.result import SendResult, nodemailer_message_id
from sesflow.send.retry import RetryPolicy
from sesflow.send.transport import RawEmail, Transport


def deliver(
    email: RawEmail,
    *,
    transport: Transport,
    limiter: RateLimiter | None,
    retry: RetryPolicy,
    region: str,
    envelope: Envelope,
    message: Message | Composed,
) -> SendResult:
    """Send ``email`` through ``transport``, each attempt admitted by ``limiter``, retried as ``retry`` says;
    the result names ``region`` in its message id and carries ``envelope`` and ``message``."""
    started = time.monotonic()
    attempts = 0  # requests made
    tries = 0  # what the retry policy counts: requests, and waits for the limiter that failed
    while True:
        tries += 1
        unknown = False
        try:
            permit = None if limiter is None else limiter.acquire(len(email.to))
        except DailyQuotaExceededError as refused:
            return SendResult("failed", envelope, attempts=attempts, error=refused, message=message)
        except SendError as unavailable:  # the limiter could not decide (Redis, SES's quota): not sent
            error: SendError = unavailable
        else:
            attempts += 1
            try:
                ses_id = transport.send_raw(email)
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


__all__ = ["deliver"]
