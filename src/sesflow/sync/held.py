"""Whether a DuckDB or PostgreSQL target holds any of a window's messages already.

The runner's message batches ask one of these about the first window of each dlt run: a batch of messages
the target does not hold yet is appended, which spares the target the staging copy and the delete of a merge
(half of the loading time of a 30-day sync). The check must never miss a message, or an append would
duplicate it:

- it looks in every table of the stream (a killed load may have written a message's events and not the
  message);
- it is given the names dlt created (dataset layout, naming convention and case applied, see
  ``sync.targets``), not the names the replication asked for;
- it answers "held" when it cannot look: a merge is right whatever the table holds.

It is cheap because message ids start with their send time: a window of new messages lies beyond every id in
the table, which one range test shows (byte order, the order ``pyarrow`` computes the bounds in). Only when
ids fall in the window's range does it look for the ids themselves. In PostgreSQL the range test uses an
index on ``messageid`` (in byte order) that the check creates when it finds a table without it.

``unchanged(emails, events)`` serves a run that merges (a rerun over a lookback): the messages the target
holds exactly as exported, which the merge need not rewrite. A message is unchanged when its ``ses_emails``
row has the same ``_raw`` (the whole export record, events included, from which every other column of both
tables is derived) and ``ses_email_events`` holds as many of its events as the export has. When it cannot
tell (no ``_raw`` column, an error), it names none: a merge is right whatever the table holds.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_IDS = "sesflow_window_ids"
_WINDOW = "sesflow_window"
_WINDOW_EVENTS = "sesflow_window_events"
RAW = "_raw"


class _Held(ABC):
    """``held(messageids) -> bool``; ``take_seconds()`` is the time spent checking since its last call.

    ``dataset``, ``tables`` and ``column`` are names as they are in the target.
    """

    def __init__(self, dataset: str, tables: tuple[str, ...], column: str = "messageid") -> None:
        self._dataset = dataset
        self._tables = tables
        self._column = column
        self._raw = RAW.upper() if column.isupper() else RAW  # the destination's case, as ``column``
        self._seconds = 0.0

    def take_seconds(self) -> float:
        """Seconds spent checking since the last call."""
        seconds, self._seconds = self._seconds, 0.0
        return seconds

    def __call__(self, messageids: pa.Array | pa.ChunkedArray) -> bool:
        started = time.perf_counter()
        try:
            bounds = pc.min_max(messageids)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is None:  # no message id at all: nothing to find
                return False
            tables = list(self._tables)
            return self._look(self._dataset, tables, _quote(self._column), messageids, (low, high))
        finally:
            self._seconds += time.perf_counter() - started

    def unchanged(self, emails: pa.Table, events: pa.Table | None) -> pa.Array:
        """The message ids of ``emails`` (rows with ``messageid`` and ``_raw``) that the target holds as they
        are, with as many events as ``events`` (rows with ``messageid``) has for them; see the module
        docstring. The stream's tables are ``tables[0]`` (messages) and ``tables[1]`` (events, if any)."""
        started = time.perf_counter()
        try:
            ids = emails["messageid"]
            bounds = pc.min_max(ids)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is None or RAW not in emails.column_names or not self._tables:
                return pa.array([], pa.string())
            window = pa.table({"messageid": ids, "raw": emails[RAW]})
            event_ids = events["messageid"] if events is not None else pa.chunked_array([], pa.string())
            return self._same(window, pa.table({"messageid": event_ids}), (low, high))
        finally:
            self._seconds += time.perf_counter() - started

    @abstractmethod
    def _same(self, window: pa.Table, window_events: pa.Table, bounds: tuple[str, str]) -> pa.Array:
        """The ids of ``window`` (messageid, raw) held as they are (see ``unchanged``)."""

    @abstractmethod
    def _look(
        self, dataset: str, tables: list[str], column: str, messageids: Any, bounds: tuple[str, str]
    ) -> bool:
        """Whether any of ``tables`` in ``dataset`` holds one of ``messageids`` (within ``bounds``)."""


class DuckDbHeld(_Held):
    """The check over an open DuckDB connection, which no load may be using at the time (dlt's extract
    step, where the runner's message batches call it, is such a time)."""

    def __init__(
        self, connection: Any, dataset: str, tables: tuple[str, ...], column: str = "messageid"
    ) -> None:
        super().__init__(dataset, tables, column)
        self._connection = connection

    def _look(
        self, dataset: str, tables: list[str], column: str, messageids: Any, bounds: tuple[str, str]
    ) -> bool:
        import duckdb

        cursor = self._connection.cursor()
        try:
            existing = {
                name
                for (name,) in cursor.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                    "AND schema_name = ?",
                    [dataset],
                ).fetchall()
            }
            cursor.register(_IDS, pa.table({"messageid": messageids}))
            for table in (name for name in tables if name in existing):
                in_range = f"FROM {_quote(dataset)}.{_quote(table)} WHERE {column} COLLATE C BETWEEN ? AND ?"
                if _true(cursor.execute(f"SELECT EXISTS (SELECT 1 {in_range})", list(bounds)).fetchone()):
                    exact = f"{in_range} AND {column} IN (SELECT messageid FROM {_IDS})"
                    if _true(cursor.execute(f"SELECT EXISTS (SELECT 1 {exact})", list(bounds)).fetchone()):
                        return True
            return False
        except duckdb.Error:
            return True
        finally:
            cursor.close()

    def _same(self, window: pa.Table, window_events: pa.Table, bounds: tuple[str, str]) -> pa.Array:
        import duckdb

        dataset, column, raw = _quote(self._dataset), _quote(self._column), _quote(self._raw)
        emails, events = self._tables[0], self._tables[1] if len(self._tables) > 1 else None
        cursor = self._connection.cursor()
        try:
            found = {
                (table, name)
                for table, name in cursor.execute(
                    "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
                    "current_database() AND schema_name = ? AND table_name IN (?, ?)",
                    [self._dataset, emails, events or emails],
                ).fetchall()
            }
            if (emails, self._raw) not in found or (
                events is not None and (events, self._column) not in found
            ):
                return pa.array([], pa.string())
            cursor.register(_WINDOW, window)
            cursor.register(_WINDOW_EVENTS, window_events)
            in_range = f"{column} COLLATE C BETWEEN ? AND ?"
            query = (
                f"SELECT w.messageid FROM {_WINDOW} w JOIN (SELECT {column} AS messageid, {raw} AS raw "
                f"FROM {dataset}.{_quote(emails)} WHERE {in_range}) t "
                "ON t.messageid = w.messageid AND t.raw = w.raw"
            )
            parameters = list(bounds)
            if events is not None:
                query += (
                    f" LEFT JOIN (SELECT messageid, count(*) AS n FROM {_WINDOW_EVENTS} GROUP BY 1) we "
                    "ON we.messageid = w.messageid "
                    f"LEFT JOIN (SELECT {column} AS messageid, count(*) AS n FROM {dataset}.{_quote(events)} "
                    f"WHERE {in_range} GROUP BY 1) te ON te.messageid = w.messageid "
                    "WHERE coalesce(we.n, 0) = coalesce(te.n, 0)"
                )
                parameters += list(bounds)
            same = [messageid for (messageid,) in cursor.execute(query, parameters).fetchall()]
            return pa.array(same, pa.string())
        except duckdb.Error:
            return pa.array([], pa.string())
        finally:
            cursor.close()


class PostgresHeld(_Held):
    """The check over a connection of its own to ``dsn`` (opened at the first check; ``close()`` it)."""

    def __init__(self, dsn: str, dataset: str, tables: tuple[str, ...], column: str = "messageid") -> None:
        super().__init__(dataset, tables, column)
        self._dsn = dsn
        self._connection: Any = None

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _same(self, window: pa.Table, window_events: pa.Table, bounds: tuple[str, str]) -> pa.Array:
        import psycopg

        dataset, column, raw = self._dataset, _quote(self._column), _quote(self._raw)
        emails, events = self._tables[0], self._tables[1] if len(self._tables) > 1 else None
        try:
            db = self._connect()
            found = set(
                db.execute(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = ANY(%s)",
                    [dataset, [emails, events or emails]],
                ).fetchall()
            )
            if (emails, self._raw) not in found or (
                events is not None and (events, self._column) not in found
            ):
                return pa.array([], pa.string())
            # Byte order, with the index the check for held messages makes (see ``_look``).
            in_range = f'{column} COLLATE "C" BETWEEN %s AND %s'
            stored = dict(
                db.execute(
                    f"SELECT {column}, md5({raw}) FROM {_quote(dataset)}.{_quote(emails)} WHERE {in_range}",
                    list(bounds),
                ).fetchall()
            )
            counts: dict[str, int] = {}
            if events is not None:
                counts = dict(
                    db.execute(
                        f"SELECT {column}, count(*) FROM {_quote(dataset)}.{_quote(events)} WHERE {in_range} "
                        "GROUP BY 1",
                        list(bounds),
                    ).fetchall()
                )
            exported = _counts(window_events["messageid"])
            same = [
                messageid
                for messageid, text in zip(
                    window["messageid"].to_pylist(), window["raw"].to_pylist(), strict=True
                )
                if text is not None
                and stored.get(messageid) == hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
                and (events is None or counts.get(messageid, 0) == exported.get(messageid, 0))
            ]
            return pa.array(same, pa.string())
        except psycopg.Error:
            return pa.array([], pa.string())

    def _connect(self) -> Any:
        import psycopg

        if self._connection is None:
            self._connection = psycopg.connect(self._dsn, autocommit=True)
        return self._connection

    def _look(
        self, dataset: str, tables: list[str], column: str, messageids: Any, bounds: tuple[str, str]
    ) -> bool:
        import psycopg

        try:
            db = self._connect()
            existing = {
                name
                for (name,) in db.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [dataset]
                ).fetchall()
            }
            for table in (name for name in tables if name in existing):
                qualified = f"{_quote(dataset)}.{_quote(table)}"
                # Every time: a full refresh drops the table, and its index with it.
                index = _quote(f"{table[:40]}_messageid_bytes")
                db.execute(f'CREATE INDEX IF NOT EXISTS {index} ON {qualified} ({column} COLLATE "C")')
                in_range = f'FROM {qualified} WHERE {column} COLLATE "C" BETWEEN %s AND %s'
                if _true(db.execute(f"SELECT EXISTS (SELECT 1 {in_range})", list(bounds)).fetchone()):
                    exact = f"SELECT EXISTS (SELECT 1 {in_range} AND {column} = ANY(%s))"
                    ids = [value for value in messageids.to_pylist() if value is not None]
                    if _true(db.execute(exact, [*bounds, ids]).fetchone()):
                        return True
            return False
        except psycopg.Error:
            return True


def _counts(ids: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    """How many times each id occurs."""
    if len(ids) == 0:
        return {}
    counted = pc.value_counts(ids)
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))


def _true(row: tuple[Any, ...] | None) -> bool:
    return row is None or bool(row[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = ["RAW", "DuckDbHeld", "PostgresHeld"]
