"""The two databases sesflow loads with its own fast path: DuckDB files and PostgreSQL servers.

Both take Sling's keys (``instance``/``schema`` for DuckDB; ``url`` or host/port/user/password/database/
sslmode/role/schema for PostgreSQL) and give dlt a destination; each also says how to open it directly, for
the checks for held messages, the run lock and ``conns exec``.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from sesflow.errors import ConfigError

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
DUCKDB_MEMORY_LIMIT = os.environ.get("SESFLOW_DUCKDB_MEMORY_LIMIT", "100MB")


class DuckDbConnection(BaseModel):
    """``type: duckdb``: a DuckDB database file (``instance``)."""

    model_config = _STRICT

    type: Literal["duckdb"]
    instance: str
    schema_: str | None = Field(None, alias="schema")
    read_only: bool | None = None
    duckdb_version: str | None = (
        None  # Sling's: the CLI version it downloads; sesflow uses the duckdb package
    )

    engine: ClassVar[str] = "duckdb"

    @property
    def default_schema(self) -> str:
        """The schema Sling's ``{target_schema}`` names: the ``schema`` key, else ``main``."""
        return self.schema_ or "main"

    def describe(self) -> str:
        """Where this target is, for messages."""
        return str(self.path())

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

    def destination(self, connection: Any = None, **options: Any) -> Any:
        """The dlt destination for this file; through ``connection`` (from ``connect()``) when given.

        ``options`` are further settings of dlt's destination (``staging_dataset_name_layout``, ...).

        Given a connection, dlt borrows it and leaves it open: DuckDB then writes its checkpoint when the
        caller closes it, not each time dlt's last job closes the file (which cost more than half of a sync's
        load time, see ``insights.runner``).
        """
        import dlt
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        if connection is not None:
            return dlt.destinations.duckdb(credentials=connection, **options)
        credentials = DuckDbCredentials(str(self.path()), global_config={"memory_limit": DUCKDB_MEMORY_LIMIT})
        return dlt.destinations.duckdb(credentials=credentials, **options)


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

    engine: ClassVar[str] = "postgres"

    @property
    def default_schema(self) -> str:
        """The schema Sling's ``{target_schema}`` names: the ``schema`` key, else ``public``."""
        return self.schema_ or "public"

    def describe(self) -> str:
        """Where this target is, for messages (no password)."""
        parts = urlsplit(self.dsn())
        return f"PostgreSQL {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"

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

    def destination(self, **options: Any) -> Any:
        """The dlt destination for this server (``options``: further settings of dlt's destination)."""
        import dlt

        return dlt.destinations.postgres(credentials=_complete_for_dlt(self.dsn()), **options)


def _complete_for_dlt(url: str) -> str:
    """``url`` with a user name and a (maybe empty) password, which dlt insists on; libpq does not."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    password = parts.password if parts.password is not None else os.environ.get("PGPASSWORD", "")
    netloc = f"{quote(unquote(user), safe='')}:{quote(unquote(password), safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


__all__ = ["DUCKDB_MEMORY_LIMIT", "DuckDbConnection", "PostgresConnection"]
