"""Seeded history: millions of synthetic messages kept as one sorted array of send times per batch.

Everything else about a seeded message (recipient, subject, outcome, event times) is derived on demand
from a 64-bit hash of (batch seed, index), so seeding a million messages costs one array of floats, and a
seeded message id encodes its batch and index so GetMessageInsights finds it without an index.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sesflow.emulator.messages import Event, MessageView
from sesflow.emulator.scope import DEFAULT_ACCOUNT
from sesflow.emulator.simulator import COMPLAINT, HARD_BOUNCE, SOFT_BOUNCE
from sesflow.emulator.wire import ApiError

_MASK = (1 << 64) - 1
_DOMAINS = (
    ("gmail.com", 40),
    ("yahoo.com", 14),
    ("outlook.com", 12),
    ("hotmail.com", 5),
    ("icloud.com", 10),
    ("aol.com", 3),
    ("example.com", 16),
)
_DOMAIN_TABLE = tuple(d for d, weight in _DOMAINS for _ in range(weight))
_SUBJECTS = (
    "Your receipt",
    "Welcome aboard",
    "Reset your password",
    "Weekly digest",
    "Your order has shipped",
    "We miss you",
    "Invitation: planning meeting",
    "Security alert",
)
_SEED_MARK = "5eed"


def mix(value: int) -> int:
    """SplitMix64 finaliser: a well-spread 64-bit hash of an integer."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


HARD, SOFT, DELIVERED = 0, 1, 2


def fate(sent: float, g: int) -> tuple[float, int, float, float, float]:
    """What happens to a seeded message: (time of its bounce or delivery, HARD/SOFT/DELIVERED, complaint
    time, open time, click time), -1 for what does not happen. 2 % hard bounces, 1 % soft, 0.3 %
    complaints, about a third of the delivered opened and a quarter of those clicked."""
    outcome = g % 10_000
    first = sent + 0.5 + ((g >> 16) % 4000) / 1000.0
    if outcome < 200:
        return first, HARD, -1.0, -1.0, -1.0
    if outcome < 300:
        return first, SOFT, -1.0, -1.0, -1.0
    if outcome < 330:
        return first, DELIVERED, first + 60 + (g >> 24) % 7200, -1.0, -1.0
    if (g >> 40) % 100 < 35:
        opened = first + 30 + (g >> 28) % 86_400
        clicked = opened + 2 + (g >> 20) % 900 if (g >> 48) % 100 < 25 else -1.0
        return first, DELIVERED, -1.0, opened, clicked
    return first, DELIVERED, -1.0, -1.0, -1.0


def domain_table() -> tuple[str, ...]:
    """The recipient domains of seeded mail, weighted by repetition (index = hash % length)."""
    return _DOMAIN_TABLE


@dataclass(slots=True)
class SeedBatch:
    """One ``seed`` call: its parameters and the sorted send times of its messages."""

    number: int
    seed: int
    times: array  # type: ignore[type-arg]
    from_address: str = "news@example.com"
    tags: dict[str, str] = field(default_factory=dict)
    account: str = DEFAULT_ACCOUNT
    region: str = "us-east-1"
    configuration_sets: tuple[str, ...] = ()  # each message uses one of these (chosen by its hash)

    def message_id(self, index: int) -> str:
        """The SES-style id of message ``index`` (batch and index encoded in the UUID part)."""
        millis = int(self.times[index] * 1000)
        unique = f"{self.number:08x}-{_SEED_MARK}-{self.seed & 0xFFFF:04x}-8000-{index:012x}"
        return f"0100{millis:012x}-{unique}-000000"

    def destination(self, index: int) -> str:
        """The recipient of message ``index``."""
        h = mix(self.seed * 0x100000001B3 + index)
        return f"user{(h >> 8) % 500_000}@{_DOMAIN_TABLE[h % len(_DOMAIN_TABLE)]}"

    def view(self, index: int) -> MessageView:
        """Message ``index`` with its derived fields and events."""
        h = mix(self.seed * 0x100000001B3 + index)
        g = mix(h)
        destination = f"user{(h >> 8) % 500_000}@{_DOMAIN_TABLE[h % len(_DOMAIN_TABLE)]}"
        sent = self.times[index]
        events: list[Event] = [(sent, "SEND", destination, None)]
        first, outcome, complained, opened, clicked = fate(sent, g)
        if outcome == HARD:
            events.append((first, "BOUNCE", destination, HARD_BOUNCE))
        elif outcome == SOFT:
            events.append((first, "BOUNCE", destination, SOFT_BOUNCE))
        else:
            events.append((first, "DELIVERY", destination, None))
            if complained >= 0:
                events.append((complained, "COMPLAINT", destination, COMPLAINT))
            if opened >= 0:
                events.append((opened, "OPEN", destination, None))
            if clicked >= 0:
                events.append((clicked, "CLICK", destination, None))
        tags = [(k, v) for k, v in self.tags.items()] or [("campaign", f"c{(g >> 52) % 20}")]
        sets = self.configuration_sets
        return MessageView(
            self.message_id(index),
            sent,
            self.from_address,
            (destination,),
            _SUBJECTS[(g >> 33) % len(_SUBJECTS)],
            tags,
            events,
            True,
            sets[(g >> 12) % len(sets)] if sets else None,
            None,
            self.account,
            self.region,
        )

    def suppressions(self, until: float) -> dict[str, tuple[str, float, str, str]]:
        """The account suppression list this history leaves: address -> (reason, when, MessageId,
        FeedbackId) for every hard bounce and complaint that happened by ``until`` (the latest one wins).

        The same arithmetic as ``view``, without building views: a million messages take a few seconds.
        """
        found: dict[str, tuple[str, float, str, str]] = {}
        base = self.seed * 0x100000001B3
        times = self.times
        table, domains = _DOMAIN_TABLE, len(_DOMAIN_TABLE)
        for index in range(len(times)):
            h = mix(base + index)
            g = mix(h)
            outcome = g % 10_000
            if outcome >= 330 or 200 <= outcome < 300:
                continue
            first, kind, complained, _, _ = fate(times[index], g)
            reason, when = ("BOUNCE", first) if kind == HARD else ("COMPLAINT", complained)
            if when > until:
                continue
            address = f"user{(h >> 8) % 500_000}@{table[h % domains]}"
            known = found.get(address)
            if known is None or known[1] < when:
                message_id = self.message_id(index)
                found[address] = (reason, when, message_id, f"{message_id[:-7]}-feedback")
        return found


def parse_seeded_id(message_id: str) -> tuple[int, int] | None:
    """(batch number, index) encoded in a seeded message id, or None for other ids."""
    parts = message_id.split("-")
    if len(parts) != 7 or parts[2] != _SEED_MARK:
        return None
    try:
        return int(parts[1], 16), int(parts[5], 16)
    except ValueError:
        return None


def parse_time(value: object, name: str) -> float:
    """An ISO 8601 timestamp (or epoch number) from a seed request; naive times are UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ApiError("BadRequestException", f"'{name}' must be an ISO 8601 timestamp.")
    try:
        return float(value)  # epoch seconds given as text (query strings)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("BadRequestException", f"'{name}' is not an ISO 8601 timestamp: {value!r}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def make_batch(
    number: int,
    count: int | None,
    start: float,
    end: float,
    seed: int,
    per_day: int | None = None,
    from_address: str | None = None,
    tags: dict[str, str] | None = None,
    account: str = DEFAULT_ACCOUNT,
    region: str = "us-east-1",
    configuration_sets: tuple[str, ...] = (),
) -> SeedBatch:
    """Draw the send times of a new batch (uniform over [start, end], sorted)."""
    if end < start:
        raise ApiError("BadRequestException", "'end' must not be before 'start'.")
    if per_day is not None:
        count = round(per_day * max(end - start, 1.0) / 86_400)
    if count is None or count < 0:
        raise ApiError("BadRequestException", "Give 'count' (>= 0) or 'per_day'.")
    rng = random.Random(seed)
    # Send times have millisecond precision, like the timestamps SES reports.
    start_ms, span_ms = round(start * 1000), round((end - start) * 1000)
    draw = rng.random
    times = array("d", [ms / 1000 for ms in sorted([start_ms + int(span_ms * draw()) for _ in range(count)])])
    return SeedBatch(
        number,
        seed,
        times,
        from_address or "news@example.com",
        dict(tags or {}),
        account,
        region,
        configuration_sets,
    )
