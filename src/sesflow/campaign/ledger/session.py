"""One open connection to a ledger, and every statement the campaign code runs on it.

The SQL is written once with ``?`` placeholders in the dialect SQLite and PostgreSQL share; a backend
(``sqlite.py``, ``postgres.py``) supplies the connection, transactions, table names and the two statements
that differ: reserving rows (PostgreSQL skips rows other workers hold locked) and bulk loading.

A session belongs to one thread. The runner opens one for its main thread (reserve, expire, counts) and
one for its writer thread (claims and outcomes, group-committed).
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sesflow.campaign.ledger.records import (
    CampaignRecord,
    LedgerCounts,
    LedgerRow,
    Outcome,
    UnknownRow,
)
from sesflow.campaign.ledger.schema import INDEXES, TABLES

# SQLite allows 32,766 parameters per statement; claims and settles are chunked well below that.
CHUNK = 500

_CAMPAIGN_COLUMNS = "id, name, generation, fingerprint, content, settings, state, total, created_at"


class LedgerUnavailable(Exception):
    """The ledger database could not be reached or refused a statement (carries a readable message)."""


@dataclass(frozen=True)
class WorkerRecord:
    """A running worker as the ledger knows it: where it runs and when it last said it lives."""

    id: str
    host: str
    pid: int
    proc_start: str
    heartbeat_at: float


class LedgerSession(abc.ABC):
    """Statements on one connection. Each backend implements the abstract hooks."""

    kind: str = ""
    label: str = ""

    # -- hooks ---------------------------------------------------------------------------------------------

    @abc.abstractmethod
    def _table(self, name: str) -> str:
        """The qualified name of ledger table ``name`` (campaigns, recipients or workers)."""

    @abc.abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows (empty for statements without rows)."""

    @abc.abstractmethod
    def _changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement that returns no rows; how many rows it changed."""

    @abc.abstractmethod
    def _run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter tuple."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """A write transaction: committed (durably) when the block ends, rolled back on an exception."""

    @abc.abstractmethod
    def _reserve_sql(self) -> str:
        """UPDATE ... RETURNING seq, email, vars, taking free pending rows; (worker, campaign, limit)."""

    @abc.abstractmethod
    def bulk_insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert recipient rows (campaign_id, seq, email, email_key, vars, state, reason) in one go."""

    @abc.abstractmethod
    def is_unique_violation(self, exc: BaseException) -> bool:
        """True when ``exc`` is the database refusing a duplicate key."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # -- shared SQL ----------------------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.format(
            campaigns=self._table("campaigns"),
            recipients=self._table("recipients"),
            workers=self._table("workers"),
            prefix="sesflow_",
        )

    def ensure_schema(self) -> None:
        """Create the tables and indexes when missing."""
        with self.transaction():
            for statement in TABLES + INDEXES:
                self._run(self._sql(statement))

    def latest_campaign(self, name: str) -> CampaignRecord | None:
        """The newest generation of the campaign called ``name``, or None."""
        rows = self._run(
            self._sql(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM {{campaigns}} WHERE name = ? "
                "ORDER BY generation DESC LIMIT 1"
            ),
            (name,),
        )
        return _campaign(rows[0]) if rows else None

    def campaign(self, campaign_id: str) -> CampaignRecord | None:
        """The campaign with this id, or None."""
        rows = self._run(
            self._sql(f"SELECT {_CAMPAIGN_COLUMNS} FROM {{campaigns}} WHERE id = ?"), (campaign_id,)
        )
        return _campaign(rows[0]) if rows else None

    def campaigns(self) -> list[CampaignRecord]:
        """The newest generation of every campaign, by name."""
        rows = self._run(
            self._sql(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM {{campaigns}} c WHERE generation = "
                "(SELECT MAX(generation) FROM {campaigns} d WHERE d.name = c.name) ORDER BY name"
            )
        )
        return [_campaign(row) for row in rows]

    def insert_campaign(self, record: CampaignRecord) -> None:
        """Add a campaign row (inside the caller's transaction)."""
        self._run(
            self._sql(f"INSERT INTO {{campaigns}} ({_CAMPAIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (
                record.id,
                record.name,
                record.generation,
                record.fingerprint,
                record.content,
                record.settings,
                record.state,
                record.total,
                record.created_at,
            ),
        )

    def supersede(self, campaign_id: str) -> None:
        """Mark a campaign superseded by a newer generation (inside the caller's transaction)."""
        self._run(self._sql("UPDATE {campaigns} SET state = 'superseded' WHERE id = ?"), (campaign_id,))

    def set_campaign_state(self, campaign_id: str, state: str) -> None:
        """Mark a campaign active, cancelled or superseded."""
        with self.transaction():
            self._run(self._sql("UPDATE {campaigns} SET state = ? WHERE id = ?"), (state, campaign_id))

    def set_settings(self, campaign_id: str, settings: str) -> None:
        """Remember the settings of the latest run (rate, connections, SES endpoint...)."""
        with self.transaction():
            self._run(self._sql("UPDATE {campaigns} SET settings = ? WHERE id = ?"), (settings, campaign_id))

    def campaign_state(self, campaign_id: str) -> str | None:
        """The campaign's state now (a cancel from elsewhere shows here)."""
        rows = self._run(self._sql("SELECT state FROM {campaigns} WHERE id = ?"), (campaign_id,))
        return str(rows[0][0]) if rows else None

    def duplicates(self, campaign_id: str) -> list[tuple[int, str, int]]:
        """(seq, email, seq of its first occurrence) of every later row whose address came before."""
        rows = self._run(
            self._sql(
                "SELECT seq, email, first_seq FROM (SELECT seq, email, state, "
                "MIN(seq) OVER (PARTITION BY email_key) AS first_seq FROM {recipients} "
                "WHERE campaign_id = ? AND state <> 'skipped') d WHERE seq <> first_seq ORDER BY seq"
            ),
            (campaign_id,),
        )
        return [(int(seq), str(email), int(first)) for seq, email, first in rows]

    def skip(self, campaign_id: str, reasons: Sequence[tuple[int, str]]) -> None:
        """Mark rows skipped with their reason (inside the caller's transaction)."""
        self._run_many(
            self._sql(
                "UPDATE {recipients} SET state = 'skipped', reason = ? WHERE campaign_id = ? AND seq = ?"
            ),
            [(reason, campaign_id, seq) for seq, reason in reasons],
        )

    # -- workers -------------------------------------------------------------------------------------------

    def register_worker(
        self, worker: str, campaign_id: str, host: str, pid: int, proc_start: str, now: float
    ) -> None:
        """Record a worker as running on a campaign."""
        with self.transaction():
            self._run(
                self._sql(
                    "INSERT INTO {workers} (id, campaign_id, host, pid, proc_start, started_at, "
                    "heartbeat_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')"
                ),
                (worker, campaign_id, host, pid, proc_start, now, now),
            )

    def heartbeat(self, worker: str, now: float) -> bool:
        """Tell the others this worker lives; False when they have declared it dead (it must stop)."""
        rows = self._run(
            self._sql(
                "UPDATE {workers} SET heartbeat_at = ? WHERE id = ? AND state = 'running' RETURNING id"
            ),
            (now, worker),
        )
        return bool(rows)

    def running_workers(self, campaign_id: str) -> list[WorkerRecord]:
        """Workers that say they run this campaign."""
        rows = self._run(
            self._sql(
                "SELECT id, host, pid, proc_start, heartbeat_at FROM {workers} "
                "WHERE campaign_id = ? AND state = 'running'"
            ),
            (campaign_id,),
        )
        return [WorkerRecord(str(a), str(b), int(c), str(d), float(e)) for a, b, c, d, e in rows]

    def bury(self, campaign_id: str, workers: Sequence[str], now: float) -> tuple[int, int]:
        """Declare ``workers`` dead: their claimed rows become ``unknown`` (their requests may have reached
        SES), their reserved rows free again. Returns (unknown, freed)."""
        unknown = freed = 0
        with self.transaction():
            for worker in workers:
                gone = self._run(
                    self._sql(
                        "UPDATE {workers} SET state = 'dead' WHERE id = ? AND state = 'running' RETURNING id"
                    ),
                    (worker,),
                )
                if not gone:
                    continue
                unknown += len(
                    self._run(
                        self._sql(
                            "UPDATE {recipients} SET state = 'unknown', finished_at = ?, "
                            "reason = 'its worker stopped while the request was out' "
                            "WHERE campaign_id = ? AND worker = ? AND state = 'sending' RETURNING seq"
                        ),
                        (now, campaign_id, worker),
                    )
                )
                freed += len(
                    self._run(
                        self._sql(
                            "UPDATE {recipients} SET worker = NULL "
                            "WHERE campaign_id = ? AND worker = ? AND state = 'pending' RETURNING seq"
                        ),
                        (campaign_id, worker),
                    )
                )
        return unknown, freed

    def stop_worker(self, campaign_id: str, worker: str) -> None:
        """A worker leaving cleanly: its reserved rows go back, it is marked stopped."""
        with self.transaction():
            self._run(
                self._sql(
                    "UPDATE {recipients} SET worker = NULL "
                    "WHERE campaign_id = ? AND worker = ? AND state = 'pending'"
                ),
                (campaign_id, worker),
            )
            self._run(
                self._sql("UPDATE {workers} SET state = 'stopped' WHERE id = ? AND state = 'running'"),
                (worker,),
            )

    # -- sending -------------------------------------------------------------------------------------------

    def reserve(self, campaign_id: str, worker: str, limit: int) -> list[LedgerRow]:
        """Take up to ``limit`` free pending rows for ``worker`` (in row order); committed."""
        with self.transaction():
            return self._reserve_rows(campaign_id, worker, limit)

    def _reserve_rows(self, campaign_id: str, worker: str, limit: int) -> list[LedgerRow]:
        rows = self._run(self._sql(self._reserve_sql()), (worker, campaign_id, limit))
        return sorted((LedgerRow(int(seq), str(email), str(values)) for seq, email, values in rows), key=_seq)

    def commit_round(
        self,
        campaign_id: str,
        worker: str,
        outcomes: Sequence[Outcome],
        releases: Sequence[int],
        seqs: Sequence[int],
        now: float,
        beat: bool,
    ) -> tuple[set[int], bool]:
        """One commit of a worker's writer: its outcomes and releases, its heartbeat when ``beat``, then
        its claims unless the heartbeat found it declared dead. Returns (the seqs claimed, still alive)."""
        claimed: set[int] = set()
        alive = True
        with self.transaction():
            if outcomes:
                self.record(campaign_id, worker, outcomes)
            if releases:
                self.release(campaign_id, worker, releases)
            if beat:
                alive = self.heartbeat(worker, now)
            if seqs and alive:
                claimed = self.claim(campaign_id, worker, seqs, now)
        return claimed, alive

    def claim(self, campaign_id: str, worker: str, seqs: Sequence[int], now: float) -> set[int]:
        """Mark rows ``sending`` (inside the caller's transaction); the seqs that were still this worker's."""
        claimed: set[int] = set()
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            changed = self._claim_chunk(campaign_id, worker, chunk, now)
            if changed == len(set(chunk)):
                claimed.update(chunk)
                continue
            # Some rows were no longer this worker's: find the ones this statement claimed. (No RETURNING
            # above: SQLite hands back each returned row in its own step, a GIL round trip each.)
            rows = self._run(
                self._sql(
                    "SELECT seq FROM {recipients} WHERE campaign_id = ? AND worker = ? AND state = 'sending' "
                    f"AND attempted_at = ? AND seq IN ({marks})"
                ),
                (campaign_id, worker, now, *chunk),
            )
            claimed.update(int(row[0]) for row in rows)
        return claimed

    def _claim_chunk(self, campaign_id: str, worker: str, seqs: Sequence[int], now: float) -> int:
        """Make ``seqs`` (still this worker's) ``sending``; how many rows changed. Backends override it
        with one statement that finds each row by its key (see ``sqlite.py``)."""
        marks = ", ".join("?" * len(seqs))
        return self._changed(
            self._sql(
                "UPDATE {recipients} SET state = 'sending', attempts = attempts + 1, attempted_at = ?, "
                "first_attempt_at = COALESCE(first_attempt_at, ?) "
                "WHERE campaign_id = ? AND worker = ? AND state IN ('pending', 'sending') "
                f"AND seq IN ({marks})"
            ),
            (now, now, campaign_id, worker, *seqs),
        )

    def release(self, campaign_id: str, worker: str, seqs: Sequence[int]) -> None:
        """Claimed rows whose request SES certainly did not take: ``pending`` again, still reserved by
        ``worker`` (inside the caller's transaction)."""
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            self._run(
                self._sql(
                    "UPDATE {recipients} SET state = 'pending' WHERE campaign_id = ? AND worker = ? "
                    f"AND state = 'sending' AND seq IN ({marks})"
                ),
                (campaign_id, worker, *chunk),
            )

    def record(self, campaign_id: str, worker: str, outcomes: Sequence[Outcome]) -> None:
        """Write outcomes (inside the caller's transaction). A late answer for a row declared ``unknown``
        still counts: it is the truth."""
        self._run_many(
            self._sql(
                "UPDATE {recipients} SET state = ?, finished_at = ?, ses_message_id = ?, error_code = ?, "
                "reason = ?, retryable = ? "
                "WHERE campaign_id = ? AND seq = ? AND worker = ? "
                "AND state IN ('pending', 'sending', 'unknown')"
            ),
            [
                (
                    o.state,
                    o.at,
                    o.ses_message_id,
                    o.error_code,
                    o.reason,
                    1 if o.retryable else 0,
                    campaign_id,
                    o.seq,
                    worker,
                )
                for o in outcomes
            ],
        )

    def has_free(self, campaign_id: str) -> bool:
        """True while a ``pending`` row is free (reserved by no worker)."""
        rows = self._run(
            self._sql(
                "SELECT 1 FROM {recipients} "
                "WHERE campaign_id = ? AND state = 'pending' AND worker IS NULL LIMIT 1"
            ),
            (campaign_id,),
        )
        return bool(rows)

    def others_busy(self, campaign_id: str, worker: str) -> bool:
        """True while rows are reserved or claimed by other workers (they may yet come back free)."""
        rows = self._run(
            self._sql(
                "SELECT 1 FROM {recipients} WHERE campaign_id = ? AND state IN ('pending', 'sending') "
                "AND worker IS NOT NULL AND worker <> ? LIMIT 1"
            ),
            (campaign_id, worker),
        )
        return bool(rows)

    # -- reading and settling ------------------------------------------------------------------------------

    def counts(self, campaign_id: str, now: float) -> LedgerCounts:
        """Rows per state, retryable failures and the sends that finished in the last minute."""
        by_state = {
            str(state): int(count)
            for state, count in self._run(
                self._sql("SELECT state, COUNT(*) FROM {recipients} WHERE campaign_id = ? GROUP BY state"),
                (campaign_id,),
            )
        }
        retryable = self._run(
            self._sql(
                "SELECT COUNT(*) FROM {recipients} "
                "WHERE campaign_id = ? AND state = 'failed' AND retryable = 1"
            ),
            (campaign_id,),
        )[0][0]
        recent = self._run(
            self._sql(
                "SELECT COUNT(*), MIN(finished_at), MAX(finished_at) FROM {recipients} WHERE campaign_id = ? "
                "AND state IN ('sent', 'failed') AND finished_at >= ?"
            ),
            (campaign_id, now - 60.0),
        )[0]
        return LedgerCounts(
            by_state=by_state,
            retryable_failed=int(retryable or 0),
            finished_last_minute=int(recent[0] or 0),
            first_finished_last_minute=None if recent[1] is None else float(recent[1]),
            last_finished_last_minute=None if recent[2] is None else float(recent[2]),
        )

    def unknowns(self, campaign_id: str) -> list[UnknownRow]:
        """Every ``unknown`` row, oldest attempt first."""
        rows = self._run(
            self._sql(
                "SELECT seq, email, COALESCE(first_attempt_at, attempted_at, finished_at), "
                "COALESCE(attempted_at, finished_at) FROM {recipients} "
                "WHERE campaign_id = ? AND state = 'unknown' ORDER BY 4, 1"
            ),
            (campaign_id,),
        )
        return [UnknownRow(int(a), str(b), float(c or 0.0), float(d or 0.0)) for a, b, c, d in rows]

    def settle_sent(self, campaign_id: str, found: Sequence[tuple[int, str, float]]) -> int:
        """Unknown rows SES has: ``sent`` with the SES message id and send time. Returns how many."""
        with self.transaction():
            changed = 0
            for seq, ses_id, at in found:
                changed += len(
                    self._run(
                        self._sql(
                            "UPDATE {recipients} SET state = 'sent', ses_message_id = ?, finished_at = ?, "
                            "reason = 'found in SES by reconcile', error_code = NULL "
                            "WHERE campaign_id = ? AND seq = ? AND state = 'unknown' RETURNING seq"
                        ),
                        (ses_id, at, campaign_id, seq),
                    )
                )
        return changed

    def settle_absent(self, campaign_id: str, absent: Sequence[tuple[int, str]]) -> int:
        """Unknown rows SES's complete export lacks: ``pending`` again (safe to send). Returns how many."""
        with self.transaction():
            changed = 0
            for seq, reason in absent:
                changed += len(
                    self._run(
                        self._sql(
                            "UPDATE {recipients} SET state = 'pending', worker = NULL, "
                            "first_attempt_at = NULL, reason = ? "
                            "WHERE campaign_id = ? AND seq = ? AND state = 'unknown' RETURNING seq"
                        ),
                        (reason, campaign_id, seq),
                    )
                )
        return changed

    def retry_failed(self, campaign_id: str) -> int:
        """Retryable failures back to ``pending``. Returns how many."""
        with self.transaction():
            rows = self._run(
                self._sql(
                    "UPDATE {recipients} SET state = 'pending', worker = NULL, error_code = NULL, "
                    "reason = 'retry of a retryable failure' "
                    "WHERE campaign_id = ? AND state = 'failed' AND retryable = 1 RETURNING seq"
                ),
                (campaign_id,),
            )
        return len(rows)

    def rows(self, campaign_id: str, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
        """Every row of a campaign for publishing: (seq, email, state, reason, attempts, attempted_at,
        finished_at, ses_message_id, error_code, retryable), in row order, read in batches."""
        last = 0
        while True:
            found = self._run(
                self._sql(
                    "SELECT seq, email, state, reason, attempts, attempted_at, finished_at, ses_message_id, "
                    "error_code, retryable FROM {recipients} WHERE campaign_id = ? AND seq > ? "
                    "ORDER BY seq LIMIT ?"
                ),
                (campaign_id, last, batch),
            )
            if not found:
                return
            yield from found
            last = int(found[-1][0])


def _seq(row: LedgerRow) -> int:
    return row.seq


def _campaign(row: tuple[Any, ...]) -> CampaignRecord:
    return CampaignRecord(
        id=str(row[0]),
        name=str(row[1]),
        generation=int(row[2]),
        fingerprint=str(row[3]),
        content=str(row[4]),
        settings=str(row[5]),
        state=row[6],
        total=int(row[7]),
        created_at=float(row[8]),
    )


__all__ = ["CHUNK", "LedgerSession", "LedgerUnavailable", "WorkerRecord"]
