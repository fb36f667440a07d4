"""SQLite persistence for ``--data-dir``: messages, events, seeded batches, auto-replies, identities,
configuration sets, the suppression list and export jobs survive a restart. WAL mode; each change is written
as it happens.
"""

from __future__ import annotations

import sqlite3
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sesflow.emulator.autoreply import OPERATION
from sesflow.emulator.messages import Event, LiveMessage
from sesflow.emulator.seeding import SeedBatch
from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from sesflow.emulator.exports import ExportJob
    from sesflow.emulator.store import Store

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
"""


def _event(value: list[Any]) -> Event:
    return (float(value[0]), str(value[1]), str(value[2]), value[3])


class Database:
    """One SQLite file, ``DIR/emulator.sqlite3``, opened in WAL mode."""

    def __init__(self, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self.path = directory / "emulator.sqlite3"
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"--data-dir: cannot use {directory}: {exc}", hint="Give a writable directory."
            ) from None

    def load_into(self, store: Store) -> None:
        """Fill an empty store from the file."""
        from sesflow.emulator.exports import ExportJob

        rows = self.conn.execute(
            "SELECT id, sent_at, from_address, destinations, raw, operation, tags, configuration_set, events "
            "FROM messages ORDER BY sent_at"
        )
        for mid, sent_at, from_address, dests, raw, operation, tags, cset, events in rows:
            message = LiveMessage(
                mid,
                sent_at,
                from_address,
                tuple(orjson.loads(dests)),
                raw,
                operation,
                [(k, v) for k, v in orjson.loads(tags)],
                cset,
                [_event(e) for e in orjson.loads(events)],
            )
            store.live.append(message)
            store.live_times.append(sent_at)
            store.by_id[mid] = message
        for mid, sent_at, from_address, dests, raw, answered in self.conn.execute(
            "SELECT id, sent_at, from_address, destinations, raw, auto_reply_to FROM replies ORDER BY sent_at"
        ):
            reply = LiveMessage(
                mid, sent_at, from_address, tuple(orjson.loads(dests)), raw, OPERATION, auto_reply_to=answered
            )
            store.replies.append(reply)
            store.reply_times.append(sent_at)
            store.replies_by_id[mid] = reply
        for number, seed, from_address, tags, times in self.conn.execute(
            "SELECT number, seed, from_address, tags, times FROM batches ORDER BY number"
        ):
            store.batches.append(SeedBatch(number, seed, array("d", times), from_address, orjson.loads(tags)))
        for mid, event in self.conn.execute("SELECT message_id, event FROM extra_events"):
            store.extra_events.setdefault(mid, []).append(_event(orjson.loads(event)))
        for kind, key, value in self.conn.execute("SELECT kind, key, value FROM kv"):
            data = orjson.loads(value)
            if kind == "suppressed":
                store.suppressed[key] = (data[0], data[1])
            elif kind == "identities":
                store.identities[key] = (data[0], data[1])
            elif kind == "config_sets":
                store.config_sets[key] = data
        for (value,) in self.conn.execute("SELECT value FROM jobs"):
            job = ExportJob(**orjson.loads(value))
            store.jobs[job.job_id] = job
        store.jobs = dict(sorted(store.jobs.items(), key=lambda item: item[1].created_at))

    def save_message(self, m: LiveMessage) -> None:
        """Insert or replace a sent message with its events."""
        self.conn.execute(
            "INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        self.conn.execute(
            "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?)",
            (batch.number, batch.seed, batch.from_address, orjson.dumps(batch.tags), batch.times.tobytes()),
        )

    def clear_messages(self) -> None:
        """Delete every message, batch and late event."""
        self.conn.executescript(
            "DELETE FROM messages; DELETE FROM batches; DELETE FROM extra_events; DELETE FROM replies;"
        )

    def save_kv(self, kind: str, key: str, value: Any) -> None:
        """Store an account resource (identity, configuration set, suppressed address)."""
        self.conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (kind, key, orjson.dumps(value)))

    def delete_kv(self, kind: str, key: str) -> None:
        """Delete an account resource."""
        self.conn.execute("DELETE FROM kv WHERE kind = ? AND key = ?", (kind, key))

    def save_job(self, job: ExportJob) -> None:
        """Store an export job."""
        from dataclasses import asdict

        self.conn.execute(
            "INSERT OR REPLACE INTO jobs VALUES (?, ?)", (job.job_id, orjson.dumps(asdict(job)))
        )

    def close(self) -> None:
        """Checkpoint and close."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()
