"""Sending through SES: transports, the per-recipient rate limiters, retries and the Mailer.

Public names: ``Mailer``, ``SendResult`` and the transports ``SESTransport`` (signs and sends itself),
``BotocoreTransport`` (through a boto3 client) and ``MemoryTransport`` (keeps messages, for tests); the
limiters ``GCRALimiter`` (in-process) and ``RedisLimiter`` (one rate across processes and hosts);
``RetryPolicy``; SES templates: ``TemplatedMessage``, ``TemplateContent`` and ``BulkDestination`` to send
with them, ``Templates`` to push, list, render and delete them (``read_templates`` reads a folder of template
files); and the protocols ``Transport``, ``TemplateTransport``, ``RateLimiter`` and ``Permit`` for those
who plug in their own parts. ``sesflow.send(message, ...)``, the one-call send, is
``sesflow.send.oneshot.send``.
"""

from __future__ import annotations

from sesflow.send.boto import BotocoreTransport
from sesflow.send.checks import MAX_ENCODED_BYTES, MAX_RECIPIENTS
from sesflow.send.limiter import GCRALimiter, Permit, RateLimiter
from sesflow.send.limits import REDIS_URL_VARIABLE
from sesflow.send.mailer import DEFAULT_RATE, Mailer
from sesflow.send.memory import MemoryTransport, StoredMessage, StoredTemplated, TemplatedEmail
from sesflow.send.redis_limiter import RedisLimiter, default_key
from sesflow.send.result import SendResult, SendStatus, nodemailer_message_id
from sesflow.send.retry import NO_RETRY, RetryPolicy
from sesflow.send.ses import SESTransport
from sesflow.send.template_files import TemplateFile, read_templates
from sesflow.send.templated import BulkDestination, TemplateContent, TemplatedMessage
from sesflow.send.templates import PushResult, Rendered, TemplateInfo, Templates
from sesflow.send.transport import (
    API_CHOICES,
    RawEmail,
    SendQuota,
    SESAccount,
    SESEndpoint,
    TemplateTransport,
    Transport,
)

__all__ = [
    "API_CHOICES",
    "DEFAULT_RATE",
    "MAX_ENCODED_BYTES",
    "MAX_RECIPIENTS",
    "NO_RETRY",
    "REDIS_URL_VARIABLE",
    "BotocoreTransport",
    "BulkDestination",
    "GCRALimiter",
    "Mailer",
    "MemoryTransport",
    "Permit",
    "PushResult",
    "RateLimiter",
    "RawEmail",
    "RedisLimiter",
    "Rendered",
    "RetryPolicy",
    "SESAccount",
    "SESEndpoint",
    "SESTransport",
    "SendQuota",
    "SendResult",
    "SendStatus",
    "StoredMessage",
    "StoredTemplated",
    "TemplateContent",
    "TemplateFile",
    "TemplateInfo",
    "TemplateTransport",
    "TemplatedEmail",
    "TemplatedMessage",
    "Templates",
    "Transport",
    "default_key",
    "nodemailer_message_id",
    "read_templates",
]
