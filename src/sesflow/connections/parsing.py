"""From raw settings (a mapping, YAML/JSON text or a URL) to a validated connection, or a ``ConfigError``.

Settings are read as Sling reads them: a mapping value stored as YAML text (``inputs: '{ region: ... }'``,
which is how ``sling conns set`` writes ``inputs`` and ``secrets``) is a mapping, and a URL names its type by
its scheme. Errors name the connection and the key; configuration they quote is redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, TypeAlias
from urllib.parse import urlsplit

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from sesflow.connections.aws import AwsSesConnection
from sesflow.connections.databases import DuckDbConnection, PostgresConnection
from sesflow.connections.redaction import is_secret_key, redact_text, shown
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
from sesflow.errors import ConfigError
from sesflow.yamltext import load_yaml

TargetConnection: TypeAlias = (
    DuckDbConnection
    | PostgresConnection
    | SnowflakeConnection
    | BigQueryConnection
    | RedshiftConnection
    | MySqlConnection
    | SqliteConnection
    | ClickHouseConnection
    | SqlServerConnection
    | MotherDuckConnection
    | DatabricksConnection
    | LocalFilesConnection
    | S3FilesConnection
    | DltConnection
)
AnyConnection: TypeAlias = AwsSesConnection | TargetConnection
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Annotated[AnyConnection, Field(discriminator="type")])

TYPES = (
    "api",
    "duckdb",
    "postgres",
    "snowflake",
    "bigquery",
    "redshift",
    "mysql",
    "mariadb",
    "sqlite",
    "clickhouse",
    "sqlserver",
    "azuresql",
    "motherduck",
    "databricks",
    "local",
    "file",
    "s3",
    "dlt",
)
HINT = "See the README section Moving from Sling (connection types and their keys)."
_MAPPING_KEYS = frozenset({"inputs", "secrets", "credentials"})
# URL scheme -> Sling type (for URLs held by an environment variable or a .env.sling line)
_SCHEMES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "snowflake": "snowflake",
    "redshift": "redshift",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
    "clickhouse": "clickhouse",
    "sqlserver": "sqlserver",
    "mssql": "sqlserver",
    "file": "local",
}


def parse_connection(
    name: str, settings: Mapping[str, Any] | str, *, origin: str = "settings"
) -> AnyConnection:
    """Validate one connection's settings (a mapping, Sling's text values included, or a URL)."""
    if isinstance(settings, str):
        settings = url_settings(name, settings)
    data = sling_values(name, settings, origin)
    if "type" not in data and isinstance(data.get("url"), str):  # as Sling: the URL's scheme names the type
        data = {**url_settings(name, data["url"]), **{k: v for k, v in data.items() if k != "url"}}
    if "type" not in data:
        raise ConfigError(f"connection {name} ({origin}): type is missing", hint=HINT)
    if data["type"] not in TYPES:
        raise ConfigError(
            f"connection {name} ({origin}): type: {shown(data['type'])} is not a type sesflow loads "
            f"(one of {', '.join(TYPES)})",
            hint=HINT,
        )
    try:
        parsed: AnyConnection = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            f"connection {name} ({origin}): {describe_validation_error(exc)}", hint=HINT
        ) from None
    return parsed


def sling_values(name: str, settings: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """``settings`` with Sling's YAML-text mapping values (``inputs: '{ region: ... }'``) as mappings."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, str) and (key in _MAPPING_KEYS or value.lstrip().startswith("{")):
            try:
                decoded = load_yaml(value)
            except yaml.YAMLError:
                raise ConfigError(
                    f"connection {name} ({origin}): {key}: not a YAML mapping"
                    + ("" if is_secret_key(key) or key == "secrets" else f": {shown(value)}"),
                    hint=HINT,
                ) from None
            if isinstance(decoded, Mapping):
                value = dict(decoded)
        out[str(key)] = value
    return out


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the key path (``inputs.range_interval: ...``); nothing secret."""
    parts = []
    for error in exc.errors():
        loc = [str(item) for item in error["loc"]]
        if loc and loc[0] in TYPES:  # the discriminator's branch name, not a key
            loc = loc[1:]
        key = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        elif error["type"] == "missing":
            parts.append(f"{key} is missing")
        elif error["type"] == "union_tag_invalid":
            parts.append(f"type: {shown(error['input'].get('type'))} is not one of {', '.join(TYPES)}")
        else:
            message = redact_text(str(error["msg"]).removeprefix("Value error, "))
            parts.append(f"{key}: {message}")
    return "; ".join(parts)


def url_settings(name: str, url: str) -> dict[str, Any]:
    """The settings a connection URL stands for (``postgresql://...`` -> ``{type: postgres, url: ...}``)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in ("duckdb", "motherduck", "md"):
        path = url.split("://", 1)[1] if "://" in url else url.split(":", 1)[1]
        if scheme == "duckdb":
            return {"type": "duckdb", "instance": path}
        return {"type": "motherduck", "database": path.lstrip("/")}
    if scheme == "dlt":
        return {"type": "dlt", "destination": url.split("://", 1)[1]}
    if scheme in _SCHEMES:
        return {"type": _SCHEMES[scheme], "url": url}
    raise ConfigError(
        f"connection {name}: {shown(url)} is neither connection settings (JSON/YAML) nor a URL sesflow knows",
        hint="Use a URL (postgresql://, duckdb://PATH, sqlite:///PATH, snowflake://, mysql://, ...) or a "
        "YAML mapping with a type key. " + HINT,
    )


def decode_value(name: str, text: str, origin: str) -> Mapping[str, Any] | str:
    """An environment variable's or ``.env.sling`` line's value: JSON, YAML, or a URL as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = load_yaml(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
            raise ConfigError(
                f"connection {name} ({origin}): not valid JSON or YAML{at}", hint=HINT
            ) from None
    if isinstance(value, Mapping | str):
        return value
    raise ConfigError(f"connection {name} ({origin}): expected a mapping with a type key or a URL", hint=HINT)


__all__ = [
    "HINT",
    "TYPES",
    "AnyConnection",
    "TargetConnection",
    "decode_value",
    "describe_validation_error",
    "parse_connection",
    "sling_values",
    "url_settings",
]
