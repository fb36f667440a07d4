"""The Message Insights export record: bytes of an export file -> two Arrow tables.

AWS documents the export API but not the exact keys inside the file, so the parser does not depend on their
spelling: every key is lowercased and stripped of non-alphanumerics (``MessageId``, ``message_id`` and
``Message ID`` are all ``messageid``). JSON Lines, a JSON array and CSV (nested fields as JSON text) are read.
Unknown keys are kept as columns, and the whole original record is kept as JSON text in ``_raw``.

``ses_emails``: one row per message, primary key ``messageid``.
``ses_email_events``: one row per event, primary key ``messageid`` + ``position`` (the index in time order).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from sesflow.errors import DownloadError

DataFormat = Literal["JSON", "CSV"]

TIMESTAMP = pa.timestamp("us", tz="UTC")

# The key columns are NOT NULL, as dlt makes primary keys; other columns are nullable.
EMAIL_SCHEMA = pa.schema(
    [
        pa.field("messageid", pa.string(), nullable=False),
        pa.field("fromemailaddress", pa.string()),
        pa.field("destination", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("isp", pa.string()),
        pa.field("sendtimestamp", TIMESTAMP),
        pa.field("lastdeliveryevent", pa.string()),
        pa.field("lastengagementevent", pa.string()),
        pa.field("emailtags", pa.string()),
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        pa.field("messageid", pa.string(), nullable=False),
        pa.field("position", pa.int64(), nullable=False),
        pa.field("timestamp", TIMESTAMP),
        pa.field("type", pa.string()),
        pa.field("destination", pa.string()),
        pa.field("details", pa.string()),
    ]
)
RAW_COLUMN = "_raw"
_KNOWN = frozenset(EMAIL_SCHEMA.names) | {"events"}
_NESTED = frozenset({"emailtags", "events"})
_SPECIAL = frozenset({"sendtimestamp", "emailtags", "destination"})
_NON_ALNUM = re.compile(r"[^0-9a-z]")
_KEY_CACHE: dict[str, str] = {}


def normalise_key(key: str) -> str:
    """The column name for an export key: lowercased, every non-alphanumeric character dropped."""
    return _NON_ALNUM.sub("", key.lower())


def _cache_key(key: str) -> str:
    normal = normalise_key(key)
    if len(_KEY_CACHE) < 10_000:  # keys are few; the bound only guards against a pathological file
        _KEY_CACHE[key] = normal
    return normal


@dataclass(frozen=True)
class ExportTables:
    """The two tables parsed from one export file."""

    emails: pa.Table
    events: pa.Table

    @property
    def rows(self) -> int:
        """Number of messages (rows of ``emails``)."""
        return int(self.emails.num_rows)


def parse_export(data: bytes, data_format: DataFormat | None = None) -> ExportTables:
    """Parse one export file. ``data_format`` None guesses: ``[`` or ``{`` first means JSON, else CSV."""
    text = data.lstrip()
    if data_format == "CSV" or (data_format is None and text[:1] not in (b"[", b"{", b"")):
        return build_tables(_csv_records(data))
    return build_tables(_json_records(text))


def iter_records(data: bytes, data_format: DataFormat | None = None) -> Iterator[Mapping[str, Any]]:
    """The records of an export file (JSON Lines, a JSON array or CSV), keys as the file spells them."""
    text = data.lstrip()
    if data_format == "CSV" or (data_format is None and text[:1] not in (b"[", b"{", b"")):
        return (record for record, _ in _csv_records(data))
    return (record for record, _ in _json_records(text))


def unique_messages(tables: ExportTables) -> ExportTables:
    """``tables`` with one row per message: of repeated records the last one wins (its events too).

    An export should list a message once; when one does not, a merge told that the staged rows are already
    unique (see ``ses_source(deduplicated=True)``) must still get one row per key.
    """
    emails, events = tables.emails, tables.events
    if pc.count_distinct(emails["messageid"]).as_py() == emails.num_rows:
        return tables
    return ExportTables(
        emails=_last_per_key(emails, ["messageid"]),
        events=_last_per_key(events, ["messageid", "position"]),
    )


def _last_per_key(table: pa.Table, keys: list[str]) -> pa.Table:
    numbered = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by(keys, use_threads=False).aggregate([("__row", "max")])["__row_max"]
    return table.take(pc.take(last, pc.sort_indices(last)))  # the kept rows, in their order


def empty_tables() -> ExportTables:
    """Tables with the known columns and no rows."""
    emails = EMAIL_SCHEMA.append(pa.field(RAW_COLUMN, pa.string())).empty_table()
    return ExportTables(emails=emails, events=EVENT_SCHEMA.empty_table())


def _json_records(text: bytes) -> Iterator[tuple[Mapping[str, Any], str]]:
    if text[:1] == b"[":
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise DownloadError(
                f"the export file is not valid JSON ({exc}); it may have been cut short"
            ) from exc
        for item in items:
            if isinstance(item, dict):
                yield item, orjson.dumps(item).decode()
        return
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise DownloadError(
                f"line {number} of the export file is not valid JSON ({exc}); it may have been cut short"
            ) from exc
        if isinstance(item, dict):
            # Re-serialised rather than the line as read, so _raw is the same whatever the file format.
            yield item, orjson.dumps(item).decode()


def _csv_records(data: bytes) -> Iterator[tuple[Mapping[str, Any], str]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    for row in reader:
        record: dict[str, Any] = {}
        for key, value in row.items():
            if key is None:
                continue
            if value is None or value == "":
                record[key] = None
            elif normalise_key(key) in _NESTED or value[:1] in ("[", "{"):
                try:
                    record[key] = orjson.loads(value)
                except orjson.JSONDecodeError:
                    record[key] = value
            else:
                record[key] = value
        yield record, orjson.dumps(record).decode()


CHUNK_RECORDS = 2048


def build_tables(records: Iterable[tuple[Mapping[str, Any], str]]) -> ExportTables:
    """Build both tables from ``(record, raw JSON text)`` pairs, a chunk of records at a time.

    Chunks keep the Python objects alive at any moment to a few thousand records; the Arrow chunks are
    then concatenated (unknown keys met in only some chunks become null elsewhere).
    """
    iterator = iter(records)
    parts: list[ExportTables] = []
    while True:
        chunk = list(itertools.islice(iterator, CHUNK_RECORDS))
        if not chunk and parts:
            break
        parts.append(_build_chunk(chunk))
        if len(chunk) < CHUNK_RECORDS:
            break
    if len(parts) == 1:
        return parts[0]
    return ExportTables(
        emails=pa.concat_tables([part.emails for part in parts], promote_options="permissive"),
        events=pa.concat_tables([part.events for part in parts]),
    )


def _build_chunk(records: Iterable[tuple[Mapping[str, Any], str]]) -> ExportTables:
    """Both tables for one chunk, in one pass."""
    columns: dict[str, list[Any]] = {name: [] for name in EMAIL_SCHEMA.names}
    plain = [(name, columns[name]) for name in EMAIL_SCHEMA.names if name not in _SPECIAL]
    send_times = columns["sendtimestamp"]
    tags = columns["emailtags"]
    destinations = columns["destination"]
    message_ids = columns["messageid"]
    extra: dict[str, list[Any]] = {}
    raws: list[str] = []
    ev_id: list[str | None] = []
    ev_pos: list[int] = []
    ev_time: list[Any] = []
    ev_type: list[Any] = []
    ev_dest: list[Any] = []
    ev_details: list[str | None] = []
    keys = _KEY_CACHE
    row = 0
    for record, raw in records:
        fields = {(keys.get(key) or _cache_key(key)): value for key, value in record.items()}
        get = fields.get
        for name, values in plain:
            value = get(name)
            values.append(value if value is None or type(value) is str else _text(value))
        send_times.append(get("sendtimestamp"))
        value = get("emailtags")
        tags.append(None if value is None else _json_text(value))
        value = get("destination")
        destinations.append(
            ", ".join(str(item) for item in value) if isinstance(value, list) else _text(value)
        )
        if not fields.keys() <= _KNOWN:
            for name, value in fields.items():
                if name in _KNOWN or not name:
                    continue
                column = extra.get(name)
                if column is None:
                    column = extra[name] = [None] * row
                column.append(_json_text(value) if isinstance(value, dict | list) else value)
        if extra:
            for column in extra.values():
                if len(column) <= row:
                    column.append(None)
        raws.append(raw)
        message_id = message_ids[-1]
        events = get("events")
        if events and isinstance(events, list):
            for position, event in enumerate(events):
                if not isinstance(event, dict):
                    continue
                ev = {(keys.get(key) or _cache_key(key)): value for key, value in event.items()}
                ev_id.append(message_id)
                ev_pos.append(position)
                ev_time.append(ev.get("timestamp"))
                ev_type.append(_text(ev.get("type")))
                ev_dest.append(_text(ev.get("destination")))
                details = ev.get("details")
                ev_details.append(None if details is None else _json_text(details))
        row += 1
    if None in columns["messageid"]:
        row = columns["messageid"].index(None) + 1
        raise DownloadError(f"record {row} of the export has no MessageId; sesflow cannot key it")
    arrays = [
        parse_timestamps(values) if name == "sendtimestamp" else pa.array(values, pa.string())
        for name, values in columns.items()
    ]
    fields_out = list(EMAIL_SCHEMA)
    for name, values in extra.items():
        arrays.append(_extra_array(values))
        fields_out.append(pa.field(name, arrays[-1].type))
    arrays.append(pa.array(raws, pa.string()))
    fields_out.append(pa.field(RAW_COLUMN, pa.string()))
    emails = pa.Table.from_arrays(arrays, schema=pa.schema(fields_out))
    events = pa.Table.from_arrays(
        [
            pa.array(ev_id, pa.string()),
            pa.array(ev_pos, pa.int64()),
            parse_timestamps(ev_time),
            pa.array(ev_type, pa.string()),
            pa.array(ev_dest, pa.string()),
            pa.array(ev_details, pa.string()),
        ],
        schema=EVENT_SCHEMA,
    )
    return ExportTables(emails=emails, events=events)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return _json_text(value)
    return str(value)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _extra_array(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if value is None else str(value) for value in values], pa.string())


def parse_timestamps(values: list[Any]) -> pa.Array:
    """ISO 8601 text (or epoch seconds) -> ``timestamp[us, UTC]``; text without an offset is taken as UTC."""
    if all(value is None or isinstance(value, str) for value in values):
        try:
            return pc.cast(pa.array(values, pa.string()), TIMESTAMP)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return pa.array([_one_timestamp(value) for value in values], TIMESTAMP)


def _one_timestamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise DownloadError(f"the export holds a timestamp sesflow cannot read: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
