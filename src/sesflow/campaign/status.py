"""Where a campaign stands, as the ledger tells it: ``CampaignStatus``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sesflow.campaign.ledger import ROW_STATES, CampaignRecord, LedgerSession
from sesflow.campaign.workers import bury_dead


@dataclass(frozen=True)
class CampaignStatus:
    """Rows per state, the sending rate over the last minute and the time left at that rate, the workers
    running, and the ``unknown`` rows: how many still wait for their settle time (``reconcile`` cannot yet
    put them back to pending) and when the first of them settles."""

    name: str
    campaign_id: str
    generation: int
    state: str
    created_at: float
    counts: dict[str, int]
    retryable_failed: int
    rate: float
    eta: float | None
    workers: int
    unknown_waiting: int
    settle_at: float | None
    ledger: str

    @property
    def total(self) -> int:
        """Every row of the campaign."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``sesflow campaign status --json``)."""

        def iso(value: float | None) -> str | None:
            return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()

        return {
            "name": self.name,
            "campaign_id": self.campaign_id,
            "generation": self.generation,
            "state": self.state,
            "created_at": iso(self.created_at),
            "total": self.total,
            "counts": dict(self.counts),
            "retryable_failed": self.retryable_failed,
            "rate": round(self.rate, 3),
            "eta_seconds": None if self.eta is None else round(self.eta, 1),
            "workers": self.workers,
            "unknown_waiting_for_settle": self.unknown_waiting,
            "settle_at": iso(self.settle_at),
            "ledger": self.ledger,
        }


def read_status(session: LedgerSession, record: CampaignRecord, settle: float, ledger: str) -> CampaignStatus:
    """The status of ``record`` now. Dead workers are declared dead first, so their rows show as unknown."""
    bury_dead(session, record.id)
    now = time.time()
    counts = session.counts(record.id, now)
    rate = counts.recent_rate
    left = counts["pending"] + counts["sending"]
    unknowns = session.unknowns(record.id)
    waiting = [row for row in unknowns if now < row.attempted_at + settle]
    return CampaignStatus(
        name=record.name,
        campaign_id=record.id,
        generation=record.generation,
        state=record.state,
        created_at=record.created_at,
        counts={state: counts[state] for state in ROW_STATES},
        retryable_failed=counts.retryable_failed,
        rate=rate,
        eta=left / rate if rate > 0 and left else (0.0 if not left else None),
        workers=len(session.running_workers(record.id)),
        unknown_waiting=len(waiting),
        settle_at=min((row.attempted_at + settle for row in waiting), default=None),
        ledger=ledger,
    )


__all__ = ["CampaignStatus", "read_status"]
