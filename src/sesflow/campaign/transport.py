"""``LedgerTransport``: the transport a campaign's Mailer sends through, claiming each row before its request.

The Mailer calls ``send_raw`` after its rate limiter let the request start, and again for each retry. This
transport first makes the row ``sending`` in the ledger, durably (``LedgerWriter.claim``), then hands the
request to the real transport. So a row waiting for the limiter is still ``pending`` (a crash there loses
nothing and sends nothing), and a row whose request may be on the wire is always ``sending`` on disk.
When SES certainly did not take the request (an error answer, a refused connection), the row goes back to
``pending`` while the Mailer backs off. The row is named by the message's ``sesflow_id`` EmailTag. The
wrapped transport is not owned: closing it is its builder's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sesflow.campaign.render import parse_ledger_id
from sesflow.campaign.writer import ClaimRefused, LedgerWriter
from sesflow.errors import OutcomeUnknownError, SendError
from sesflow.send import RawEmail, Transport


def row_of(options: Mapping[str, Any]) -> int | None:
    """The ledger row (seq) a message's SES options name through its ``sesflow_id`` tag, or None."""
    for tag in options.get("EmailTags") or ():
        if tag.get("Name") == "sesflow_id":
            parsed = parse_ledger_id(str(tag.get("Value", "")))
            return None if parsed is None else parsed[1]
    return None


class LedgerTransport:
    """Claims the message's ledger row before every request to ``inner``."""

    def __init__(self, inner: Transport, writer: LedgerWriter) -> None:
        self._inner = inner
        self._writer = writer

    @property
    def region(self) -> str:
        """The wrapped transport's region."""
        return self._inner.region

    def prepare(self, connections: int) -> None:
        """Size the wrapped transport for ``connections`` parallel requests."""
        self._inner.prepare(connections)

    def check(self, email: RawEmail) -> None:
        """The wrapped transport's checks."""
        self._inner.check(email)

    def send_raw(self, email: RawEmail) -> str:
        """Claim the row (durably), then send; ClaimRefused/LedgerLost mean nothing was sent."""
        seq = row_of(email.options)
        if seq is None:
            raise ClaimRefused("the message carries no sesflow_id tag")
        self._writer.claim(seq)
        try:
            return self._inner.send_raw(email)
        except SendError as exc:
            if not isinstance(exc, OutcomeUnknownError):
                # SES answered no (throttled, 5xx, refused connection): the row need not stay claimed
                # while the Mailer backs off, so a crash during the wait leaves it pending, not unknown.
                self._writer.release(seq)
            raise

    def max_send_rate(self) -> float:
        """The account's maximum send rate, from the wrapped transport."""
        return self._inner.max_send_rate()

    def close(self) -> None:
        """Nothing to close: the wrapped transport belongs to whoever built it."""


__all__ = ["LedgerTransport", "row_of"]
