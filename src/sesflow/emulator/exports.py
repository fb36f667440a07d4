"""Export jobs' content: validation of a CreateExportJob data source like SES, the records a job selects
(Message Insights: one per message of the job's account and region; metrics: see ``metrics``) and the
file they make (JSON Lines or CSV).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from sesflow.emulator import metrics
from sesflow.emulator.jobs import ExportJob
from sesflow.emulator.messages import Event, MessageView, isp_for, last_events
from sesflow.emulator.scope import Scope
from sesflow.emulator.seeding import parse_time
from sesflow.emulator.store import Store
from sesflow.emulator.wire import ApiError

MAX_RESULTS_CAP = 10_000
SCALAR_COLUMNS = (
    "MessageId",
    "FromEmailAddress",
    "Destination",
    "Subject",
    "Isp",
    "SendTimestamp",
    "LastDeliveryEvent",
    "LastEngagementEvent",
)
_FILTER_KEYS = (
    "FromEmailAddress",
    "Destination",
    "Subject",
    "Isp",
    "TenantName",
    "LastDeliveryEvent",
    "LastEngagementEvent",
)
_DELIVERY_ENUM = {
    "SEND",
    "DELIVERY",
    "TRANSIENT_BOUNCE",
    "PERMANENT_BOUNCE",
    "UNDETERMINED_BOUNCE",
    "COMPLAINT",
}


def iso(t: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _require(body: dict[str, Any], key: str, where: str) -> Any:
    value = body.get(key)
    if value is None:
        raise ApiError("BadRequestException", f"{where}{key} is required.")
    return value


def _filters(value: Any, where: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError("BadRequestException", f"{where} must be an object.")
    out: dict[str, list[str]] = {}
    for key, items in value.items():
        if key not in _FILTER_KEYS:
            raise ApiError("BadRequestException", f"{where}.{key} is not a known filter.")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items) or len(items) > 5:
            raise ApiError("BadRequestException", f"{where}.{key} must be a list of 0 to 5 strings.")
        if key == "LastDeliveryEvent" and not set(items) <= _DELIVERY_ENUM:
            raise ApiError("BadRequestException", f"{where}.LastDeliveryEvent has an unknown event type.")
        if key == "LastEngagementEvent" and not set(items) <= {"OPEN", "CLICK"}:
            raise ApiError("BadRequestException", f"{where}.LastEngagementEvent has an unknown event type.")
        out[key] = items
    return out


def _window(source: dict[str, Any], where: str) -> tuple[float, float]:
    start = parse_time(_require(source, "StartDate", where), f"{where}StartDate")
    end = parse_time(_require(source, "EndDate", where), f"{where}EndDate")
    if start > end:
        raise ApiError("BadRequestException", "StartDate must be before or equal to EndDate.")
    return start, end


def validate_create(body: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """Check a CreateExportJob body like SES; return (ExportSourceType, normalised data source, format)."""
    source = _require(body, "ExportDataSource", "")
    destination = _require(body, "ExportDestination", "")
    if not isinstance(source, dict) or not isinstance(destination, dict):
        raise ApiError("BadRequestException", "ExportDataSource and ExportDestination must be objects.")
    data_format = _require(destination, "DataFormat", "ExportDestination.")
    if data_format not in ("CSV", "JSON"):
        raise ApiError("BadRequestException", f"DataFormat must be CSV or JSON, not {data_format!r}.")
    present = [k for k in ("MetricsDataSource", "MessageInsightsDataSource") if source.get(k) is not None]
    if len(present) != 1:
        raise ApiError(
            "BadRequestException",
            "Exactly one of MetricsDataSource and MessageInsightsDataSource must be given.",
        )
    if present[0] == "MessageInsightsDataSource":
        mi = source["MessageInsightsDataSource"]
        start, end = _window(mi, "MessageInsightsDataSource.")
        normal: dict[str, Any] = {"StartDate": start, "EndDate": end}
        for key in ("Include", "Exclude"):
            filters = _filters(mi.get(key), f"MessageInsightsDataSource.{key}")
            if mi.get(key) is not None:
                normal[key] = filters
        if mi.get("MaxResults") is not None:
            cap = mi["MaxResults"]
            if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= MAX_RESULTS_CAP:
                raise ApiError("BadRequestException", "MaxResults must be between 1 and 10000.")
            normal["MaxResults"] = cap
        return "MESSAGE_INSIGHTS", {"MessageInsightsDataSource": normal}, data_format
    ms = source["MetricsDataSource"]
    start, end = _window(ms, "MetricsDataSource.")
    if ms.get("Namespace") != "VDM":
        raise ApiError("BadRequestException", "MetricsDataSource.Namespace must be VDM.")
    dims = _require(ms, "Dimensions", "MetricsDataSource.")
    if not isinstance(dims, dict) or not 1 <= len(dims) <= 3 or not set(dims) <= set(metrics.DIMENSIONS):
        raise ApiError("BadRequestException", "MetricsDataSource.Dimensions needs 1 to 3 known dimensions.")
    for values in dims.values():
        if not isinstance(values, list) or not 1 <= len(values) <= 10:
            raise ApiError("BadRequestException", "Each dimension needs 1 to 10 values.")
    problem = metrics.check_dimensions(dims)
    if problem is not None:
        raise ApiError("BadRequestException", f"MetricsDataSource.Dimensions: {problem}")
    chosen = _require(ms, "Metrics", "MetricsDataSource.")
    if not isinstance(chosen, list) or not 1 <= len(chosen) <= 10:
        raise ApiError("BadRequestException", "MetricsDataSource.Metrics needs 1 to 10 metrics.")
    for metric in chosen:
        if not isinstance(metric, dict) or metric.get("Name") not in metrics.METRICS:
            raise ApiError("BadRequestException", f"Unknown metric: {metric!r}.")
        if metric.get("Aggregation", "VOLUME") not in ("RATE", "VOLUME"):
            raise ApiError("BadRequestException", "Metric Aggregation must be RATE or VOLUME.")
    normal = {"Namespace": "VDM", "Dimensions": dims, "Metrics": chosen, "StartDate": start, "EndDate": end}
    return "METRICS_DATA", {"MetricsDataSource": normal}, data_format


def echo_source(job: ExportJob) -> dict[str, Any]:
    """The data source as GetExportJob returns it (timestamps as epoch seconds)."""
    return job.data_source


# --- Message Insights records -------------------------------------------------------------------------


def message_record(view: MessageView, events: list[Event]) -> dict[str, Any]:
    """One exported record (keys as the contract in DESIGN.md says)."""
    delivery, engagement = last_events(events)
    return {
        "MessageId": view.message_id,
        "FromEmailAddress": view.from_address,
        "Destination": ", ".join(view.destinations),
        "Subject": view.subject,
        "Isp": isp_for(view.destinations[0]) if view.destinations else "Other",
        "SendTimestamp": iso(view.sent_at),
        "LastDeliveryEvent": delivery,
        "LastEngagementEvent": engagement,
        "EmailTags": [{"Name": k, "Value": v} for k, v in view.tags],
        "Events": [
            {"Timestamp": iso(t), "Type": kind, "Details": details, "Destination": dest}
            for t, kind, dest, details in events
        ],
    }


def _matches(filters: dict[str, list[str]], record: dict[str, Any], view: MessageView) -> bool:
    """True if the record matches any value of every given filter (an empty filter matches all)."""
    for key, values in filters.items():
        if not values:
            continue
        if key == "Destination":
            wanted = {v.lower() for v in values}
            if not any(d.lower() in wanted for d in view.destinations):
                return False
        elif key in ("FromEmailAddress", "Isp"):
            if str(record[key]).lower() not in {v.lower() for v in values}:
                return False
        elif key == "TenantName" or record.get(key) not in values:
            return False
    return True


def _excluded(filters: dict[str, list[str]], record: dict[str, Any], view: MessageView) -> bool:
    return any(values and _matches({key: values}, record, view) for key, values in filters.items())


def message_records(job: ExportJob, store: Store) -> Iterator[dict[str, Any]]:
    """Every record the job selects, in send-time order, before the MaxResults cut."""
    source = job.data_source["MessageInsightsDataSource"]
    include, exclude = source.get("Include", {}), source.get("Exclude", {})
    cutoff = job.created_at
    end = min(source["EndDate"], cutoff)
    for view in store.window(source["StartDate"] - job.reach_back, end, Scope(job.account, job.region)):
        events = [e for e in view.events if e[0] <= cutoff]
        record = message_record(view, events)
        if include and not _matches(include, record, view):
            continue
        if exclude and _excluded(exclude, record, view):
            continue
        yield record


def statistics(job: ExportJob, store: Store) -> tuple[int, int]:
    """(ProcessedRecordsCount, ExportedRecordsCount) of a completed job."""
    if job.source_type == "METRICS_DATA":
        count = sum(1 for _ in metrics_records(job, store))
        return count, count
    source = job.data_source["MessageInsightsDataSource"]
    cap = source.get("MaxResults", MAX_RESULTS_CAP)
    if source.get("Include") or source.get("Exclude"):
        processed = sum(1 for _ in message_records(job, store))
    else:
        processed = store.count_window(
            source["StartDate"] - job.reach_back,
            min(source["EndDate"], job.created_at),
            Scope(job.account, job.region),
        )
    exported = min(processed, cap)
    return processed, exported + 1 if job.repeat_first and exported else exported


def records(job: ExportJob, store: Store) -> Iterator[dict[str, Any]]:
    """The records of the export file (after the MaxResults cut)."""
    if job.source_type == "METRICS_DATA":
        return metrics_records(job, store)
    cap = job.data_source["MessageInsightsDataSource"].get("MaxResults", MAX_RESULTS_CAP)
    selected = itertools.islice(message_records(job, store), cap)
    if not job.repeat_first:
        return selected
    first = next(selected, None)
    return selected if first is None else itertools.chain([first], selected, [first])


# --- metrics ------------------------------------------------------------------------------------------


def metrics_records(job: ExportJob, store: Store) -> Iterator[dict[str, Any]]:
    """Daily aggregates: one record per day and dimension-value combination, one key per metric."""
    source = job.data_source["MetricsDataSource"]
    dims: dict[str, list[str]] = source["Dimensions"]
    if job.rows is None:  # computed once: the statistics and the download read the same rows
        end = min(source["EndDate"], job.created_at)
        scope = Scope(job.account, job.region)
        messages = metrics.counted(store, source["StartDate"], end, scope, job.created_at)
        identities = frozenset(job.extra.get("identities", ()))
        totals = metrics.aggregate(messages, dims, identities)
        job.rows = list(metrics.rows(totals, list(dims), source["Metrics"]))
    return iter(job.rows)


# --- file rendering -----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else value


def render_chunks(
    data_format: str, rows: Iterator[dict[str, Any]], rows_per_chunk: int = 500
) -> Iterator[bytes]:
    """The export file in chunks: JSON Lines, or CSV with EmailTags/Events as JSON text."""
    if data_format == "JSON":
        while True:
            batch = list(itertools.islice(rows, rows_per_chunk))
            if not batch:
                return
            yield b"".join(orjson.dumps(r) + b"\n" for r in batch)
    first = next(rows, None)
    if first is None:
        yield (",".join((*SCALAR_COLUMNS, "EmailTags", "Events")) + "\r\n").encode()
        return
    columns = list(first)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    pending = itertools.chain([first], rows)
    while True:
        batch = list(itertools.islice(pending, rows_per_chunk))
        if not batch:
            break
        for row in batch:
            writer.writerow([_cell(row[c]) for c in columns])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest.encode()
