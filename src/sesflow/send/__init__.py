"""Sending through SES: the transport, the per-recipient rate limiter, retries and the Mailer.

Public names: ``Mailer``, ``SESTransport``, ``SendResult`` (re-exported by ``sesflow``), plus the
``Transport`` and ``RateLimiter`` protocols, ``GCRALimiter``, ``RetryPolicy`` and ``RawEmail`` for those
who plug in their own parts.
"""

from __future__ import annotations

from sesflow.send.checks import MAX_ENCODED_BYTES, MAX_RECIPIENTS
from sesflow.send.limiter import GCRALimiter, Permit, RateLimiter
from sesflow.send.mailer import Mailer
from sesflow.send.result import SendResult, SendStatus, nodemailer_message_id
from sesflow.send.retry import NO_RETRY, RetryPolicy
from sesflow.send.transport import API_CHOICES, RawEmail, SESTransport, Transport

__all__ = [
    "API_CHOICES",
    "MAX_ENCODED_BYTES",
    "MAX_RECIPIENTS",
    "NO_RETRY",
    "GCRALimiter",
    "Mailer",
    "Permit",
    "RateLimiter",
    "RawEmail",
    "RetryPolicy",
    "SESTransport",
    "SendResult",
    "SendStatus",
    "Transport",
    "nodemailer_message_id",
]
