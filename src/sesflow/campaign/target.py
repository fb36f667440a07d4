"""The database a sync loads Message Insights into (DuckDB or PostgreSQL), as the campaign code uses it:
suppressed addresses are read from it, and the ledger's outcomes are published into it.

A target is a connection name (``duckdb`` or ``postgres``), a ``.duckdb`` path or a ``postgresql://`` URL.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sesflow.errors import ConfigError


@dataclass(frozen=True)
class SyncTarget:
    """Where the synced tables live: ``kind``, the DuckDB path or PostgreSQL URL, a printable ``label``,
    and the ``schema`` (dataset) the sync wrote into."""

    kind: Literal["duckdb", "postgres"]
    location: str
    label: str
    schema: str = "ses"


def _redact(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def resolve_target(value: str, schema: str = "ses", base: Path | None = None) -> SyncTarget:
    """The sync target named by a connection name, a ``.duckdb`` path or a ``postgresql://`` URL."""
    if value.startswith(("postgresql://", "postgres://")):
        return SyncTarget("postgres", value, _redact(value), schema)
    if value.endswith(".duckdb") or os.sep in value or "/" in value:
        path = str(((base or Path.cwd()) / os.path.expanduser(value)).resolve())
        return SyncTarget("duckdb", path, path, schema)
    from sesflow.connections import get_connection

    conn: Any = get_connection(value)
    kind = str(getattr(conn, "type", ""))
    if kind == "duckdb":
        path = str(Path(os.path.expanduser(conn.instance)).resolve())
        return SyncTarget("duckdb", path, f"{value} ({path})", schema)
    if kind == "postgres":
        dsn = str(conn.dsn())
        return SyncTarget("postgres", dsn, f"{value} ({_redact(dsn)})", schema)
    raise ConfigError(
        f"sync.target: connection {value} is a {kind} connection",
        hint="Name the duckdb or postgres connection `sesflow run` loads into.",
    )


class TargetDatabase:
    """An open connection to a sync target (read-write). ``run`` executes SQL written with ``?`` marks."""

    def __init__(self, target: SyncTarget, *, read_only: bool = False) -> None:
        self.target = target
        self.kind = target.kind
        if target.kind == "duckdb":
            import duckdb

            if read_only and not Path(target.location).exists():
                raise ConfigError(f"no DuckDB file at {target.location}", hint="Run a sync into it first.")
            try:
                self._db: Any = duckdb.connect(target.location, read_only=read_only)
            except duckdb.Error as exc:
                raise ConfigError(
                    f"cannot open the DuckDB file {target.label}: {str(exc).splitlines()[0]}",
                    hint="Another process (a sync?) may be writing to it; retry when it is done.",
                ) from None
        else:
            import psycopg

            try:
                self._db = psycopg.connect(target.location, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise ConfigError(
                    f"cannot connect to {target.label}: {str(exc).strip().splitlines()[0]}",
                    hint="Check the connection and that the server runs.",
                ) from None

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (``?`` marks its parameters); its rows (empty when it returns none)."""
        if self.kind == "duckdb":
            cursor = self._db.execute(sql, list(params)) if params else self._db.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        with self._db.cursor() as cursor:
            if params:
                cursor.execute(sql.replace("?", "%s").encode(), tuple(params))
            else:
                cursor.execute(sql.encode())  # no parameters: % and ? in the text stay as written
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` into ``table`` in bulk (DuckDB: through Arrow; PostgreSQL: COPY)."""
        if not rows:
            return
        if self.kind == "duckdb":
            import pyarrow as pa

            data = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in rows])
            self._db.register("sesflow_rows", data)
            try:
                self._db.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM sesflow_rows")
            finally:
                self._db.unregister("sesflow_rows")
        else:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self._db.cursor() as cursor, cursor.copy(statement.encode()) as copy:
                for row in rows:
                    copy.write_row(row)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the block."""
        if self.kind == "duckdb":
            self._db.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        else:
            with self._db.transaction():
                yield

    def tables(self, schema: str) -> set[str]:
        """Tables and views in ``schema``."""
        rows = self.run(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
            + (" AND table_catalog = current_database()" if self.kind == "duckdb" else ""),
            (schema,),
        )
        return {str(row[0]) for row in rows}

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(Exception):
            self._db.close()


def quote(*parts: str) -> str:
    """A dotted, double-quoted identifier valid in DuckDB and PostgreSQL."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


@contextlib.contextmanager
def open_target(target: SyncTarget, *, read_only: bool = False) -> Iterator[TargetDatabase]:
    """``TargetDatabase`` for the block."""
    db = TargetDatabase(target, read_only=read_only)
    try:
        yield db
    finally:
        db.close()


__all__ = ["SyncTarget", "TargetDatabase", "open_target", "quote", "resolve_target"]
