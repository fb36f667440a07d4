"""The values the ledger stores and hands out: a campaign, one recipient's row, one send's outcome, counts.

A recipient's row moves ``pending -> sending -> sent | failed | unknown`` (``skipped`` for rows refused by
validation). A ``pending`` row with a ``worker`` is reserved by that worker (prefetched, not yet sent); a
``sending`` row is claimed: its request may be on the wire, which is why a worker's death turns it into
``unknown`` and never back into ``pending`` without proof from SES (``reconcile``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RowState = Literal["pending", "sending", "sent", "failed", "unknown", "skipped"]
ROW_STATES: tuple[RowState, ...] = ("pending", "sending", "sent", "failed", "unknown", "skipped")
CampaignState = Literal["active", "cancelled", "superseded"]


@dataclass(frozen=True)
class CampaignRecord:
    """One campaign in the ledger: ``id`` (12 hex digits, part of every ledger id), its ``name`` and
    ``generation`` (``--new`` starts the next one), the content fingerprint, the stored content and the
    settings of the last run (JSON text), ``state`` and the number of rows."""

    id: str
    name: str
    generation: int
    fingerprint: str
    content: str
    settings: str
    state: CampaignState
    total: int
    created_at: float


@dataclass(frozen=True)
class LedgerRow:
    """A reserved row, as a worker needs it to render and send."""

    seq: int
    email: str
    vars: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one row's send: the new ``state`` and what goes with it."""

    seq: int
    state: Literal["sent", "failed", "unknown"]
    at: float
    ses_message_id: str | None = None
    error_code: str | None = None
    reason: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class UnknownRow:
    """An ``unknown`` row as reconcile needs it: when it was first and last attempted."""

    seq: int
    email: str
    first_attempt_at: float
    attempted_at: float


@dataclass(frozen=True)
class LedgerCounts:
    """Rows per state, retryable failures, sends finished in the last minute and when the last one did."""

    by_state: dict[str, int] = field(default_factory=dict)
    retryable_failed: int = 0
    finished_last_minute: int = 0
    first_finished_last_minute: float | None = None
    last_finished_last_minute: float | None = None

    @property
    def recent_rate(self) -> float:
        """Sends finished per second over the last minute (0.0 with fewer than two)."""
        first, last = self.first_finished_last_minute, self.last_finished_last_minute
        if self.finished_last_minute < 2 or first is None or last is None or last <= first:
            return 0.0
        return (self.finished_last_minute - 1) / (last - first)

    def __getitem__(self, state: str) -> int:
        return self.by_state.get(state, 0)

    @property
    def total(self) -> int:
        """Every row of the campaign."""
        return sum(self.by_state.values())

    def to_dict(self) -> dict[str, Any]:
        """Counts per state (every state present, zero included)."""
        return {state: self[state] for state in ROW_STATES}


__all__ = [
    "ROW_STATES",
    "CampaignRecord",
    "CampaignState",
    "LedgerCounts",
    "LedgerRow",
    "Outcome",
    "RowState",
    "UnknownRow",
]
