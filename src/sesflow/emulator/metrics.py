"""VDM metrics from the stored messages: the ten metrics as daily volumes (and rates) by ISP, email identity,
configuration set or tenant, for ``MetricsDataSource`` exports and ``BatchGetMetricData``.

As VDM documents, only messages to one recipient that is not the mailbox simulator count; bounces caused by
the account suppression list are no PERMANENT_BOUNCE; DELIVERY_COMPLAINT counts deliveries to mailbox
providers with a feedback loop. Every message carries open and click trackers in the emulator, so
DELIVERY_OPEN and DELIVERY_CLICK equal DELIVERY.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sesflow.emulator.messages import MessageView, isp_for
from sesflow.emulator.simulator import simulator_box

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


def dimension_value(name: str, view: MessageView, identities: frozenset[str]) -> str | None:
    """A message's value of one dimension (None when it has none, e.g. no configuration set)."""
    if name == "ISP":
        return isp_for(view.destinations[0]) if view.destinations else None
    if name == "CONFIGURATION_SET":
        return view.configuration_set
    if name == "EMAIL_IDENTITY":
        address = view.from_address
        if address in identities:
            return address
        return address.rpartition("@")[2].lower()
    return None


def aggregate(
    views: Iterable[MessageView], dimensions: dict[str, list[str]], cutoff: float, identities: frozenset[str]
) -> dict[tuple[str, tuple[str, ...]], list[int]]:
    """Volumes per (day, dimension values) for the values asked for (``*`` takes every value)."""
    names = list(dimensions)
    wanted = {name: (None if WILDCARD in values else set(values)) for name, values in dimensions.items()}
    totals: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for view in views:
        values = counts(view, cutoff)
        if values is None:
            continue
        combo: list[str] = []
        for name in names:
            value = dimension_value(name, view, identities)
            allowed = wanted[name]
            if value is not None and allowed is not None and value not in allowed:
                value = _domain_match(value, allowed)
            if value is None:
                break
            combo.append(value)
        else:
            key = (day_of(view.sent_at), tuple(combo))
            bucket = totals.get(key)
            if bucket is None:
                totals[key] = list(values)
            else:
                for i, v in enumerate(values):
                    bucket[i] += v
    return totals


def _domain_match(value: str, allowed: set[str]) -> str | None:
    """An EMAIL_IDENTITY asked for as a domain also takes that domain's addresses."""
    domain = value.rpartition("@")[2].lower()
    return domain if "@" in value and domain in allowed else None


def rows(
    totals: dict[tuple[str, tuple[str, ...]], list[int]], names: list[str], metrics: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Export records: one per day and dimension values, a ``NAME_VOLUME`` / ``NAME_RATE`` key per metric."""
    for (day, combo), bucket in sorted(totals.items()):
        record: dict[str, Any] = {"Timestamp": f"{day}T00:00:00.000Z"}
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
