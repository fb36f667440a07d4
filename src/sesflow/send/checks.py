"""The checks a message must pass before any request goes out: recipients present, at most 50, size in
limits, SES options known to the API. The Mailer runs them, whatever the transport.

SES refuses these itself, but only after the rate limiter spent a slot on them, and a refused 51-recipient
message tells nobody which limit it hit; checked here, nothing is sent and the error names the problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from sesflow.errors import MessageError
from sesflow.send.params import option_params
from sesflow.send.transport import RawEmail

MAX_RECIPIENTS = 50
"""SES accepts at most 50 recipients (to + cc + bcc) per message."""

MAX_ENCODED_BYTES = {"v1": 10 * 1024 * 1024, "v2": 40 * 1024 * 1024}
"""Largest message per API, measured as sent: base64-encoded raw bytes (10 MB for v1, 40 MB for v2)."""


def encoded_size(raw: bytes) -> int:
    """Size of ``raw`` once base64-encoded, as it travels in the SES request."""
    return 4 * ((len(raw) + 2) // 3)


def check_recipients(recipients: Sequence[str]) -> None:
    """Raise MessageError when there is no recipient or more than SES accepts."""
    if not recipients:
        raise MessageError(
            "The message has no recipient.",
            hint="Add at least one address to to, cc or bcc (--to/--cc/--bcc).",
        )
    if len(recipients) > MAX_RECIPIENTS:
        raise MessageError(
            f"The message has {len(recipients)} recipients; SES accepts at most {MAX_RECIPIENTS} "
            "(to + cc + bcc) per message.",
            hint="Split the recipients over several messages.",
        )


def check_size(raw: bytes, api: str) -> None:
    """Raise MessageError when ``raw`` is over the size limit of the SES ``api`` ("v1" or "v2")."""
    limit = MAX_ENCODED_BYTES[api]
    size = encoded_size(raw)
    if size > limit:
        hint = "Link large files instead of attaching them."
        if api == "v1":
            hint += " The v2 API (api='v2', --api v2) accepts up to 40 MB."
        raise MessageError(
            f"The message is too large: {size:,} bytes as encoded, over the {api} limit of {limit:,} bytes.",
            hint=hint,
        )


def check_email(email: RawEmail, api: str) -> None:
    """Raise MessageError when ``email`` cannot be sent through the SES ``api`` as given; nothing is sent."""
    check_recipients(email.to)
    check_size(email.raw, api)
    option_params(email.options, api)


__all__ = [
    "MAX_ENCODED_BYTES",
    "MAX_RECIPIENTS",
    "check_email",
    "check_recipients",
    "check_size",
    "encoded_size",
]
