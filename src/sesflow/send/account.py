"""The account's limits, read from SES once when a limiter is told ``"auto"`` (``rate="auto"``,
``daily_quota="auto"``).

One GetAccount (v1: GetSendQuota) call, on first use, cached for the life of the limiter. When SES refuses
the call (credentials allowed to send but not to read the account: ``ses:GetAccount`` missing), sending
still works: the rate starts with no ceiling and learns from SES's throttling answers alone, and the daily
quota is left to SES; a warning on the ``sesflow`` logger says so once.
"""

from __future__ import annotations

import logging
import math
import threading

from sesflow.errors import AuthError, LimiterUnavailableError, SendError
from sesflow.send.transport import SendQuota, SESAccount

_log = logging.getLogger("sesflow")

UNKNOWN = SendQuota(max_send_rate=math.inf, max_24h_send=None)
"""What "auto" means when SES would not tell: no ceiling known, no daily quota known."""


class AutoQuota:
    """The account's SendQuota, asked of ``account`` once, on the first ``get()``. Thread-safe."""

    def __init__(self, account: SESAccount) -> None:
        self._account = account
        self._lock = threading.Lock()
        self._quota: SendQuota | None = None

    def get(self) -> SendQuota:
        """The cached quota; the first call asks SES (raising its SendError if SES cannot be reached)."""
        quota = self._quota
        if quota is not None:
            return quota
        with self._lock:
            if self._quota is None:
                self._quota = self._ask()
            return self._quota

    def _ask(self) -> SendQuota:
        try:
            quota = self._account.send_quota()
        except AuthError as error:
            _log.warning(
                "sesflow: SES refused to tell the account's sending quota (%s); the rate will be learned "
                "from SES's throttling answers. Allow ses:GetAccount (v1: ses:GetSendQuota), or pass rate=.",
                error.code or error.message,
            )
            return UNKNOWN
        except SendError as error:
            # Asking again is always safe (a read): retryable, whatever the send-side class would say.
            raise LimiterUnavailableError(
                f"cannot read the account's sending quota from SES: {error.message}",
                code=error.code,
                status=error.status,
                hint="Nothing was sent. Or pass rate=N (recipients per second) instead of 'auto'.",
            ) from error
        if not quota.max_send_rate > 0:
            # A sandboxed or paused account can report 0: sending would fail anyway; let SES say why.
            return SendQuota(math.inf, quota.max_24h_send, quota.sent_last_24h)
        return quota


__all__ = ["UNKNOWN", "AutoQuota"]
