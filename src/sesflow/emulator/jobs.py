"""Export and import jobs as values: their source, their clock-driven state and, once final, their numbers.

A job's state is a function of the clock (no background work): CREATED for the first quarter of its
delay, PROCESSING until the delay is over, then COMPLETED (or FAILED, or CANCELLED when cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sesflow.emulator.scope import DEFAULT_ACCOUNT

FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED")


@dataclass(slots=True)
class ExportJob:
    """One export job. Its state is a function of the clock; final numbers are fixed when first seen."""

    job_id: str
    source_type: str
    data_source: dict[str, Any]
    data_format: str
    created_at: float
    delay: float
    failure: str | None = None
    reach_back: float = 0.0  # injected: the job also selects this many seconds before its StartDate
    repeat_first: bool = False  # injected: the file lists its first record twice
    cancelled_at: float | None = None
    processed: int | None = None
    exported: int | None = None
    account: str = DEFAULT_ACCOUNT
    region: str = "us-east-1"
    extra: dict[str, Any] = field(default_factory=dict)  # identities/config sets known at creation
    rows: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)  # metrics, not saved

    def status(self, now: float) -> str:
        """CREATED, PROCESSING, COMPLETED, FAILED or CANCELLED at ``now``."""
        if self.cancelled_at is not None:
            return "CANCELLED"
        elapsed = now - self.created_at
        if elapsed >= self.delay:
            return "FAILED" if self.failure else "COMPLETED"
        return "CREATED" if elapsed < self.delay * 0.25 else "PROCESSING"

    def completed_at(self, now: float) -> float | None:
        """When the job reached a final state, or None while it runs."""
        if self.cancelled_at is not None:
            return self.cancelled_at
        return self.created_at + self.delay if now - self.created_at >= self.delay else None
