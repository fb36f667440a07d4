"""The ``ses_metrics`` stream: daily VOLUME of the ten VDM metrics, from ``MetricsDataSource`` export jobs.

One export job per dimension (ISP, email identity, configuration set; all values by the ``*`` wildcard),
each asking for the VOLUME of every metric. Rows are long: one per (day, dimension, dimension value,
metric). The cursor is the day, with a lookback in days (dlt's ``lag``), because VDM revises recent days.

AWS documents the request but not the keys inside the exported file, so the reader, like the Message
Insights one, matches keys after lowercasing and dropping non-alphanumerics, and takes both a wide file (one
record per day and dimension value, a ``SEND_VOLUME``-style key per metric) and a long one (``metric`` and
``volume`` keys).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import dlt
import pyarrow as pa

from sesflow.errors import ConfigError, DownloadError
from sesflow.source.api import LOG, Api, OnDenied, denial_guard
from sesflow.source.exports import CreateGate, ExportClient, ExportSettings
from sesflow.source.records import DataFormat, iter_records, normalise_key
from sesflow.source.windows import floor_second

METRICS: tuple[str, ...] = (
    "SEND",
    "DELIVERY",
    "PERMANENT_BOUNCE",
    "TRANSIENT_BOUNCE",
    "COMPLAINT",
    "OPEN",
    "CLICK",
    "DELIVERY_OPEN",
    "DELIVERY_CLICK",
    "DELIVERY_COMPLAINT",
)
DIMENSIONS: tuple[str, ...] = ("ISP", "EMAIL_IDENTITY", "CONFIGURATION_SET", "TENANT_NAME")
DEFAULT_DIMENSIONS: tuple[str, ...] = ("ISP", "EMAIL_IDENTITY", "CONFIGURATION_SET")
METRICS_SCHEMA = pa.schema(
    [
        pa.field("day", pa.date32(), nullable=False),
        pa.field("dimension", pa.string(), nullable=False),
        pa.field("dimension_value", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("volume", pa.int64()),
    ]
)
PRIMARY_KEY = ("day", "dimension", "dimension_value", "metric")
_WIDE_KEYS = {normalise_key(f"{metric}_VOLUME"): metric for metric in METRICS}
_DAY_KEYS = ("timestamp", "date", "day", "time")
VDM_SETTING = "VdmAttributes.VdmEnabled"


def check_dimensions(names: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The VDM dimensions asked for (a list, or one comma-separated text); unknown names are a ConfigError."""
    if names is None:
        return DEFAULT_DIMENSIONS
    items = names.split(",") if isinstance(names, str) else list(names)
    out: list[str] = []
    for item in items:
        name = str(item).strip().upper().replace("-", "_")
        if name not in DIMENSIONS:
            raise ConfigError(
                f"metrics_dimensions: {str(item).strip()!r} is not a VDM metrics dimension",
                hint=f"Use {', '.join(DIMENSIONS)}.",
            )
        if name not in out:
            out.append(name)
    if not out:
        raise ConfigError("metrics_dimensions: no dimension given", hint=f"Use {', '.join(DIMENSIONS)}.")
    return tuple(out)


def parse_metrics(data: bytes, data_format: DataFormat | None, dimension: str) -> pa.Table:
    """One metrics export file -> rows of ``METRICS_SCHEMA`` for ``dimension``."""
    columns: dict[str, list[Any]] = {name: [] for name in METRICS_SCHEMA.names}
    dimension_key = normalise_key(dimension)
    for number, record in enumerate(iter_records(data, data_format), start=1):
        fields = {normalise_key(key): value for key, value in record.items()}
        day = _day(fields, number)
        value = fields.get(dimension_key, fields.get("dimensionvalue"))
        value = "" if value is None else str(value)  # SES may report a day with no value; keys are not null
        metric = fields.get("metric", fields.get("metricname"))
        pairs: list[tuple[str, Any]]
        if metric is not None:
            pairs = [(str(metric).upper(), fields.get("volume", fields.get("value")))]
        else:
            pairs = [(name, fields[key]) for key, name in _WIDE_KEYS.items() if key in fields]
        for name, volume in pairs:
            columns["day"].append(day)
            columns["dimension"].append(dimension)
            columns["dimension_value"].append(value)
            columns["metric"].append(name)
            columns["volume"].append(_count(volume))
    return pa.Table.from_pydict(columns, schema=METRICS_SCHEMA)


def _day(fields: Mapping[str, Any], number: int) -> date:
    for key in _DAY_KEYS:
        text = fields.get(key)
        if text:
            try:
                moment = datetime.fromisoformat(str(text).strip())
            except ValueError:
                raise DownloadError(
                    f"record {number} of the metrics export has a day sesflow cannot read: {text!r}"
                ) from None
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
            return moment.date()
    raise DownloadError(
        f"record {number} of the metrics export has no timestamp (keys: {', '.join(sorted(fields))})"
    )


def _count(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(float(value))


@dataclass(frozen=True)
class MetricsExports:
    """How the metrics exports run."""

    client: Any
    settings: ExportSettings
    anchor: date
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS
    gate: CreateGate | None = None
    on_denied: OnDenied = "skip"


def vdm_enabled(api: Api) -> tuple[bool, str]:
    """(whether VDM is on, the account's ``VdmAttributes.VdmEnabled`` value) from GetAccount."""
    account = api.call("GetAccount") or {}
    setting = str((account.get("VdmAttributes") or {}).get("VdmEnabled") or "DISABLED")
    return setting == "ENABLED", setting


def metric_exports(
    exports: MetricsExports,
    day: dlt.sources.incremental[date] = dlt.sources.incremental("day", primary_key=()),
) -> Iterator[pa.Table]:
    """Daily metric volumes from the cursor's day (the anchor on a first run) up to now."""
    with denial_guard("ses_metrics", exports.on_denied):
        enabled, setting = vdm_enabled(Api(exports.client))
        if not enabled:
            LOG.warning(
                "ses_metrics: Virtual Deliverability Manager is not enabled for this account "
                "(%s is %s), so SES has no metrics to export; enable it in the SES console or with "
                "`aws sesv2 put-account-vdm-attributes --vdm-attributes VdmEnabled=ENABLED`. "
                "The other streams go on.",
                VDM_SETTING,
                setting,
            )
            return
        first = day.start_value if isinstance(day.start_value, date) else exports.anchor
        start = datetime.combine(first, time(), UTC)
        end = floor_second(datetime.now(UTC))
        if start >= end:
            return
        yield from _export_all(exports, start, end)


def _export_all(exports: MetricsExports, start: datetime, end: datetime) -> Iterator[pa.Table]:
    exporter = ExportClient(
        exports.client, exports.settings, gate=exports.gate, max_jobs=len(exports.dimensions)
    )
    pool = ThreadPoolExecutor(max_workers=len(exports.dimensions), thread_name_prefix="sesflow-metrics")
    try:
        futures = [
            pool.submit(_export_one, exporter, dimension, start, end) for dimension in exports.dimensions
        ]
        for future in futures:
            table = future.result()
            if table.num_rows:
                yield table
    finally:
        exporter.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        exporter.close()


def _export_one(exporter: ExportClient, dimension: str, start: datetime, end: datetime) -> pa.Table:
    source = {
        "Namespace": "VDM",
        "Dimensions": {dimension: ["*"]},
        "Metrics": [{"Name": metric, "Aggregation": "VOLUME"} for metric in METRICS],
        "StartDate": start,
        "EndDate": end,
    }
    what = f"VDM metrics by {dimension} from {start.date().isoformat()}"
    data = exporter.export_metrics(what, source)
    return parse_metrics(data, exporter.settings.data_format, dimension)


__all__ = [
    "DEFAULT_DIMENSIONS",
    "DIMENSIONS",
    "METRICS",
    "METRICS_SCHEMA",
    "MetricsExports",
    "check_dimensions",
    "metric_exports",
    "parse_metrics",
    "vdm_enabled",
]
