"""SQLite persistence for ``--data-dir``: messages, events, seeded batches, auto-replies, export jobs and
every resource of every account and region survive a restart. WAL mode; each change is written as it
happens.

The database knows values (messages, batches, jobs, JSON records), not the store or the regions that hold
them: ``load`` returns what the file holds and the owners put it back in place.
"""

from __future__ import annotations

import sqlite3
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sesflow.emulator.autoreply import OPERATION
from sesflow.emulator.jobs import ExportJob
from sesflow.emulator.messages import Event, LiveMessage
from sesflow.emulator.scope import DEFAULT_ACCOUNT
from sesflow.emulator.seeding import SeedBatch
from sesflow.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, sent_at REAL, from_address TEXT, destinations TEXT, raw BLOB, operation TEXT,
  tags TEXT, configuration_set TEXT, events TEXT);
CREATE TABLE IF NOT EXISTS batches (number INTEGER PRIMARY KEY, seed INTEGER, from_address TEXT, tags TEXT,
  times BLOB);
CREATE TABLE IF NOT EXISTS extra_events (message_id TEXT, event TEXT);
CREATE TABLE IF NOT EXISTS kv (kind TEXT, key TEXT, value TEXT, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS replies (id TEXT PRIMARY KEY, sent_at REAL, from_address TEXT, destinations TEXT,
  raw BLOB, auto_reply_to TEXT);
CREATE TABLE IF NOT EXISTS records (account TEXT, region TEXT, tbl TEXT, key TEXT, value TEXT,
  PRIMARY KEY (account, region, tbl, key));
"""
# Columns added after the first release; a data directory written before them gets them on open.
_ADDED_COLUMNS = (
    ("messages", "account", "TEXT"),
    ("messages", "region", "TEXT"),
    ("batches", "scope", "TEXT"),
)


def _event(value: list[Any]) -> Event:
    return (float(value[0]), str(value[1]), str(value[2]), value[3])


@dataclass(slots=True)
class Snapshot:
    """Everything a data directory holds, as values."""

    messages: list[LiveMessage] = field(default_factory=list)
    replies: list[LiveMessage] = field(default_factory=list)
    batches: list[SeedBatch] = field(default_factory=list)
    extra_events: dict[str, list[Event]] = field(default_factory=dict)
    records: list[tuple[str, str, str, str, Any]] = field(default_factory=list)
    jobs: list[ExportJob] = field(default_factory=list)


class Database:
    """One SQLite file, ``DIR/emulator.sqlite3``, opened in WAL mode."""

    def __init__(self, directory: Path, default_region: str = "us-east-1") -> None:
        self.default_region = default_region
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.path = directory / "emulator.sqlite3"
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
            for table, column, kind in _ADDED_COLUMNS:
                columns = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"--data-dir: cannot use {directory}: {exc}", hint="Give a writable directory."
            ) from None

    def load(self) -> Snapshot:
        """Everything in the file."""
        found = Snapshot()
        region = self.default_region
        rows = self.conn.execute(
            "SELECT id, sent_at, from_address, destinations, raw, operation, tags, configuration_set, "
            "events, account, region FROM messages ORDER BY sent_at"
        )
        for mid, sent_at, sender, dests, raw, operation, tags, cset, events, account, where in rows:
            found.messages.append(
                LiveMessage(
                    mid,
                    sent_at,
                    sender,
                    tuple(orjson.loads(dests)),
                    raw,
                    operation,
                    [(k, v) for k, v in orjson.loads(tags)],
                    cset,
                    [_event(e) for e in orjson.loads(events)],
                    account=account or DEFAULT_ACCOUNT,
                    region=where or region,
                )
            )
        for mid, sent_at, sender, dests, raw, answered in self.conn.execute(
            "SELECT id, sent_at, from_address, destinations, raw, auto_reply_to FROM replies ORDER BY sent_at"
        ):
            found.replies.append(
                LiveMessage(
                    mid, sent_at, sender, tuple(orjson.loads(dests)), raw, OPERATION, auto_reply_to=answered
                )
            )
        for number, seed, sender, tags, times, scope in self.conn.execute(
            "SELECT number, seed, from_address, tags, times, scope FROM batches ORDER BY number"
        ):
            extra = orjson.loads(scope) if scope else {}
            found.batches.append(
                SeedBatch(
                    number,
                    seed,
                    array("d", times),
                    sender,
                    orjson.loads(tags),
                    extra.get("account", DEFAULT_ACCOUNT),
                    extra.get("region", region),
                    tuple(extra.get("configuration_sets", ())),
                )
            )
        for mid, event in self.conn.execute("SELECT message_id, event FROM extra_events"):
            found.extra_events.setdefault(mid, []).append(_event(orjson.loads(event)))
        for account, where, table, key, value in self.conn.execute(
            "SELECT account, region, tbl, key, value FROM records"
        ):
            found.records.append((account, where, table, key, orjson.loads(value)))
        found.records.extend(self._legacy_records())
        for (value,) in self.conn.execute("SELECT value FROM jobs"):
            found.jobs.append(ExportJob(**orjson.loads(value)))
        found.jobs.sort(key=lambda job: job.created_at)
        return found

    def _legacy_records(self) -> list[tuple[str, str, str, str, Any]]:
        """Resources a data directory of the first release kept in ``kv`` (read once, then moved)."""
        moved: list[tuple[str, str, str, str, Any]] = []
        here = (DEFAULT_ACCOUNT, self.default_region)
        for kind, key, value in self.conn.execute("SELECT kind, key, value FROM kv"):
            data = orjson.loads(value)
            if kind == "suppressed":
                record = {"EmailAddress": key, "Reason": data[0], "LastUpdateTime": data[1]}
                moved.append((*here, "suppressed", orjson.dumps(["", key]).decode(), record))
            elif kind == "identities":
                record = {"IdentityName": key, "IdentityType": data[0], "CreatedTimestamp": data[1]}
                moved.append((*here, "identities", orjson.dumps([key]).decode(), record))
            elif kind == "config_sets":
                moved.append((*here, "configuration_sets", orjson.dumps([key]).decode(), data))
        for account, where, table, key, record in moved:
            self.save_record(account, where, table, key, record)
        self.conn.execute("DELETE FROM kv")
        return moved

    def save_message(self, m: LiveMessage) -> None:
        """Insert or replace a sent message with its events."""
        self.conn.execute(
            "INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.message_id,
                m.sent_at,
                m.from_address,
                orjson.dumps(list(m.destinations)),
                m.raw,
                m.operation,
                orjson.dumps(m.tags),
                m.configuration_set,
                orjson.dumps(m.events),
                m.account,
                m.region,
            ),
        )

    def save_reply(self, m: LiveMessage) -> None:
        """Insert a simulator auto-reply."""
        self.conn.execute(
            "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?)",
            (
                m.message_id,
                m.sent_at,
                m.from_address,
                orjson.dumps(list(m.destinations)),
                m.raw,
                m.auto_reply_to,
            ),
        )

    def save_events(self, m: LiveMessage) -> None:
        """Rewrite the events of a sent message."""
        self.conn.execute(
            "UPDATE messages SET events = ? WHERE id = ?", (orjson.dumps(m.events), m.message_id)
        )

    def save_extra_event(self, message_id: str, event: Event) -> None:
        """Add a late event of a seeded message."""
        self.conn.execute("INSERT INTO extra_events VALUES (?, ?)", (message_id, orjson.dumps(event)))

    def save_batch(self, batch: SeedBatch) -> None:
        """Store a seeded batch (its send times as one blob)."""
        scope = {
            "account": batch.account,
            "region": batch.region,
            "configuration_sets": list(batch.configuration_sets),
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
            (
                batch.number,
                batch.seed,
                batch.from_address,
                orjson.dumps(batch.tags),
                batch.times.tobytes(),
                orjson.dumps(scope),
            ),
        )

    def clear_messages(self) -> None:
        """Delete every message, batch and late event."""
        self.conn.executescript(
            "DELETE FROM messages; DELETE FROM batches; DELETE FROM extra_events; DELETE FROM replies;"
        )

    def save_record(self, account: str, region: str, table: str, key: str, value: Any) -> None:
        """Store one resource record (``key`` is the JSON text of its key)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
            (account, region, table, key, orjson.dumps(value)),
        )

    def delete_record(self, account: str, region: str, table: str, key: str) -> None:
        """Delete one resource record."""
        self.conn.execute(
            "DELETE FROM records WHERE account = ? AND region = ? AND tbl = ? AND key = ?",
            (account, region, table, key),
        )

    def save_job(self, job: ExportJob) -> None:
        """Store an export job."""
        self.conn.execute(
            "INSERT OR REPLACE INTO jobs VALUES (?, ?)",
            (job.job_id, orjson.dumps({k: v for k, v in asdict(job).items() if k != "rows"})),
        )

    def close(self) -> None:
        """Checkpoint and close."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()
