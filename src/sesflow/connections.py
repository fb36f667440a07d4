"""Sling-compatible connections: where they are read from, what they may hold, and how to reach them.

A connection is looked up by name (case-insensitive), first match wins:

1. an environment variable of that name holding JSON or YAML text, or a database URL
   (``AWS_SES='{type: api, spec: aws_ses, inputs: {region: us-east-1}}'``);
2. ``.env.sling`` in the working directory (``NAME=value`` lines, the value as in 1.);
3. ``~/.sesflow/env.yaml`` (``$SESFLOW_HOME/env.yaml``), then ``~/.sling/env.yaml`` (``$SLING_HOME_DIR``),
   both with a top-level ``connections:`` mapping.

Kinds: ``type: api, spec: aws_ses`` (the SES Message Insights source), ``type: duckdb`` (``instance``:
a file), ``type: postgres`` (``url`` or host/port/user/password/database) and ``type: dlt`` (any dlt
destination by name, for warehouses). Invalid settings raise ``ConfigError`` naming the connection and
the key.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from sesflow.aws import check_endpoint_url, check_region
from sesflow.errors import ConfigError, SesflowError
from sesflow.source.intervals import Interval
from sesflow.yamltext import load_yaml

if TYPE_CHECKING:
    import boto3

_STRICT = ConfigDict(extra="forbid", frozen=True)
DUCKDB_MEMORY_LIMIT = os.environ.get("SESFLOW_DUCKDB_MEMORY_LIMIT", "100MB")
SECRET_KEYS = frozenset({"secret_access_key", "session_token", "password", "access_key_id", "credentials"})


class AwsSesInputs(BaseModel):
    """The inputs of an ``aws_ses`` connection: Sling's four, then sesflow's own."""

    model_config = _STRICT

    region: str
    anchor_date: date | None = None
    range_interval: str = "1d"
    lookback_interval: str = "0d"
    endpoint_url: str | None = None
    on_limit: Literal["split", "fail"] = "split"
    max_concurrent_jobs: int = Field(3, ge=1, le=50)
    poll_interval: float = Field(5.0, gt=0)
    job_timeout: float = Field(3600.0, gt=0)
    data_format: Literal["JSON", "CSV"] = "JSON"

    @field_validator("range_interval", "lookback_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        try:
            Interval.parse(value)
        except ConfigError as exc:
            raise ValueError(f"{value!r} is not an interval (integer + s, m, h, d or mo, e.g. 1d)") from exc
        return str(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value) if value else value

    @field_validator("range_interval")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Interval.parse(value).is_zero:
            raise ValueError("must be longer than zero")
        return value

    @field_validator("anchor_date", mode="before")
    @classmethod
    def _anchor(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD") from exc
        if isinstance(value, date) and value > datetime.now(UTC).date():
            raise ValueError(f"{value.isoformat()} is in the future; give a past date to start syncing from")
        return value

    def anchor(self) -> datetime:
        """The first moment to sync on a first run: anchor_date at 00:00 UTC, default 30 days ago."""
        if self.anchor_date is None:
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            return today - timedelta(days=30)
        return datetime(self.anchor_date.year, self.anchor_date.month, self.anchor_date.day, tzinfo=UTC)


class AwsSecrets(BaseModel):
    """AWS credentials as Sling names them; all optional (then the default AWS chain is used)."""

    model_config = _STRICT

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    profile: str | None = None


class AwsSesConnection(BaseModel):
    """``type: api, spec: aws_ses``: the SES v2 Message Insights export API."""

    model_config = _STRICT

    type: Literal["api"]
    spec: Literal["aws_ses"]
    inputs: AwsSesInputs
    secrets: AwsSecrets = AwsSecrets()

    def session(self) -> boto3.Session:
        """A boto3 session with these credentials (explicit keys, a profile, or the default chain)."""
        import boto3

        return boto3.Session(
            aws_access_key_id=self.secrets.access_key_id,
            aws_secret_access_key=self.secrets.secret_access_key,
            aws_session_token=self.secrets.session_token,
            profile_name=self.secrets.profile,
            region_name=self.inputs.region,
        )

    def client(self) -> Any:
        """A boto3 ``sesv2`` client (``endpoint_url`` input, else ``AWS_ENDPOINT_URL_SESV2``, else AWS)."""
        from botocore.config import Config

        config = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=64)
        return self.session().client("sesv2", endpoint_url=self.inputs.endpoint_url or None, config=config)


class DuckDbConnection(BaseModel):
    """``type: duckdb``: a DuckDB database file (``instance``)."""

    model_config = _STRICT

    type: Literal["duckdb"]
    instance: str
    schema_: str | None = Field(None, alias="schema")
    read_only: bool | None = None

    def path(self) -> Path:
        """The database file (its folder is created)."""
        path = Path(os.path.expanduser(self.instance)).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def connect(self) -> Any:
        """An open ``duckdb`` connection to the file, with sesflow's memory limit."""
        import duckdb

        # DuckDB's default memory limit is 80% of RAM; a sync spills to disk instead of growing that big.
        # With the file open for a whole sync, 100 MB keeps it under 500 MB peak RSS (160 MB: 515 MB), at
        # about 10% of the merge speed (bench/sync.py, 30 days at 5 jobs: 33,500 vs 36,600 messages/s).
        return duckdb.connect(str(self.path()), config={"memory_limit": DUCKDB_MEMORY_LIMIT})

    def destination(self, connection: Any = None) -> Any:
        """The dlt destination for this file; through ``connection`` (from ``connect()``) when given.

        Given a connection, dlt borrows it and leaves it open: DuckDB then writes its checkpoint when the
        caller closes it, not each time dlt's last job closes the file (which cost more than half of a sync's
        load time, see ``insights.runner``).
        """
        import dlt
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        if connection is not None:
            return dlt.destinations.duckdb(credentials=connection)
        credentials = DuckDbCredentials(str(self.path()), global_config={"memory_limit": DUCKDB_MEMORY_LIMIT})
        return dlt.destinations.duckdb(credentials=credentials)


class PostgresConnection(BaseModel):
    """``type: postgres``: a PostgreSQL server, by ``url`` or by its parts as Sling accepts them."""

    model_config = _STRICT

    type: Literal["postgres"]
    url: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None
    sslmode: str | None = None
    role: str | None = None
    schema_: str | None = Field(None, alias="schema")

    def dsn(self) -> str:
        """A ``postgresql://`` URL for this connection."""
        if self.url:
            return self.url
        if not self.host or not self.database:
            raise ConfigError("a postgres connection needs url, or host and database")
        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        return f"postgresql://{auth}{self.host}:{self.port or 5432}/{self.database}{query}"

    def destination(self) -> Any:
        """The dlt destination for this server."""
        import dlt

        return dlt.destinations.postgres(credentials=_complete_for_dlt(self.dsn()))


def _complete_for_dlt(url: str) -> str:
    """``url`` with a user name and a (maybe empty) password, which dlt insists on; libpq does not."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    password = parts.password if parts.password is not None else os.environ.get("PGPASSWORD", "")
    netloc = f"{quote(unquote(user), safe='')}:{quote(unquote(password), safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class DltConnection(BaseModel):
    """``type: dlt``: any destination dlt loads into (``destination: bigquery``, ``credentials: ...``)."""

    model_config = _STRICT

    type: Literal["dlt"]
    destination_: str = Field(alias="destination")
    credentials: Any = None

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


Connection = Annotated[
    AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection, Field(discriminator="type")
]
TargetConnection = DuckDbConnection | PostgresConnection | DltConnection
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Connection)


@dataclass(frozen=True)
class NamedConnection:
    """A connection with its name and where it was found (``env``, ``.env.sling`` or a file path)."""

    name: str
    origin: str
    settings: Mapping[str, Any] | str

    def parse(self) -> AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection:
        """Validate the settings; a ``ConfigError`` names the connection and the key at fault."""
        return parse_connection(self.name, self.settings, origin=self.origin)


def parse_connection(
    name: str, settings: Mapping[str, Any] | str, *, origin: str = "settings"
) -> AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection:
    """Validate one connection's settings (a mapping, or a database URL)."""
    if isinstance(settings, str):
        settings = _url_settings(name, settings)
    try:
        parsed: AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection = (
            _ADAPTER.validate_python(dict(settings))
        )
    except ValidationError as exc:
        raise ConfigError(
            f"connection {name} ({origin}): {describe_validation_error(exc)}",
            hint="See the Connections section of the README for the accepted keys.",
        ) from None
    return parsed


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the key path: ``inputs.range_interval: ...``."""
    parts = []
    for error in exc.errors():
        loc = [str(item) for item in error["loc"] if str(item) not in _MODEL_TAGS]
        key = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        elif error["type"] == "missing":
            parts.append(f"{key} is missing")
        elif error["type"] == "union_tag_invalid":
            parts.append(f"type: {error['input']!r} is not one of api, duckdb, postgres, dlt")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{key}: {message}")
    return "; ".join(parts)


_MODEL_TAGS = frozenset({"api", "duckdb", "postgres", "dlt"})


def _url_settings(name: str, url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return {"type": "postgres", "url": url}
    if scheme == "duckdb":
        return {"type": "duckdb", "instance": url.split("://", 1)[1]}
    if scheme == "dlt":
        return {"type": "dlt", "destination": url.split("://", 1)[1]}
    raise ConfigError(
        f"connection {name}: {url!r} is neither connection settings (JSON/YAML) nor a known URL",
        hint="Use postgresql://..., duckdb://PATH, dlt://DESTINATION or a YAML mapping with a type key.",
    )


def _decode_value(name: str, text: str, origin: str) -> Mapping[str, Any] | str:
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = load_yaml(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"connection {name} ({origin}): not valid JSON or YAML: {exc}") from None
    if isinstance(value, Mapping | str):
        return value
    raise ConfigError(f"connection {name} ({origin}): expected a mapping with a type key or a URL")


def sesflow_home() -> Path:
    """``$SESFLOW_HOME`` or ``~/.sesflow``: env.yaml and the dlt pipeline folders live here."""
    return Path(os.environ.get("SESFLOW_HOME") or Path.home() / ".sesflow").expanduser()


def _sling_home() -> Path:
    return Path(os.environ.get("SLING_HOME_DIR") or Path.home() / ".sling").expanduser()


def env_files() -> list[Path]:
    """The env.yaml files read, first wins: sesflow's, then Sling's."""
    return [sesflow_home() / "env.yaml", _sling_home() / "env.yaml"]


def _read_env_yaml(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    connections = data.get("connections") if isinstance(data, dict) else None
    if connections is None:
        return {}
    if not isinstance(connections, dict):
        raise ConfigError(f"{path}: connections must be a mapping of NAME: settings")
    return {str(key): value for key, value in connections.items()}


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def all_connections(cwd: Path | None = None) -> list[NamedConnection]:
    """Every connection found, each name once (the first source wins), sorted by name."""
    found: dict[str, NamedConnection] = {}

    def add(name: str, origin: str, settings: Any) -> None:
        if name.upper() not in found:
            found[name.upper()] = NamedConnection(name, origin, settings)

    for key, text in os.environ.items():
        stripped = text.lstrip()
        if stripped[:1] == "{" or stripped.startswith(("type:", "postgres://", "postgresql://", "duckdb://")):
            try:
                value = _decode_value(key, text, "env")
            except ConfigError:
                continue
            if isinstance(value, str) or "type" in value:
                add(key, "env", value)
    dotenv = (cwd or Path.cwd()) / ".env.sling"
    if dotenv.is_file():
        for key, text in _read_dotenv(dotenv).items():
            add(key, ".env.sling", _decode_value(key, text, ".env.sling"))
    for path in env_files():
        if path.is_file():
            for key, value in _read_env_yaml(path).items():
                add(key, str(path), value)
    return sorted(found.values(), key=lambda item: item.name.upper())


def find_connection(name: str, cwd: Path | None = None) -> NamedConnection:
    """The connection called ``name`` (case-insensitive); ``ConfigError`` when none is defined."""
    for key in (name, name.upper()):
        text = os.environ.get(key)
        if text:
            return NamedConnection(name, "env", _decode_value(name, text, f"environment variable {key}"))
    dotenv = (cwd or Path.cwd()) / ".env.sling"
    if dotenv.is_file():
        for key, text in _read_dotenv(dotenv).items():
            if key.upper() == name.upper():
                return NamedConnection(name, ".env.sling", _decode_value(name, text, ".env.sling"))
    for path in env_files():
        if path.is_file():
            for key, value in _read_env_yaml(path).items():
                if key.upper() == name.upper():
                    if not isinstance(value, Mapping | str):
                        raise ConfigError(f"connection {name} ({path}): expected a mapping with a type key")
                    return NamedConnection(key, str(path), value)
    raise ConfigError(
        f"connection {name!r} is not defined",
        hint=f"Define it with `sesflow conns set {name} type=...`, in an environment variable "
        f"{name.upper()}, in .env.sling or in {env_files()[0]}.",
    )


def get_connection(
    name: str, cwd: Path | None = None
) -> AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection:
    """Find and validate the connection called ``name``."""
    return find_connection(name, cwd).parse()


def set_connection(name: str, values: Mapping[str, str]) -> Path:
    """Write (or replace) ``name`` in ``~/.sesflow/env.yaml`` from ``key=value`` pairs.

    Dotted keys nest (``inputs.region=us-east-1``); for ``type=api`` the keys Sling puts under ``inputs`` and
    ``secrets`` may be given bare (``region=us-east-1 access_key_id=...``). Values are YAML scalars.
    """
    settings: dict[str, Any] = {}
    for key, raw in values.items():
        value = load_yaml(raw) if raw != "" else ""
        if values.get("type") == "api" and "." not in key and key not in ("type", "spec"):
            key = ("secrets." if key in AwsSecrets.model_fields else "inputs.") + key
        target = settings
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    parse_connection(name, settings, origin="conns set")
    path = env_files()[0]
    data: dict[str, Any] = {}
    if path.is_file():
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    connections = data.setdefault("connections", {})
    for existing in list(connections):
        if str(existing).upper() == name.upper():
            del connections[existing]
    connections[name] = settings
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def redact(settings: Mapping[str, Any] | str) -> Mapping[str, Any] | str:
    """The settings with every secret value replaced by ``***`` (passwords in URLs too)."""
    if isinstance(settings, str):
        return _redact_url(settings)
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "secrets" and isinstance(value, Mapping):
            out[key] = {k: ("***" if k != "profile" and v else v) for k, v in value.items()}
        elif key in SECRET_KEYS and value:
            out[key] = "***"
        elif key == "url" and isinstance(value, str):
            out[key] = _redact_url(value)
        elif isinstance(value, Mapping):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def check_connection(
    connection: AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection,
) -> str:
    """Make one real call (GetAccount for SES, ``select 1`` for a database); return what was seen.

    Raises ``SesflowError`` saying why the connection does not work.
    """
    if isinstance(connection, AwsSesConnection):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            account = connection.client().get_account()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SesflowError(
                f"SES refused GetAccount: {error.get('Code')}: {error.get('Message')}"
            ) from None
        except BotoCoreError as exc:
            raise SesflowError(f"cannot reach SES: {exc}") from None
        quota = account.get("SendQuota", {})
        enabled = account.get("SendingEnabled")
        rate = quota.get("MaxSendRate")
        return f"SES {connection.inputs.region}: sending enabled={enabled}, max send rate={rate}/s"
    if isinstance(connection, DuckDbConnection):
        import duckdb

        try:
            with duckdb.connect(os.path.expanduser(connection.instance)) as db:
                version = db.execute("select version()").fetchone()
        except duckdb.Error as exc:
            raise SesflowError(f"cannot open DuckDB file {connection.instance}: {exc}") from None
        return f"DuckDB {version[0] if version else '?'} at {connection.instance}"
    if isinstance(connection, PostgresConnection):
        import psycopg

        try:
            with psycopg.connect(connection.dsn(), connect_timeout=10) as db:
                row = db.execute("select version()").fetchone()
        except psycopg.Error as exc:
            raise SesflowError(f"cannot connect to PostgreSQL: {str(exc).strip()}") from None
        return str(row[0]).split(",")[0] if row else "PostgreSQL"
    connection.destination()
    return f"dlt destination {connection.destination_} configured (not contacted: dlt connects when loading)"


@dataclass(frozen=True)
class StreamInfo:
    """One stream a source offers."""

    name: str
    primary_key: tuple[str, ...]
    incremental: bool
    description: str


SES_STREAMS: tuple[StreamInfo, ...] = (
    StreamInfo("ses_emails", ("messageid",), True, "one row per message (events in ses_email_events)"),
)


def discover(
    connection: AwsSesConnection | DuckDbConnection | PostgresConnection | DltConnection,
) -> list[StreamInfo]:
    """The streams of a source connection (``ses_emails`` for ``aws_ses``)."""
    if isinstance(connection, AwsSesConnection):
        return list(SES_STREAMS)
    raise ConfigError(f"{connection.type} connections are targets; only source connections have streams")
