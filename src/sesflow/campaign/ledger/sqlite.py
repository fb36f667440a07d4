"""The embedded ledger: one SQLite file in WAL mode, beside the campaign file by default.

Durability: every write transaction commits with ``synchronous=FULL``, so a claim is on disk (not only in
the page cache) before its request starts, and survives a power cut as well as a SIGKILL. WAL lets status
readers run while a worker writes, and several processes can share the file (writers take turns; a busy
file is waited for up to 30 s).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sesflow.campaign.ledger.records import LedgerRow, Outcome
from sesflow.campaign.ledger.session import CHUNK, LedgerSession, LedgerUnavailable

_TABLES = {
    "campaigns": "sesflow_campaigns",
    "recipients": "sesflow_campaign_recipients",
    "workers": "sesflow_campaign_workers",
}


_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: str) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path, threading.Lock())


class SqliteSession(LedgerSession):
    """One connection to an SQLite ledger file (or ``:memory:`` for a dry run)."""

    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.label = path
        self.path = path
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE) so that a reader never
            # holds a stale snapshot and a writer takes the write lock before it reads what it will change.
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"cannot open the SQLite ledger {path}: {exc}") from None

    def _table(self, name: str) -> str:
        return _TABLES[name]

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"the SQLite ledger {self.path} refused a statement: {exc}") from None

    def _changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return int(self._db.execute(sql, tuple(params)).rowcount)
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"the SQLite ledger {self.path} refused a statement: {exc}") from None

    def record(self, campaign_id: str, worker: str, outcomes: Sequence[Outcome]) -> None:
        # One UPDATE ... FROM (VALUES ...) for the batch: executemany would release and retake the GIL
        # once per row, and under a busy sending pool each retake can wait milliseconds.
        for start in range(0, len(outcomes), 200):
            chunk = outcomes[start : start + 200]
            values = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
            params: list[Any] = []
            for o in chunk:
                params += [o.seq, o.state, o.at, o.ses_message_id, o.error_code, o.reason, int(o.retryable)]
            table = self._table("recipients")
            self._changed(
                f"UPDATE {table} SET state = v.column2, finished_at = v.column3, ses_message_id = v.column4, "
                "error_code = v.column5, reason = v.column6, retryable = v.column7 "
                f"FROM (VALUES {values}) AS v WHERE {table}.campaign_id = ? AND {table}.seq = v.column1 "
                f"AND {table}.worker = ? AND {table}.state IN ('pending', 'sending', 'unknown')",
                (*params, campaign_id, worker),
            )

    def _claim_chunk(self, campaign_id: str, worker: str, seqs: Sequence[int], now: float) -> int:
        # The rows come from json_each and are found by the primary key: with ``seq IN (...)`` SQLite
        # chose the worker index and walked every row this worker had reserved, for every claim.
        table = self._table("recipients")
        return self._changed(
            f"UPDATE {table} SET state = 'sending', attempts = attempts + 1, attempted_at = ?, "
            "first_attempt_at = COALESCE(first_attempt_at, ?) "
            "FROM (SELECT DISTINCT value AS seq FROM json_each(?)) AS c "
            f"WHERE {table}.campaign_id = ? AND {table}.seq = c.seq AND {table}.worker = ? "
            f"AND {table}.state IN ('pending', 'sending')",
            (now, now, json.dumps(list(seqs)), campaign_id, worker),
        )

    def _run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        try:
            self._db.executemany(sql, (tuple(p) for p in params))
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"the SQLite ledger {self.path} refused a statement: {exc}") from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # Sessions of one process on one file take turns on a Python lock first: a thread that found the
        # file locked would otherwise sleep in SQLite's busy handler (1 ms, 2 ms, 5 ms, ...) after the other
        # thread is long done, which made every commit of the writer thread wait about 5 ms.
        with _file_lock(self.path):
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LedgerUnavailable(f"the SQLite ledger {self.path} is not writable: {exc}") from None
            try:
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise LedgerUnavailable(f"the SQLite ledger {self.path} could not commit: {exc}") from None

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._transaction()

    def reserve(self, campaign_id: str, worker: str, limit: int) -> list[LedgerRow]:
        # The rows come back as one JSON text (one SQLite step), then are taken with one UPDATE: fetching
        # them row by row would release and retake the GIL per row, and with the sending threads busy each
        # retake can wait milliseconds while the Mailer runs out of messages. The write lock (BEGIN
        # IMMEDIATE) keeps another worker from taking them in between.
        table = self._table("recipients")
        with self.transaction():
            found = self._run(
                "SELECT json_group_array(json_array(seq, email, vars)) FROM (SELECT seq, email, vars FROM "
                f"{table} WHERE campaign_id = ? AND state = 'pending' AND worker IS NULL "
                "ORDER BY seq LIMIT ?)",
                (campaign_id, limit),
            )
            rows = json.loads(found[0][0]) if found and found[0][0] else []
            for start in range(0, len(rows), CHUNK):
                seqs = [row[0] for row in rows[start : start + CHUNK]]
                marks = ", ".join("?" * len(seqs))
                self._changed(
                    f"UPDATE {table} SET worker = ? WHERE campaign_id = ? AND seq IN ({marks})",
                    (worker, campaign_id, *seqs),
                )
        return [LedgerRow(int(seq), str(email), str(values)) for seq, email, values in rows]

    def _reserve_sql(self) -> str:
        # One writer at a time holds the file, so a plain sub-select cannot hand a row to two workers.
        return (
            "UPDATE {recipients} SET worker = ?1 WHERE campaign_id = ?2 AND seq IN ("
            "SELECT seq FROM {recipients} WHERE campaign_id = ?2 AND state = 'pending' AND worker IS NULL "
            "ORDER BY seq LIMIT ?3) RETURNING seq, email, vars"
        )

    def bulk_insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self._run_many(
            self._sql(
                "INSERT INTO {recipients} (campaign_id, seq, email, email_key, vars, state, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            rows,
        )

    def is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


__all__ = ["SqliteSession"]
