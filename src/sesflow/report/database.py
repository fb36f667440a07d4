"""Read-only access to the database a sync loaded into: DuckDB files and PostgreSQL servers.

The report's SQL is written once in the dialect both databases share; this module only opens the
connection, pins the session time zone to UTC (so a day is a UTC day everywhere) and runs queries.
A target is a connection name (see ``sesflow.connections``), a path to a ``.duckdb`` file or a
``postgresql://`` URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sesflow.errors import ConfigError, SesflowError

Row = tuple[Any, ...]


class Database(Protocol):
    """An open, read-only database session the report queries."""

    kind: Literal["duckdb", "postgres"]
    label: str

    def rows(self, sql: str) -> list[Row]:
        """Run one query and return all its rows."""
        ...

    def run(self, sql: str) -> None:
        """Run one statement that returns nothing (temporary tables, session settings)."""
        ...

    def tables(self, schema: str) -> set[str]:
        """Names of the tables in ``schema``."""
        ...

    def table(self, schema: str, name: str) -> str:
        """The quoted, fully qualified name of table ``name`` in ``schema``."""
        ...


@dataclass(frozen=True)
class TargetSpec:
    """Where a target lives: a DuckDB file path or a PostgreSQL URL."""

    kind: Literal["duckdb", "postgres"]
    location: str
    label: str


class _DuckDB:
    kind: Literal["duckdb", "postgres"] = "duckdb"

    def __init__(self, path: str, label: str) -> None:
        import duckdb

        if not os.path.exists(path):
            raise ConfigError(
                f"no DuckDB file at {path}",
                hint="Run a sync into it first (`sesflow run -r replication.yaml` or `sesflow demo`).",
            )
        try:
            self._con = duckdb.connect(path, read_only=True)
        except duckdb.Error as exc:
            raise SesflowError(
                f"cannot open the DuckDB file {path}: {exc}",
                hint="Another process may be writing to it; wait for it to finish and retry.",
            ) from exc
        self.label = label
        self._con.execute("SET TimeZone = 'UTC'")
        # A file named ses.duckdb is also a catalog named "ses": always qualify with the catalog.
        self._catalog = str(self._con.execute("SELECT current_database()").fetchall()[0][0])

    def rows(self, sql: str) -> list[Row]:
        return [tuple(row) for row in self._con.execute(sql).fetchall()]

    def run(self, sql: str) -> None:
        self._con.execute(sql)

    def tables(self, schema: str) -> set[str]:
        found = self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ?",
            [self._catalog, schema],
        ).fetchall()
        return {str(row[0]) for row in found}

    def table(self, schema: str, name: str) -> str:
        return quote_ident(self._catalog, schema, name)

    def close(self) -> None:
        self._con.close()


class _Postgres:
    kind: Literal["duckdb", "postgres"] = "postgres"

    def __init__(self, url: str, label: str) -> None:
        import psycopg

        try:
            self._con = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise SesflowError(
                f"cannot connect to PostgreSQL for {label}: {' '.join(str(exc).split())}",
                hint="Check the URL, that the server runs, and the credentials.",
            ) from exc
        self.label = label
        self._con.execute("SET TIME ZONE 'UTC'")
        self._con.execute("SET default_transaction_read_only = on")

    def rows(self, sql: str) -> list[Row]:
        with self._con.cursor() as cur:
            cur.execute(sql.encode())
            return [tuple(row) for row in cur.fetchall()]

    def run(self, sql: str) -> None:
        self._con.execute(sql.encode())

    def tables(self, schema: str) -> set[str]:
        with self._con.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
            return {str(row[0]) for row in cur.fetchall()}

    def table(self, schema: str, name: str) -> str:
        return quote_ident(schema, name)

    def close(self) -> None:
        self._con.close()


def _redact(url: str) -> str:
    """The URL without its password, for messages and the report header (as configuration is always shown)."""
    from sesflow.connections.redaction import redact_text

    return redact_text(url)


def resolve_target(target: str) -> TargetSpec:
    """Turn ``--target`` into a DuckDB path or PostgreSQL URL.

    Accepts a ``postgresql://`` / ``postgres://`` URL, a path to a DuckDB file (``*.duckdb`` or an
    existing file), or the name of a connection of type ``duckdb`` or ``postgres``.
    """
    if target.startswith(("postgresql://", "postgres://")):
        return TargetSpec("postgres", target, _redact(target))
    if target.endswith(".duckdb") or os.sep in target or os.path.isfile(target):
        return TargetSpec("duckdb", target, target)
    return _resolve_connection(target)


def _resolve_connection(name: str) -> TargetSpec:
    try:
        from sesflow import connections
    except ImportError:
        raise ConfigError(
            f"--target {name!r} is neither a DuckDB file (*.duckdb) nor a postgresql:// URL",
            hint="Pass a path such as ./sesflow-demo.duckdb or a URL such as postgresql://user@host/db.",
        ) from None
    return connections_target(connections, name)


def connections_target(connections: Any, name: str) -> TargetSpec:
    """Look ``name`` up with ``sesflow.connections`` and return where it points."""
    conn = connections.get_connection(name)
    kind = str(getattr(conn, "type", "")).lower()
    if kind == "duckdb":
        path = os.path.expanduser(str(conn.instance))
        return TargetSpec("duckdb", path, f"{name} ({path})")
    if kind in {"postgres", "postgresql"}:
        url = str(conn.dsn()) if hasattr(conn, "dsn") else str(conn.url)
        return TargetSpec("postgres", url, f"{name} ({_redact(url)})")
    raise ConfigError(
        f"connection {name!r} is of type {kind!r}; a report reads a duckdb or postgres connection",
        hint="Name the database connection the sync loaded into (`sesflow conns list`).",
    )


@contextmanager
def open_database(target: str | TargetSpec) -> Iterator[Database]:
    """Open ``target`` read-only for the duration of the ``with`` block."""
    spec = target if isinstance(target, TargetSpec) else resolve_target(target)
    db: _DuckDB | _Postgres = (
        _DuckDB(spec.location, spec.label) if spec.kind == "duckdb" else _Postgres(spec.location, spec.label)
    )
    try:
        yield db
    finally:
        db.close()


def quote_ident(*parts: str) -> str:
    """A dotted, double-quoted SQL identifier valid in DuckDB and PostgreSQL."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def literal(values: Sequence[str]) -> str:
    """A parenthesised list of SQL string literals."""
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + ")"
