"""Sling's other target types, each loaded through the dlt destination that fits it, with Sling's key names.

Every model takes the keys Sling documents for its type (or ``url``, as Sling accepts for most) and turns
them into a dlt destination with ``destination()``. ``type: dlt`` names any dlt destination directly.

=============  ==============================================  =====================================
Sling type     Sling keys                                      dlt destination
=============  ==============================================  =====================================
snowflake      account user password database schema role     snowflake
               warehouse authenticator token private_key
               private_key_path passphrase
bigquery       project dataset key_file key_body location      bigquery
redshift       host port user password database schema         redshift (staging: filesystem on S3
               aws_bucket aws_access_key_id                    when aws_bucket is given)
               aws_secret_access_key aws_session_token
               aws_role_arn
mysql/mariadb  host port user password database schema         sqlalchemy (mysql+pymysql)
sqlite         instance (or url sqlite:///PATH)                sqlalchemy (sqlite)
clickhouse     host port user password database schema         clickhouse
               secure http_url
sqlserver      host port user password database schema         mssql
motherduck     database motherduck_token schema                motherduck
databricks     host token warehouse_id catalog schema          databricks
local          url (file:///FOLDER) format                     filesystem (parquet, csv or jsonl)
s3             bucket access_key_id secret_access_key          filesystem (s3://BUCKET)
               endpoint region format
=============  ==============================================  =====================================
"""

from __future__ import annotations

import json
import os
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from sesflow.errors import ConfigError

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
FileFormat = Literal["parquet", "csv", "jsonl"]


class _Warehouse(BaseModel):
    """What every Sling target loaded through a plain dlt destination has in common."""

    model_config = _STRICT

    engine: ClassVar[str | None] = None  # sesflow's own fast path (DuckDB/PostgreSQL) only
    dlt_destination: ClassVar[str] = ""
    fallback_schema: ClassVar[str] = "public"

    @property
    def default_schema(self) -> str:
        """The schema Sling's ``{target_schema}`` names: the connection's ``schema`` key, else the type's."""
        return str(getattr(self, "schema_", None) or self.fallback_schema)

    @abstractmethod
    def credentials(self) -> Any:
        """The credentials handed to dlt (a connection string or a mapping)."""

    def options(self) -> dict[str, Any]:
        """Further settings of the dlt destination."""
        return {}

    def staging(self) -> Any:
        """A dlt staging destination, for warehouses that load through a bucket; None when not used."""
        return None

    def destination(self) -> Any:
        """The dlt destination these settings describe."""
        from dlt.common.destination import Destination

        return Destination.from_reference(
            self.dlt_destination, credentials=self.credentials(), **self.options()
        )

    def describe(self) -> str:
        """Where this target is, for messages (no secret)."""
        return f"{getattr(self, 'type', self.dlt_destination)} (dlt destination {self.dlt_destination})"


def _server_url(
    scheme: str, host: str, port: int | None, user: str | None, password: str | None, db: str
) -> str:
    auth = ""
    if user:
        auth = quote(user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        auth += "@"
    where = f"{host}:{port}" if port else host
    return f"{scheme}://{auth}{where}/{db}"


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class SnowflakeConnection(_Warehouse):
    """``type: snowflake``."""

    dlt_destination: ClassVar[str] = "snowflake"

    type: Literal["snowflake"]
    url: str | None = None
    account: str | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")
    role: str | None = None
    warehouse: str | None = None
    authenticator: str | None = None
    token: str | None = None
    private_key: str | None = None
    private_key_path: str | None = None
    passphrase: str | None = None

    def credentials(self) -> Any:
        if self.url:
            return self.url
        _require(self, "account", "user", "database")
        return _drop_none(
            {
                "host": self.account,
                "username": self.user,
                "password": self.password,
                "database": self.database,
                "role": self.role,
                "warehouse": self.warehouse,
                "authenticator": self.authenticator,
                "token": self.token,
                "private_key": self.private_key,
                "private_key_path": self.private_key_path,
                "private_key_passphrase": self.passphrase,
            }
        )


class BigQueryConnection(_Warehouse):
    """``type: bigquery``: a service account from ``key_file`` or ``key_body``, else Google's default."""

    dlt_destination: ClassVar[str] = "bigquery"

    type: Literal["bigquery"]
    project: str
    dataset: str | None = None
    key_file: str | None = None
    key_body: str | None = None
    location: str | None = None
    gc_bucket: str | None = None

    @property
    def default_schema(self) -> str:
        return self.dataset or "ses"

    def credentials(self) -> Any:
        info: dict[str, Any] = {}
        if self.key_body:
            info = _json_object(self.key_body, "key_body")
        elif self.key_file:
            path = Path(os.path.expanduser(self.key_file))
            try:
                info = _json_object(path.read_text(encoding="utf-8"), "key_file")
            except OSError as exc:
                raise ConfigError(f"key_file: cannot read {path}: {exc.strerror}") from None
        return {**info, "project_id": self.project}

    def options(self) -> dict[str, Any]:
        return _drop_none({"location": self.location})


class RedshiftConnection(_Warehouse):
    """``type: redshift``; with ``aws_bucket``, files are staged in that S3 bucket as Sling does."""

    dlt_destination: ClassVar[str] = "redshift"

    type: Literal["redshift"]
    url: str | None = None
    host: str | None = None
    port: int = 5439
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")
    aws_bucket: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    aws_role_arn: str | None = None

    def credentials(self) -> Any:
        if self.url:
            return self.url
        _require(self, "host", "user", "database")
        assert self.host and self.database
        return _server_url("redshift", self.host, self.port, self.user, self.password, self.database)

    def options(self) -> dict[str, Any]:
        return _drop_none({"staging_iam_role": self.aws_role_arn})

    def staging(self) -> Any:
        if not self.aws_bucket:
            return None
        import dlt

        keys = _drop_none(
            {
                "aws_access_key_id": self.aws_access_key_id,
                "aws_secret_access_key": self.aws_secret_access_key,
                "aws_session_token": self.aws_session_token,
            }
        )
        bucket = self.aws_bucket if "://" in self.aws_bucket else f"s3://{self.aws_bucket}"
        return dlt.destinations.filesystem(bucket_url=bucket, credentials=keys or None)


class MySqlConnection(_Warehouse):
    """``type: mysql`` (and ``mariadb``), through dlt's SQLAlchemy destination and PyMySQL."""

    dlt_destination: ClassVar[str] = "sqlalchemy"

    type: Literal["mysql", "mariadb"]
    url: str | None = None
    host: str | None = None
    port: int = 3306
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")

    @property
    def default_schema(self) -> str:
        return self.schema_ or self.database or "ses"

    def credentials(self) -> Any:
        if self.url:
            scheme, _, rest = self.url.partition("://")
            return f"mysql+pymysql://{rest}" if "+" not in scheme else self.url
        _require(self, "host", "database")
        assert self.host and self.database
        return _server_url("mysql+pymysql", self.host, self.port, self.user, self.password, self.database)


class SqliteConnection(_Warehouse):
    """``type: sqlite``: a database file (``instance``, or ``url: sqlite:///PATH``)."""

    engine: ClassVar[str | None] = None
    dlt_destination: ClassVar[str] = "sqlalchemy"
    fallback_schema: ClassVar[str] = "main"

    type: Literal["sqlite"]
    instance: str | None = None
    url: str | None = None
    schema_: str | None = Field(None, alias="schema")

    def path(self) -> Path:
        """The database file (its folder is created)."""
        raw = self.instance
        if raw is None and self.url:
            raw = self.url.split(":///", 1)[1] if ":///" in self.url else self.url.split("://", 1)[-1]
        if not raw:
            raise ConfigError("a sqlite connection needs instance (a file path) or url: sqlite:///PATH")
        path = Path(os.path.expanduser(raw)).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def credentials(self) -> Any:
        return f"sqlite:///{self.path()}"

    def describe(self) -> str:
        return f"SQLite file {self.path()}"


class ClickHouseConnection(_Warehouse):
    """``type: clickhouse``: the native port (Sling's default 9000); ``http_url`` gives the HTTP one."""

    dlt_destination: ClassVar[str] = "clickhouse"

    type: Literal["clickhouse"]
    url: str | None = None
    host: str | None = None
    port: int = 9000
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")
    secure: bool = False
    skip_verify: bool | None = None
    http_url: str | None = None

    @property
    def default_schema(self) -> str:
        return self.schema_ or self.database or "default"

    def credentials(self) -> Any:
        if self.url:
            return self.url
        _require(self, "host", "database")
        http_port = urlsplit(self.http_url).port if self.http_url else None
        return _drop_none(
            {
                "host": self.host,
                "port": self.port,
                "http_port": http_port,
                "username": self.user,
                "password": self.password,
                "database": self.database,
                "secure": 1 if self.secure else 0,
            }
        )


class SqlServerConnection(_Warehouse):
    """``type: sqlserver`` (and ``azuresql``), through dlt's mssql destination (ODBC)."""

    dlt_destination: ClassVar[str] = "mssql"
    fallback_schema: ClassVar[str] = "dbo"

    type: Literal["sqlserver", "azuresql"]
    url: str | None = None
    host: str | None = None
    port: int = 1433
    user: str | None = None
    password: str | None = None
    database: str | None = None
    schema_: str | None = Field(None, alias="schema")

    def credentials(self) -> Any:
        if self.url:
            scheme, _, rest = self.url.partition("://")
            return f"mssql://{rest}" if scheme in ("sqlserver", "azuresql") else self.url
        _require(self, "host", "database")
        assert self.host and self.database
        return _server_url("mssql", self.host, self.port, self.user, self.password, self.database)


class MotherDuckConnection(_Warehouse):
    """``type: motherduck``."""

    dlt_destination: ClassVar[str] = "motherduck"
    fallback_schema: ClassVar[str] = "main"

    type: Literal["motherduck"]
    database: str
    motherduck_token: str | None = None
    schema_: str | None = Field(None, alias="schema")

    def credentials(self) -> Any:
        return _drop_none({"database": self.database, "password": self.motherduck_token})


class DatabricksConnection(_Warehouse):
    """``type: databricks``: a SQL warehouse by ``host`` and ``warehouse_id``, a personal access ``token``."""

    dlt_destination: ClassVar[str] = "databricks"
    fallback_schema: ClassVar[str] = "default"

    type: Literal["databricks"]
    host: str
    token: str | None = None
    warehouse_id: str
    catalog: str | None = None
    schema_: str | None = Field(None, alias="schema")

    def credentials(self) -> Any:
        return _drop_none(
            {
                "server_hostname": self.host.removeprefix("https://"),
                "http_path": f"/sql/1.0/warehouses/{self.warehouse_id}",
                "access_token": self.token,
                "catalog": self.catalog,
            }
        )


class LocalFilesConnection(_Warehouse):
    """``type: local``: files in a folder (``url: file:///FOLDER``, default the working directory).

    A stream's files land in ``FOLDER/<schema>/<table>/``. Files are only ever added: each run writes new
    files, and rows a lookback exports again appear again (read the newest ``_dlt_load_id`` of a
    ``messageid``).
    """

    dlt_destination: ClassVar[str] = "filesystem"
    fallback_schema: ClassVar[str] = "ses"
    engine: ClassVar[str | None] = "files"

    type: Literal["local", "file"]
    url: str | None = None
    format: FileFormat = "parquet"

    def folder(self) -> Path:
        """The folder files are written under."""
        raw = self.url or "."
        if raw.startswith("file://"):
            raw = raw.removeprefix("file://")
        return Path(os.path.expanduser(raw)).resolve()

    def credentials(self) -> Any:
        return None

    def destination(self) -> Any:
        import dlt

        return dlt.destinations.filesystem(bucket_url=self.folder().as_uri())

    def describe(self) -> str:
        return f"files in {self.folder()}"


class S3FilesConnection(_Warehouse):
    """``type: s3``: files in an S3 (or S3-compatible, by ``endpoint``) bucket."""

    dlt_destination: ClassVar[str] = "filesystem"
    fallback_schema: ClassVar[str] = "ses"
    engine: ClassVar[str | None] = "files"

    type: Literal["s3"]
    bucket: str
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    endpoint: str | None = None
    region: str | None = None
    format: FileFormat = "parquet"

    def credentials(self) -> Any:
        endpoint = self.endpoint
        if endpoint and "://" not in endpoint:
            endpoint = f"https://{endpoint}"
        return _drop_none(
            {
                "aws_access_key_id": self.access_key_id,
                "aws_secret_access_key": self.secret_access_key,
                "aws_session_token": self.session_token,
                "endpoint_url": endpoint,
                "region_name": self.region,
            }
        )

    def destination(self) -> Any:
        import dlt

        return dlt.destinations.filesystem(bucket_url=f"s3://{self.bucket}", credentials=self.credentials())


class DltConnection(BaseModel):
    """``type: dlt``: any destination dlt loads into (``destination: bigquery``, ``credentials: ...``)."""

    model_config = _STRICT

    engine: ClassVar[str | None] = None

    type: Literal["dlt"]
    destination_: str = Field(alias="destination")
    credentials: Any = None
    schema_: str | None = Field(None, alias="schema")

    @property
    def default_schema(self) -> str:
        """The connection's ``schema`` key, else ``ses``."""
        return self.schema_ or "ses"

    def staging(self) -> Any:
        """No staging unless dlt's own configuration sets one."""
        return None

    def describe(self) -> str:
        """Where this target is, for messages."""
        return f"dlt destination {self.destination_}"

    def destination(self) -> Any:
        """The dlt destination by name; without credentials dlt reads its own config and secrets."""
        from dlt.common.destination import Destination
        from dlt.common.destination.exceptions import UnknownDestinationModule

        options = {} if self.credentials is None else {"credentials": self.credentials}
        try:
            return Destination.from_reference(self.destination_, **options)
        except UnknownDestinationModule:
            raise ConfigError(
                f"destination {self.destination_!r}: dlt has no destination of that name",
                hint="Name one dlt loads into (bigquery, snowflake, redshift, motherduck, filesystem, ...), "
                f"or configure its type: DESTINATION__{self.destination_.upper()}__DESTINATION_TYPE.",
            ) from None


def _require(model: BaseModel, *keys: str) -> None:
    missing = [key for key in keys if not getattr(model, key, None)]
    if missing:
        kind = getattr(model, "type", "this")
        raise ConfigError(
            f"a {kind} connection needs url, or {', '.join(keys)} ({', '.join(missing)} missing)",
            hint="See the table of target types in the README's Moving from Sling section.",
        )


def _json_object(text: str, key: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise ConfigError(f"{key}: not a service account JSON document") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: not a service account JSON document")
    return value


WAREHOUSES = (
    SnowflakeConnection,
    BigQueryConnection,
    RedshiftConnection,
    MySqlConnection,
    SqliteConnection,
    ClickHouseConnection,
    SqlServerConnection,
    MotherDuckConnection,
    DatabricksConnection,
    LocalFilesConnection,
    S3FilesConnection,
    DltConnection,
)

__all__ = [
    "WAREHOUSES",
    "BigQueryConnection",
    "ClickHouseConnection",
    "DatabricksConnection",
    "DltConnection",
    "LocalFilesConnection",
    "MotherDuckConnection",
    "MySqlConnection",
    "RedshiftConnection",
    "S3FilesConnection",
    "SnowflakeConnection",
    "SqlServerConnection",
    "SqliteConnection",
]
