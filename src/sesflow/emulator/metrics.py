"""VDM metrics from the stored messages: the ten metrics as daily volumes (and rates) by ISP, email identity,
configuration set or tenant, for ``MetricsDataSource`` exports and ``BatchGetMetricData``.

As VDM documents, only messages to one recipient that is not the mailbox simulator count; bounces caused by
the account suppression list are no PERMANENT_BOUNCE; DELIVERY_COMPLAINT counts deliveries to mailbox
providers with a feedback loop. Every message carries open and click trackers in the emulator, so
DELIVERY_OPEN and DELIVERY_CLICK equal DELIVERY.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sesflow.emulator.messages import MessageView, isp_for
from sesflow.emulator.scope import Scope
from sesflow.emulator.seeding import (
    DELIVERED,
    HARD,
    SOFT,
    SeedBatch,
    domain_table,
    fate,
    mix,
    parse_seeded_id,
)
from sesflow.emulator.simulator import simulator_box
from sesflow.emulator.store import Store

METRICS = (
    "SEND",
    "COMPLAINT",
    "PERMANENT_BOUNCE",
    "TRANSIENT_BOUNCE",
    "OPEN",
    "CLICK",
    "DELIVERY",
    "DELIVERY_OPEN",
    "DELIVERY_CLICK",
    "DELIVERY_COMPLAINT",
)
DIMENSIONS = ("EMAIL_IDENTITY", "CONFIGURATION_SET", "ISP", "TENANT_NAME")
WILDCARD = "*"
_FEEDBACK_LOOP_ISPS = frozenset({"Yahoo", "Hotmail", "AOL", "Comcast"})
_INDEX = {name: i for i, name in enumerate(METRICS)}


def day_of(t: float) -> str:
    """The UTC day of a timestamp, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


# One message as VDM counts it: (send time, ISP, sender, configuration set, a 0/1 per metric).
Counted = tuple[float, str, str, str | None, list[int]]


def counts(view: MessageView, cutoff: float) -> list[int] | None:
    """The message's contribution to each metric (None when VDM does not count it)."""
    if len(view.destinations) != 1 or simulator_box(view.destinations[0]) is not None:
        return None
    seen: set[str] = set()
    for t, kind, _, details in view.events:
        if t > cutoff:
            continue
        if kind == "BOUNCE":
            bounce = (details or {}).get("Bounce", {})
            if bounce.get("BounceType") == "PERMANENT":
                if bounce.get("BounceSubType") != "OnAccountSuppressionList":
                    seen.add("PERMANENT_BOUNCE")
            elif bounce.get("BounceType") == "TRANSIENT":
                seen.add("TRANSIENT_BOUNCE")
        else:
            seen.add(kind)
    if "SEND" not in seen:
        return None
    values = [1 if name in seen else 0 for name in METRICS]
    if "DELIVERY" in seen:
        values[_INDEX["DELIVERY_OPEN"]] = values[_INDEX["DELIVERY_CLICK"]] = 1
        if isp_for(view.destinations[0]) in _FEEDBACK_LOOP_ISPS:
            values[_INDEX["DELIVERY_COMPLAINT"]] = 1
    return values


def _views(views: Iterable[MessageView], cutoff: float) -> Iterator[Counted]:
    for view in views:
        values = counts(view, cutoff)
        if values is not None:
            yield (
                view.sent_at,
                isp_for(view.destinations[0]),
                view.from_address,
                view.configuration_set,
                values,
            )


def _seeded(batch: SeedBatch, lo: int, hi: int, cutoff: float, skip: set[int]) -> Iterator[Counted]:
    """The messages ``lo..hi`` of a seeded batch, counted from their hashes without building views (the
    same ``fate`` as ``SeedBatch.view``: a million messages in seconds rather than a minute)."""
    table = domain_table()
    isps = [isp_for(f"x@{domain}") for domain in table]
    loops = [isp in _FEEDBACK_LOOP_ISPS for isp in isps]
    size, base, times, sender, sets = (
        len(table),
        batch.seed * 0x100000001B3,
        batch.times,
        batch.from_address,
        batch.configuration_sets,
    )
    for index in range(lo, hi):
        if index in skip:
            continue
        h = mix(base + index)
        g = mix(h)
        sent = times[index]
        first, kind, complained, opened, clicked = fate(sent, g)
        reached = first <= cutoff
        delivered = 1 if kind == DELIVERED and reached else 0
        values = [
            1,
            1 if 0 <= complained <= cutoff else 0,
            1 if kind == HARD and reached else 0,
            1 if kind == SOFT and reached else 0,
            1 if 0 <= opened <= cutoff else 0,
            1 if 0 <= clicked <= cutoff else 0,
            delivered,
            delivered,
            delivered,
            delivered if loops[h % size] else 0,
        ]
        yield sent, isps[h % size], sender, sets[(g >> 12) % len(sets)] if sets else None, values


def counted(store: Store, start: float, end: float, scope: Scope, cutoff: float) -> Iterator[Counted]:
    """Every message of ``scope`` sent in [start, end], as VDM counts it, in no particular order."""
    lo, hi = bisect_left(store.live_times, start), bisect_right(store.live_times, end)
    live = (store.live[i] for i in range(lo, hi))
    yield from _views((m.view() for m in live if (m.account, m.region) == scope), cutoff)
    extras: dict[int, set[int]] = {}
    for message_id in store.extra_events:
        located = parse_seeded_id(message_id)
        if located is not None:
            extras.setdefault(located[0], set()).add(located[1])
    for number, batch in enumerate(store.batches):
        if (batch.account, batch.region) != scope:
            continue
        b_lo, b_hi = bisect_left(batch.times, start), bisect_right(batch.times, end)
        skip = {i for i in extras.get(number, set()) if b_lo <= i < b_hi}
        yield from _seeded(batch, b_lo, b_hi, cutoff, skip)
        yield from _views((store.find(batch.message_id(i)) for i in sorted(skip)), cutoff)  # type: ignore[misc]


def dimension_value(name: str, message: Counted, identities: frozenset[str]) -> str | None:
    """A message's value of one dimension (None when it has none, e.g. no configuration set)."""
    if name == "ISP":
        return message[1]
    if name == "CONFIGURATION_SET":
        return message[3]
    if name == "EMAIL_IDENTITY":
        address = message[2]
        return address if address in identities else address.rpartition("@")[2].lower()
    return None


def aggregate(
    messages: Iterable[Counted], dimensions: dict[str, list[str]], identities: frozenset[str]
) -> dict[tuple[int, tuple[str, ...]], list[int]]:
    """Volumes per (UTC day number, dimension values) for the values asked for (``*`` takes every value)."""
    names = list(dimensions)
    wanted = {name: (None if WILDCARD in values else set(values)) for name, values in dimensions.items()}
    totals: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for message in messages:
        combo: list[str] = []
        for name in names:
            value = dimension_value(name, message, identities)
            allowed = wanted[name]
            if value is not None and allowed is not None and value not in allowed:
                value = _domain_match(value, allowed)
            if value is None:
                break
            combo.append(value)
        else:
            key = (int(message[0] // 86_400), tuple(combo))
            bucket = totals.get(key)
            if bucket is None:
                totals[key] = list(message[4])
            else:
                for i, v in enumerate(message[4]):
                    bucket[i] += v
    return totals


def _domain_match(value: str, allowed: set[str]) -> str | None:
    """An EMAIL_IDENTITY asked for as a domain also takes that domain's addresses."""
    domain = value.rpartition("@")[2].lower()
    return domain if "@" in value and domain in allowed else None


def rows(
    totals: dict[tuple[int, tuple[str, ...]], list[int]], names: list[str], metrics: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Export records: one per day and dimension values, a ``NAME_VOLUME`` / ``NAME_RATE`` key per metric."""
    for (day, combo), bucket in sorted(totals.items()):
        record: dict[str, Any] = {"Timestamp": f"{day_of(day * 86_400)}T00:00:00.000Z"}
        record.update(dict(zip(names, combo, strict=True)))
        sends = bucket[0]
        for metric in metrics:
            name, aggregation = metric["Name"], metric.get("Aggregation", "VOLUME")
            volume = bucket[_INDEX[name]]
            if aggregation == "VOLUME":
                record[f"{name}_VOLUME"] = volume
            else:
                record[f"{name}_RATE"] = round(volume / sends, 6) if sends else 0.0
        yield record


def check_dimensions(dimensions: dict[str, list[str]]) -> str | None:
    """Why SES refuses these export dimensions (None when fine): a ``*`` leaves the others one value each."""
    if any(WILDCARD in values for values in dimensions.values()):
        for name, values in dimensions.items():
            if WILDCARD in values and len(values) > 1:
                return f"Dimension {name}: '*' stands alone, not with other values."
            if WILDCARD not in values and len(values) != 1:
                return f"With a '*' dimension, dimension {name} can only have one value."
    return None
