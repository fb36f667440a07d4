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

import asyncio
from collections.abc import Mapping
from typing import Any

from sesflow.campaign.render import parse_ledger_id
from sesflow.campaign.writer import LedgerWriter
from sesflow.errors import ClaimRefusedError, ConfigError, OutcomeUnknownError, SendError
from sesflow.send import RawEmail, SendQuota, SESAccount, SESEndpoint, Transport


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

    def _claim(self, email: RawEmail) -> int:
        seq = row_of(email.options)
        if seq is None:
            raise ClaimRefusedError("the message carries no sesflow_id tag")
        self._writer.claim(seq)
        return seq

    def _refused(self, seq: int, exc: SendError) -> None:
        if not isinstance(exc, OutcomeUnknownError | ClaimRefusedError):
            # SES answered no (throttled, 5xx, refused connection): the row need not stay claimed while
            # the Mailer backs off, so a crash during the wait leaves it pending, not unknown.
            self._writer.release(seq)

    def send_raw(self, email: RawEmail) -> str:
        """Claim the row (durably), then send; ClaimRefusedError means nothing was sent."""
        seq = self._claim(email)
        try:
            return self._inner.send_raw(email)
        except SendError as exc:
            self._refused(seq, exc)
            raise

    async def asend_raw(self, email: RawEmail) -> str:
        """Async twin of ``send_raw`` (the claim waits on a worker thread)."""
        seq = await asyncio.to_thread(self._claim, email)
        try:
            return await self._inner.asend_raw(email)
        except SendError as exc:
            self._refused(seq, exc)
            raise

    def close(self) -> None:
        """Nothing to close: the wrapped transport belongs to whoever built it."""

    async def aclose(self) -> None:
        """Nothing to close (see ``close``)."""


class SESLedgerTransport(LedgerTransport):
    """A ``LedgerTransport`` around a transport that sends to SES: it shows the Mailer the same region,
    API, request timeout and account quota, so checks, message ids and ``rate="auto"`` are the same."""

    def __init__(self, inner: Transport, writer: LedgerWriter) -> None:
        super().__init__(inner, writer)
        assert isinstance(inner, SESEndpoint)
        self._endpoint: SESEndpoint = inner

    @property
    def region(self) -> str:
        """The wrapped transport's region."""
        return self._endpoint.region

    @property
    def api(self) -> str:
        """The wrapped transport's API."""
        return self._endpoint.api

    @property
    def request_timeout(self) -> float:
        """The wrapped transport's longest request."""
        return self._endpoint.request_timeout

    def send_quota(self) -> SendQuota:
        """The account's limits, asked through the wrapped transport."""
        if not isinstance(self._inner, SESAccount):
            raise ConfigError(
                f"{type(self._inner).__name__} cannot ask SES for the account's rate",
                hint="Give the campaign a rate (a number of recipients per second).",
            )
        return self._inner.send_quota()


def ledger_transport(inner: Transport, writer: LedgerWriter) -> LedgerTransport:
    """The claiming transport for ``inner`` (with its SES faces when it has them)."""
    if isinstance(inner, SESEndpoint):
        return SESLedgerTransport(inner, writer)
    return LedgerTransport(inner, writer)


__all__ = ["LedgerTransport", "SESLedgerTransport", "ledger_transport", "row_of"]
