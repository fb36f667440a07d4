"""The numbers a delivery report shows, as frozen values independent of the database they came from.

Counts are per message: a message counts once as delivered when any of its recipients got it, once as
bounced when any bounced, and so on. Rates follow SES's reading of them: delivery and bounce rates are taken
over messages sent, complaint, open and click rates over messages delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class Counts:
    """Outcome counts for one group of messages (a day, an ISP, a tag, a sender, or all of them)."""

    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    opened: int = 0
    clicked: int = 0

    @property
    def delivery_rate(self) -> float:
        """Delivered messages over sent messages (0.0 when nothing was sent)."""
        return _ratio(self.delivered, self.sent)

    @property
    def bounce_rate(self) -> float:
        """Bounced messages over sent messages."""
        return _ratio(self.bounced, self.sent)

    @property
    def complaint_rate(self) -> float:
        """Complained-about messages over delivered messages."""
        return _ratio(self.complained, self.delivered)

    @property
    def open_rate(self) -> float:
        """Opened messages over delivered messages."""
        return _ratio(self.opened, self.delivered)

    @property
    def click_rate(self) -> float:
        """Clicked messages over delivered messages."""
        return _ratio(self.clicked, self.delivered)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            sent=self.sent + other.sent,
            delivered=self.delivered + other.delivered,
            bounced=self.bounced + other.bounced,
            complained=self.complained + other.complained,
            opened=self.opened + other.opened,
            clicked=self.clicked + other.clicked,
        )


@dataclass(frozen=True)
class DayCounts:
    """Outcomes of the messages sent on one UTC day."""

    day: dt.date
    counts: Counts


@dataclass(frozen=True)
class GroupCounts:
    """Outcomes of the messages sharing one value of a dimension (an ISP, a tag ``Name=Value``, a sender)."""

    key: str
    counts: Counts


@dataclass(frozen=True)
class RecipientTrouble:
    """A recipient address with the bounces and complaints it produced."""

    address: str
    bounces: int
    complaints: int
    last_event: dt.datetime | None


@dataclass(frozen=True)
class ReportData:
    """Everything one delivery report shows; equal for equal tables, whatever database held them."""

    source: str
    schema: str
    since: dt.datetime | None
    totals: Counts
    bounces_by_type: tuple[tuple[str, int], ...]
    days: tuple[DayCounts, ...]
    by_isp: tuple[GroupCounts, ...]
    by_tag: tuple[GroupCounts, ...]
    by_from: tuple[GroupCounts, ...]
    recipients: tuple[RecipientTrouble, ...]
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC), compare=False)

    @property
    def first_day(self) -> dt.date | None:
        """The first UTC day with a sent message, or None for an empty report."""
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> dt.date | None:
        """The last UTC day with a sent message, or None for an empty report."""
        return self.days[-1].day if self.days else None
