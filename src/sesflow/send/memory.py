"""``MemoryTransport``: a transport that keeps every message in memory instead of sending it, for your own
tests (as Nodemailer's jsonTransport and httpx's MockTransport).

The Mailer in front of it runs exactly as it runs in front of SES (composition, the checks, retries, the
result's ids), so a test of your code sees what production would send, and can make a send fail on purpose:

>>> transport = MemoryTransport()
>>> with Mailer(transport) as mailer:
...     mailer.send(Message(from_="shop@example.com", to="ann@example.org", subject="Hi", text="Hello."))
>>> transport.messages[0].message["Subject"]
'Hi'
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from sesflow.errors import ConfigError
from sesflow.send.transport import API_CHOICES, RawEmail


@dataclass(frozen=True)
class StoredMessage:
    """One message a MemoryTransport took: the id it answered with and the email as the Mailer sent it."""

    message_id: str
    email: RawEmail

    @property
    def message(self) -> EmailMessage:
        """The raw bytes parsed (``email.policy.default``): headers and parts to assert on."""
        parsed = message_from_bytes(self.email.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every envelope recipient (to, cc and bcc)."""
        return self.email.to


class MemoryTransport:
    """Keeps messages instead of sending them. Thread-safe.

    ``handler``, when given, is called with each RawEmail before it is kept: return None to keep it as
    usual, or raise a ``sesflow.errors.SendError`` (``ThrottlingError``, ``MessageRejectedError``, ...) to
    answer as SES would; a refused message is not kept. ``region`` and ``api`` play the part of SES's (the
    Mailer's size and option checks follow ``api``). Message ids are ``memory-000001``, ``memory-000002``, ...
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        api: str = "v2",
        handler: Callable[[RawEmail], None] | None = None,
    ) -> None:
        if api not in API_CHOICES:
            raise ConfigError(f"api must be 'v2' or 'v1', not {api!r}")
        self._region = region
        self._api = api
        self._handler = handler
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._messages: list[StoredMessage] = []

    @property
    def region(self) -> str:
        """The region given (it appears in the Nodemailer-style message ids)."""
        return self._region

    @property
    def api(self) -> str:
        """The SES API played: ``"v2"`` or ``"v1"``."""
        return self._api

    @property
    def request_timeout(self) -> float:
        """Nothing travels: 0 seconds."""
        return 0.0

    @property
    def messages(self) -> list[StoredMessage]:
        """The messages kept so far, in the order they were sent (a copy)."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message kept so far."""
        with self._lock:
            self._messages.clear()

    def send_raw(self, email: RawEmail) -> str:
        """Keep ``email`` (unless the handler raises) and return its message id."""
        if self._handler is not None:
            self._handler(email)
        with self._lock:
            message_id = f"memory-{next(self._numbers):06d}"
            self._messages.append(StoredMessage(message_id, email))
        return message_id

    async def asend_raw(self, email: RawEmail) -> str:
        """Async twin of ``send_raw``."""
        return self.send_raw(email)

    def close(self) -> None:
        """Nothing to release; the messages stay readable."""

    async def aclose(self) -> None:
        """Async twin of ``close``."""


__all__ = ["MemoryTransport", "StoredMessage"]
