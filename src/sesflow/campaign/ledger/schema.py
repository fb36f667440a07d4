"""The ledger's tables, written once for SQLite and PostgreSQL.

``{campaigns}``, ``{recipients}`` and ``{workers}`` are replaced by each backend's table names (PostgreSQL
keeps them in their own schema). Times are seconds since the epoch (double precision): one type both
databases compare the same way; the outcomes view turns them into timestamps.
"""

from __future__ import annotations

VERSION = 1

TABLES = (
    """
    CREATE TABLE IF NOT EXISTS {campaigns} (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        generation INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        content TEXT NOT NULL,
        settings TEXT NOT NULL,
        state TEXT NOT NULL,
        total INTEGER NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (name, generation)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {recipients} (
        campaign_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        vars TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        worker TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at DOUBLE PRECISION,
        attempted_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        ses_message_id TEXT,
        error_code TEXT,
        retryable INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, seq)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS {workers} (
        id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        proc_start TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        heartbeat_at DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL
    )
    """,
)

# Reserving scans only the rows nobody has taken yet; states and outcomes are read per campaign.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {prefix}recipients_free ON {recipients} (campaign_id, seq) "
    "WHERE state = 'pending' AND worker IS NULL",
    "CREATE INDEX IF NOT EXISTS {prefix}recipients_state ON {recipients} (campaign_id, state)",
    "CREATE INDEX IF NOT EXISTS {prefix}recipients_worker ON {recipients} (campaign_id, worker) "
    "WHERE state IN ('pending', 'sending')",
    "CREATE INDEX IF NOT EXISTS {prefix}recipients_email ON {recipients} (campaign_id, email_key)",
    "CREATE INDEX IF NOT EXISTS {prefix}workers_campaign ON {workers} (campaign_id, state)",
)

__all__ = ["INDEXES", "TABLES", "VERSION"]
