"""The campaign ledger: one row per (campaign, recipient), in SQLite (embedded) or PostgreSQL (shared).

``resolve_ledger`` turns the campaign file's ``ledger:`` (nothing, a path, a ``postgresql://`` URL or a
connection name) into a ``LedgerLocation``; ``LedgerLocation.open()`` gives a ``LedgerSession`` with every
statement the campaign code runs. See ``records`` for the row states.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sesflow.campaign.ledger.records import (
    ROW_STATES,
    CampaignRecord,
    LedgerCounts,
    LedgerRow,
    Outcome,
    RowState,
    UnknownRow,
)
from sesflow.campaign.ledger.session import LedgerSession, LedgerUnavailable, WorkerRecord
from sesflow.campaign.spec import DEFAULT_LEDGER_FILE
from sesflow.errors import ConfigError


def _redact(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


@dataclass(frozen=True)
class LedgerLocation:
    """Where a ledger lives: an SQLite file or a PostgreSQL database (``schema`` holds its tables).

    ``label`` is safe to print (no password); ``connection`` is the connection name when one was used.
    """

    kind: Literal["sqlite", "postgres"]
    target: str
    label: str
    schema: str = "sesflow"
    connection: str | None = None

    def open(self) -> LedgerSession:
        """A new session (one per thread); ConfigError when the ledger cannot be reached."""
        try:
            if self.kind == "sqlite":
                from sesflow.campaign.ledger.sqlite import SqliteSession

                return SqliteSession(self.target)
            from sesflow.campaign.ledger.postgres import PostgresSession

            return PostgresSession(self.target, self.label, self.schema)
        except LedgerUnavailable as exc:
            raise ConfigError(
                str(exc), hint="Check the ledger setting and that the database answers."
            ) from None


def resolve_ledger(value: str | None, base: Path, schema: str | None = None) -> LedgerLocation:
    """The ledger named by ``value``: None -> ``sesflow-campaigns.sqlite`` in ``base``; a ``postgresql://``
    URL; a path (``*.sqlite``, ``*.db`` or anything with a slash, relative to ``base``); else a connection
    name (postgres). ``schema`` names the PostgreSQL schema of its tables (default ``sesflow``)."""
    schema = schema or "sesflow"
    if value is None or not value.strip():
        path = (base / DEFAULT_LEDGER_FILE).resolve()
        return LedgerLocation("sqlite", str(path), str(path))
    value = value.strip()
    if value == ":memory:":
        return LedgerLocation("sqlite", value, "an in-memory ledger")
    if value.startswith(("postgresql://", "postgres://")):
        return LedgerLocation("postgres", value, _redact(value), schema)
    if value.endswith((".sqlite", ".sqlite3", ".db")) or os.sep in value or "/" in value:
        path = (base / os.path.expanduser(value)).resolve()
        return LedgerLocation("sqlite", str(path), str(path))
    from sesflow.connections import get_connection

    conn = get_connection(value)
    kind = str(getattr(conn, "type", ""))
    if kind == "postgres":
        dsn = conn.dsn()  # type: ignore[union-attr]
        return LedgerLocation("postgres", dsn, f"{value} ({_redact(dsn)})", schema, connection=value)
    raise ConfigError(
        f"ledger: connection {value} is a {kind} connection",
        hint="A ledger is a postgres connection (shared by many workers), or a path to an SQLite file "
        "(the default, beside the campaign file). DuckDB allows one writing process, so it holds no ledger.",
    )


__all__ = [
    "ROW_STATES",
    "CampaignRecord",
    "LedgerCounts",
    "LedgerLocation",
    "LedgerRow",
    "LedgerSession",
    "LedgerUnavailable",
    "Outcome",
    "RowState",
    "UnknownRow",
    "WorkerRecord",
    "resolve_ledger",
]
