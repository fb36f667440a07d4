"""What a way of sending raw messages is: the ``Transport`` protocol and the ``RawEmail`` it sends.

A transport makes exactly one request per call and never retries on its own: whether a resend is safe is the
Mailer's decision, made from the error class. Every transport has four methods (``send_raw``, ``close`` and
their async twins). Two optional faces tell the Mailer more: ``SESEndpoint`` (the region, for Nodemailer-style
message ids, and the API, for the size and option checks) and ``SESAccount`` (the account's quotas, for
``rate="auto"``). A third, ``TemplateTransport``, sends SES templates (v2 ``SendEmail`` with
``Content.Template`` and ``SendBulkEmail``). The transports sesflow ships: ``SESTransport`` (signs and sends
itself), ``BotocoreTransport`` (through a boto3 client) and ``MemoryTransport`` (keeps messages, for tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

API_CHOICES = ("v2", "v1")


@dataclass(frozen=True)
class RawEmail:
    """One message as a transport sends it: the raw RFC 5322 bytes, the SMTP envelope and SES options."""

    raw: bytes
    from_: str
    to: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendQuota:
    """An account's sending limits, as SES reports them (v2 GetAccount ``SendQuota``, v1 GetSendQuota).

    ``max_send_rate`` is in recipients per second, ``max_24h_send`` in recipients per rolling 24 hours
    (None: SES reports no limit, its ``-1``), ``sent_last_24h`` what the account sent in the last 24 hours.
    """

    max_send_rate: float
    max_24h_send: int | None
    sent_last_24h: int = 0


@runtime_checkable
class Transport(Protocol):
    """What the Mailer needs from a way to send raw messages. Implementations must be thread-safe."""

    def send_raw(self, email: RawEmail) -> str:
        """Make one send request and return the provider's message id; raise a SendError otherwise."""
        ...

    async def asend_raw(self, email: RawEmail) -> str:
        """Async twin of ``send_raw``."""
        ...

    def close(self) -> None:
        """Release connections. Idempotent."""
        ...

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        ...


@runtime_checkable
class TemplateTransport(Protocol):
    """A transport that can also send messages SES renders from a template (SES v2 only). Thread-safe.

    Both methods take the parameters botocore's ``sesv2`` ``send_email`` / ``send_bulk_email`` take, already
    checked by the Mailer, make exactly one request and raise a SendError when SES did not answer with
    success (a destination that failed inside a successful SendBulkEmail is not an error: its entry says).
    """

    def send_templated(self, params: Mapping[str, Any]) -> str:
        """One v2 ``SendEmail`` with ``Content.Template``; the SES MessageId."""
        ...

    def send_bulk(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One v2 ``SendBulkEmail``; its ``BulkEmailEntryResults`` (``Status``, ``MessageId``, ``Error``), one
        per entry, in the order of the entries."""
        ...


@runtime_checkable
class SESEndpoint(Protocol):
    """A transport that sends to SES in one region through one API (``"v2"`` or ``"v1"``), each request
    bounded in time."""

    @property
    def region(self) -> str:
        """The region the messages are sent in (it appears in Nodemailer-style message ids)."""
        ...

    @property
    def api(self) -> str:
        """``"v2"`` (SendEmail) or ``"v1"`` (SendRawEmail): decides the size limit and the known options."""
        ...

    @property
    def request_timeout(self) -> float:
        """The longest one request can take, in seconds (a shared limiter's lease is this plus one)."""
        ...


@runtime_checkable
class SESAccount(Protocol):
    """Something that can ask SES for the account's sending limits (one request per call)."""

    def send_quota(self) -> SendQuota:
        """The account's limits now; raise a SendError when SES cannot be asked."""
        ...


__all__ = [
    "API_CHOICES",
    "RawEmail",
    "SESAccount",
    "SESEndpoint",
    "SendQuota",
    "TemplateTransport",
    "Transport",
]
