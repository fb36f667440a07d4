"""Reaching a connection for real: ``check_connection`` (``conns test``), ``discover``, ``execute``.

Errors say why a connection does not work without quoting its secrets (driver messages pass ``redact_text``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sesflow.connections.aws import AwsSesConnection
from sesflow.connections.databases import DuckDbConnection, PostgresConnection
from sesflow.connections.parsing import AnyConnection
from sesflow.connections.redaction import redact_text
from sesflow.connections.warehouses import DltConnection, SqliteConnection
from sesflow.errors import ConfigError, SesflowError
from sesflow.source.catalog import STREAMS, StreamInfo


@dataclass(frozen=True)
class QueryResult:
    """What one statement gave: column names and rows (empty for a statement that returns none)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    rowcount: int


def check_connection(connection: AnyConnection) -> str:
    """Make one real call (GetAccount for SES, ``select version()`` for a database); return what was seen.

    Raises ``SesflowError`` saying why the connection does not work.
    """
    if isinstance(connection, AwsSesConnection):
        return _check_ses(connection)
    if isinstance(connection, DuckDbConnection | PostgresConnection | SqliteConnection):
        result = execute(
            connection, "select sqlite_version()" if _is_sqlite(connection) else "select version()"
        )
        version = str(result.rows[0][0]) if result.rows else "?"
        if isinstance(connection, DuckDbConnection):
            return f"DuckDB {version} at {connection.instance}"
        if isinstance(connection, SqliteConnection):
            return f"SQLite {version} at {connection.path()}"
        return version.split(",")[0]
    connection.destination()
    name = connection.destination_ if isinstance(connection, DltConnection) else connection.dlt_destination
    return f"dlt destination {name} configured (not contacted: dlt connects when loading)"


def _check_ses(connection: AwsSesConnection) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        account = connection.client().get_account()
    except NoCredentialsError:
        raise no_credentials() from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SesflowError(f"SES refused GetAccount: {error.get('Code')}: {error.get('Message')}") from None
    except BotoCoreError as exc:
        raise SesflowError(f"cannot reach SES: {redact_text(str(exc))}") from None
    quota = account.get("SendQuota", {})
    enabled = account.get("SendingEnabled")
    rate = quota.get("MaxSendRate")
    return f"SES {connection.inputs.region}: sending enabled={enabled}, max send rate={rate}/s"


def no_credentials() -> ConfigError:
    """The error for AWS calls without credentials: a configuration error (exit 2) saying what to set."""
    return ConfigError(
        "no AWS credentials found",
        hint="Give the connection secrets (access_key_id/secret_access_key, or profile), or set "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE.",
    )


def _is_sqlite(connection: AnyConnection) -> bool:
    return isinstance(connection, SqliteConnection)


def execute(connection: AnyConnection, sql: str) -> QueryResult:
    """Run one SQL statement on a DuckDB, PostgreSQL or SQLite connection and return its rows."""
    if isinstance(connection, DuckDbConnection):
        import duckdb

        try:
            with duckdb.connect(str(connection.path())) as duck:
                cursor = duck.execute(sql)
                columns = tuple(d[0] for d in cursor.description or ())
                rows = [tuple(row) for row in cursor.fetchall()] if columns else []
                return QueryResult(columns, rows, len(rows))
        except duckdb.Error as exc:
            raise SesflowError(f"DuckDB {connection.instance}: {_first_line(exc)}") from None
    if isinstance(connection, PostgresConnection):
        import psycopg

        try:
            server = psycopg.connect(connection.dsn(), connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            raise SesflowError(f"cannot connect to {connection.describe()}: {_first_line(exc)}") from None
        try:
            with server:
                pg = server.execute(sql.encode())
                columns = tuple(d.name for d in pg.description or ())
                rows = [tuple(row) for row in pg.fetchall()] if columns else []
                return QueryResult(columns, rows, pg.rowcount)
        except psycopg.Error as exc:
            raise SesflowError(f"{connection.describe()}: {_first_line(exc)}") from None
    if isinstance(connection, SqliteConnection):
        try:
            with sqlite3.connect(connection.path()) as lite_db:
                lite = lite_db.execute(sql)
                columns = tuple(d[0] for d in lite.description or ())
                rows = [tuple(row) for row in lite.fetchall()] if columns else []
                return QueryResult(columns, rows, lite.rowcount)
        except sqlite3.Error as exc:
            raise SesflowError(f"SQLite {connection.path()}: {exc}") from None
    kind = connection.type
    raise ConfigError(
        f"conns exec runs SQL on duckdb, postgres and sqlite connections; this one is {kind}",
        hint="Use the database's own client for other types.",
    )


def _first_line(exc: BaseException) -> str:
    """A driver's message as one line, secrets redacted (psycopg spreads its message over several)."""
    return redact_text(" ".join(str(exc).split()))


def discover(connection: AnyConnection) -> list[StreamInfo]:
    """The streams of a source connection: every stream of the SES source for ``aws_ses``."""
    if isinstance(connection, AwsSesConnection):
        return list(STREAMS)
    raise ConfigError(f"{connection.type} connections are targets; only source connections have streams")


__all__ = ["QueryResult", "check_connection", "discover", "execute", "no_credentials"]
