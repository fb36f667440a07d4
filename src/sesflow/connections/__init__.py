"""Sling-compatible connections: where they are read from, what they may hold, and how to reach them.

Modules: ``aws`` (the ``aws_ses`` source), ``databases`` (DuckDB and PostgreSQL), ``warehouses`` (Sling's
other target types as dlt destinations), ``parsing`` (raw settings -> a validated connection), ``lookup``
(environment variable, ``.env.sling``, env.yaml), ``envfile`` (``conns set``/``unset``), ``checks``
(``conns test``/``discover``/``exec``) and ``redaction`` (how configuration is shown: never a secret).
"""

from __future__ import annotations

from sesflow.connections.aws import AwsSecrets, AwsSesConnection, AwsSesInputs
from sesflow.connections.checks import QueryResult, check_connection, discover, execute, no_credentials
from sesflow.connections.databases import DUCKDB_MEMORY_LIMIT, DuckDbConnection, PostgresConnection
from sesflow.connections.envfile import check_name, set_connection, settings_from_pairs, unset_connection
from sesflow.connections.lookup import (
    NamedConnection,
    all_connections,
    env_files,
    find_connection,
    get_connection,
    known_secrets,
    sesflow_home,
    yaml_error,
)
from sesflow.connections.parsing import (
    TYPES,
    AnyConnection,
    TargetConnection,
    describe_validation_error,
    parse_connection,
)
from sesflow.connections.redaction import redact, redact_text, scrub
from sesflow.connections.warehouses import (
    BigQueryConnection,
    ClickHouseConnection,
    DatabricksConnection,
    DltConnection,
    LocalFilesConnection,
    MotherDuckConnection,
    MySqlConnection,
    RedshiftConnection,
    S3FilesConnection,
    SnowflakeConnection,
    SqliteConnection,
    SqlServerConnection,
)

__all__ = [
    "DUCKDB_MEMORY_LIMIT",
    "TYPES",
    "AnyConnection",
    "AwsSecrets",
    "AwsSesConnection",
    "AwsSesInputs",
    "BigQueryConnection",
    "ClickHouseConnection",
    "DatabricksConnection",
    "DltConnection",
    "DuckDbConnection",
    "LocalFilesConnection",
    "MotherDuckConnection",
    "MySqlConnection",
    "NamedConnection",
    "PostgresConnection",
    "QueryResult",
    "RedshiftConnection",
    "S3FilesConnection",
    "SnowflakeConnection",
    "SqlServerConnection",
    "SqliteConnection",
    "TargetConnection",
    "all_connections",
    "check_connection",
    "check_name",
    "describe_validation_error",
    "discover",
    "env_files",
    "execute",
    "find_connection",
    "get_connection",
    "known_secrets",
    "no_credentials",
    "parse_connection",
    "redact",
    "redact_text",
    "scrub",
    "sesflow_home",
    "set_connection",
    "settings_from_pairs",
    "unset_connection",
    "yaml_error",
]
