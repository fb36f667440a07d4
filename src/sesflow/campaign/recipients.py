"""Recipients readers: a CSV or JSON Lines file, a SQL query on a connection, or any iterable of mappings,
streamed one row at a time (a list of millions is never held in memory).

Each row comes out as a ``Recipient``: its 1-based row number, the file line it starts on, and its values
made JSON-safe (what the ledger stores is exactly what the templates saw). A row that cannot be read (bytes
not in the file's encoding, a ragged CSV row, a JSON Lines line that is no object) comes out with a
``Problem`` instead of failing the whole read, so validation reports every bad row at once. A source that
cannot be opened at all (no such file, no such connection, a failing query) raises ``ConfigError``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sesflow.campaign.spec import RecipientsSpec
from sesflow.errors import ConfigError

FETCH_ROWS = 2000


@dataclass(frozen=True)
class Problem:
    """Why one row cannot be sent: ``row`` (1-based), the ``column`` at fault if any, the file ``line``."""

    row: int
    message: str
    column: str | None = None
    email: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.line is not None and self.line != self.row:
            where += f" (line {self.line})"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Recipient:
    """One row of the recipients: its values, or the problem that kept it from being read."""

    row: int
    values: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None
    problem: Problem | None = None


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | bytes):
        return value.hex() if isinstance(value, bytes) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return str(value)


def json_safe_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every value turned into what JSON holds (dates as ISO text, decimals as numbers)."""
    return {str(key): _json_safe(value) for key, value in values.items()}


class RecipientSource(Protocol):
    """A stream of recipients. ``label`` names it in messages; ``columns`` is known up front for CSV files
    and SQL queries (None for JSON Lines and iterables, whose rows may differ)."""

    label: str
    columns: tuple[str, ...] | None

    def __iter__(self) -> Iterator[Recipient]:
        """Every row, in order."""
        ...


class _Lines:
    """Decoded physical lines of a binary file, with the numbers of the lines that did not decode."""

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder(encoding)
        self._encoding = encoding
        self.number = 0
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for raw in self._handle:
            self.number += 1
            try:
                text = self._decoder(errors="strict").decode(raw, final=True)
            except UnicodeDecodeError as exc:
                self.bad[self.number] = (
                    f"not valid {self._encoding}: byte 0x{raw[exc.start]:02x} at position {exc.start + 1}"
                )
                text = raw.decode(self._encoding, errors="replace")
            if self.number == 1:
                text = text.removeprefix("\ufeff")
            yield text


def _open(path: Path, what: str) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise ConfigError(
            f"recipients file {path} does not exist", hint=f"Check recipients.{what} in the campaign file."
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the recipients file {path}: {exc.strerror or exc}") from None


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"recipients.encoding: {encoding!r} is not a known text encoding",
            hint="Use utf-8 (default), latin-1, cp1252, ...",
        ) from None


class CsvRecipients:
    """Rows of a CSV file with a header line; every column is a variable."""

    def __init__(self, path: Path, *, encoding: str = "utf-8", delimiter: str = ",") -> None:
        _check_encoding(encoding)
        self.path = path
        self.label = str(path)
        self._encoding = encoding
        self._delimiter = delimiter
        with _open(path, "csv") as handle:
            lines = _Lines(handle, encoding)
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                header = next(reader, None)
            except csv.Error as exc:
                raise ConfigError(f"{path} line 1: the header is not valid CSV: {exc}") from None
        if not header or not any(name.strip() for name in header):
            raise ConfigError(f"{path}: the file is empty; the first line must name the columns")
        if 1 in lines.bad:
            raise ConfigError(
                f"{path} line 1: {lines.bad[1]}",
                hint=f"Save the file as {encoding}, or set recipients.encoding to the file's encoding.",
            )
        columns = tuple(name.strip() for name in header)
        seen: set[str] = set()
        for name in columns:
            if not name or name in seen:
                raise ConfigError(
                    f"{path} line 1: the header has {'an empty' if not name else 'a repeated'} column name"
                    + (f" {name!r}" if name else ""),
                    hint="Give every column a distinct name.",
                )
            seen.add(name)
        self.columns: tuple[str, ...] | None = columns

    def __iter__(self) -> Iterator[Recipient]:
        width = len(self.columns or ())
        with _open(self.path, "csv") as handle:
            lines = _Lines(handle, self._encoding)
            reader = csv.reader(lines, delimiter=self._delimiter)
            next(reader, None)
            row = 0
            while True:
                start = lines.number + 1
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    row += 1
                    yield Recipient(
                        row, line=start, problem=Problem(row, f"not valid CSV: {exc}", line=start)
                    )
                    continue
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line
                row += 1
                bad = next((lines.bad[n] for n in range(start, lines.number + 1) if n in lines.bad), None)
                if bad is not None:
                    yield Recipient(row, line=start, problem=Problem(row, bad, line=start))
                elif len(record) != width:
                    message = f"has {len(record)} fields, the header has {width}"
                    yield Recipient(row, line=start, problem=Problem(row, message, line=start))
                else:
                    yield Recipient(row, dict(zip(self.columns or (), record, strict=True)), line=start)


class JsonLinesRecipients:
    """Rows of a JSON Lines file: one JSON object per line; its keys are the variables."""

    def __init__(self, path: Path, *, encoding: str = "utf-8") -> None:
        _check_encoding(encoding)
        self.path = path
        self.label = str(path)
        self.columns: tuple[str, ...] | None = None
        self._encoding = encoding
        _open(path, "jsonl").close()

    def __iter__(self) -> Iterator[Recipient]:
        with _open(self.path, "jsonl") as handle:
            lines = _Lines(handle, self._encoding)
            row = 0
            for text in lines:
                if not text.strip():
                    continue
                row += 1
                number = lines.number
                if number in lines.bad:
                    yield Recipient(row, line=number, problem=Problem(row, lines.bad[number], line=number))
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    problem = Problem(row, f"not valid JSON: {exc.msg} at column {exc.colno}", line=number)
                    yield Recipient(row, line=number, problem=problem)
                    continue
                if not isinstance(value, dict):
                    problem = Problem(row, "is not a JSON object ({...})", line=number)
                    yield Recipient(row, line=number, problem=problem)
                    continue
                yield Recipient(row, json_safe_row(value), line=number)


class QueryRecipients:
    """Rows of a SQL query on a ``postgres`` or ``duckdb`` connection, fetched in batches."""

    def __init__(self, connection: str, sql: str) -> None:
        from sesflow.connections import get_connection

        self.label = f"the query on {connection}"
        self._sql = sql
        conn: Any = get_connection(connection)
        kind = str(getattr(conn, "type", ""))
        if kind not in ("postgres", "duckdb"):
            raise ConfigError(
                f"recipients.connection: {connection} is a {kind} connection",
                hint="Recipients come from a postgres or duckdb connection.",
            )
        self._kind = kind
        self._target = conn.dsn() if kind == "postgres" else str(conn.path())
        self._connection = connection
        # Run it once now: a wrong query or an unreachable database is a config error, before anything else.
        with self._cursor() as (_, columns):
            self.columns: tuple[str, ...] | None = columns

    def _fail(self, exc: Exception) -> ConfigError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ConfigError(
            f"recipients: the query on {self._connection} failed: {text}",
            hint="Check recipients.sql and that the database answers.",
        )

    def _cursor(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def opened() -> Iterator[tuple[Any, tuple[str, ...]]]:
            if self._kind == "postgres":
                import psycopg

                try:
                    db = psycopg.connect(self._target, connect_timeout=10)
                except psycopg.Error as exc:
                    raise self._fail(exc) from None
                try:
                    # A server-side cursor streams the rows instead of loading the whole result.
                    cursor = db.cursor(name="sesflow_recipients")
                    cursor.itersize = FETCH_ROWS
                    try:
                        cursor.execute(self._sql)
                    except psycopg.Error as exc:
                        raise self._fail(exc) from None
                    columns = tuple(str(c.name) for c in cursor.description or ())
                    yield cursor, columns
                finally:
                    db.close()
            else:
                import duckdb

                if not Path(self._target).exists():
                    raise ConfigError(f"recipients: no DuckDB file at {self._target} ({self._connection})")
                try:
                    duck = duckdb.connect(self._target, read_only=True)
                    result = duck.execute(self._sql)
                except duckdb.Error as exc:
                    raise self._fail(exc) from None
                try:
                    yield result, tuple(str(c[0]) for c in result.description or ())
                finally:
                    duck.close()

        return opened()

    def __iter__(self) -> Iterator[Recipient]:
        with self._cursor() as (cursor, columns):
            row = 0
            while True:
                try:
                    batch = cursor.fetchmany(FETCH_ROWS)
                except Exception as exc:
                    raise self._fail(exc) from None
                if not batch:
                    return
                for record in batch:
                    row += 1
                    yield Recipient(row, json_safe_row(dict(zip(columns, record, strict=True))))


class IterableRecipients:
    """Rows given by the caller: any iterable of mappings (read once)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], label: str = "recipients") -> None:
        self._rows = rows
        self.label = label
        self.columns: tuple[str, ...] | None = None

    def __iter__(self) -> Iterator[Recipient]:
        for row, value in enumerate(self._rows, start=1):
            if not isinstance(value, Mapping):
                yield Recipient(row, problem=Problem(row, f"is a {type(value).__name__}, not a mapping"))
            else:
                yield Recipient(row, json_safe_row(value))


def open_recipients(spec: RecipientsSpec, base: Path) -> RecipientSource:
    """The reader for a campaign file's ``recipients`` (paths relative to ``base``)."""
    if spec.csv:
        return CsvRecipients((base / spec.csv).resolve(), encoding=spec.encoding, delimiter=spec.delimiter)
    if spec.jsonl:
        return JsonLinesRecipients((base / spec.jsonl).resolve(), encoding=spec.encoding)
    assert spec.sql is not None and spec.connection is not None
    return QueryRecipients(spec.connection, spec.sql)


__all__ = [
    "CsvRecipients",
    "IterableRecipients",
    "JsonLinesRecipients",
    "Problem",
    "QueryRecipients",
    "Recipient",
    "RecipientSource",
    "json_safe_row",
    "open_recipients",
]
