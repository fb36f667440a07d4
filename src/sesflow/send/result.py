"""The outcome of one send: ``SendResult``, and the Nodemailer-style message id it carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

from sesflow.errors import MessageError, SendError
from sesflow.mime import Composed, Envelope, Message
from sesflow.send.templated import BulkDestination, TemplatedMessage

SendStatus = Literal["sent", "failed", "unknown"]

Sendable: TypeAlias = Message | Composed | TemplatedMessage
"""What the Mailer sends one by one: a message to compose, a composed one, or one SES renders."""


def nodemailer_message_id(ses_id: str, region: str) -> str:
    """``<SESID@REGION.amazonses.com>`` as Nodemailer's SES transport forms it.

    us-east-1 is spelled ``email`` (``<id@email.amazonses.com>``), and an id that already holds an ``@``
    is only wrapped in angle brackets.
    """
    if "@" in ses_id:
        return f"<{ses_id}>"
    host = "email" if region == "us-east-1" else region
    return f"<{ses_id}@{host}.amazonses.com>"


@dataclass(frozen=True)
class SendResult:
    """What happened to one message.

    ``status`` is ``"sent"`` (SES accepted it), ``"failed"`` (SES certainly did not take it: ``error`` says
    why) or ``"unknown"`` (the request went out and no answer came: SES may have sent it; it is never resent
    on its own). ``message_id`` is Nodemailer's form of the SES id, ``response`` the SES ``MessageId`` itself,
    ``accepted_at`` when SES answered (UTC), ``attempts`` how many requests were made, and ``message`` the
    message as it was given to the Mailer, to match results that come back in completion order (for a bulk
    send: the ``BulkDestination``).
    """

    status: SendStatus
    envelope: Envelope | None
    message_id: str | None = None
    response: str | None = None
    accepted_at: datetime | None = None
    attempts: int = 0
    error: SendError | MessageError | None = None
    message: Sendable | BulkDestination | None = None

    @property
    def ok(self) -> bool:
        """True when SES accepted the message."""
        return self.status == "sent"

    def raise_for_error(self) -> SendResult:
        """This result when the message was sent; else raise its error (``OutcomeUnknownError`` for status
        "unknown": SES may have taken it). Chainable: ``mailer.send(m).raise_for_error().message_id``."""
        if self.status == "sent":
            return self
        if self.error is not None:
            raise self.error
        raise SendError(f"The message was not sent (status {self.status}).")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the shape ``sesflow send --json`` prints)."""
        error: dict[str, Any] | None = None
        if self.error is not None:
            error = {
                "type": type(self.error).__name__,
                "code": getattr(self.error, "code", None),
                "message": self.error.message,
            }
        return {
            "status": self.status,
            "envelope": None
            if self.envelope is None
            else {"from": self.envelope.from_, "to": list(self.envelope.to)},
            "message_id": self.message_id,
            "response": self.response,
            "accepted_at": None if self.accepted_at is None else self.accepted_at.isoformat(),
            "attempts": self.attempts,
            "error": error,
        }


__all__ = ["SendResult", "SendStatus", "Sendable", "nodemailer_message_id"]
