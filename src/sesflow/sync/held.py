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
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_IDS = "sesflow_window_ids"


class _Held(ABC):
    """``held(messageids) -> bool``; ``take_seconds()`` is the time spent checking since its last call.

    ``dataset``, ``tables`` and ``column`` are names as they are in the target.
    """

    def __init__(self, dataset: str, tables: tuple[str, ...], column: str = "messageid") -> None:
        self._dataset = dataset
        self._tables = tables
        self._column = column
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

    def _look(
        self, dataset: str, tables: list[str], column: str, messageids: Any, bounds: tuple[str, str]
    ) -> bool:
        import psycopg

        try:
            if self._connection is None:
                self._connection = psycopg.connect(self._dsn, autocommit=True)
            db = self._connection
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


def _true(row: tuple[Any, ...] | None) -> bool:
    return row is None or bool(row[0])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = ["DuckDbHeld", "PostgresHeld"]
