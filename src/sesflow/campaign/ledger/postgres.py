"""The shared ledger: PostgreSQL, for several processes or Celery workers sending one campaign.

Workers reserve rows with ``SELECT ... FOR UPDATE SKIP LOCKED``, so two never take the same row and none
waits for another's transaction. Tables live in their own schema (``sesflow`` by default), so the ledger can
sit in the database the sync loads into: the outcomes view then joins them in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sesflow.campaign.ledger.records import LedgerRow, Outcome
from sesflow.campaign.ledger.schema import INDEXES, TABLES
from sesflow.campaign.ledger.session import CHUNK, LedgerSession, LedgerUnavailable

# Outcomes of a batch (one array per column, after the seqs: the campaign and the worker), and claims of a
# batch of seqs (params: attempted at twice, the seqs, the campaign, the worker); rows found by the key.
_RECORD_OUTCOMES = (
    "UPDATE {recipients} r SET state = v.state, finished_at = v.at, ses_message_id = v.mid, "
    "error_code = v.code, reason = v.reason, retryable = v.retryable "
    "FROM unnest(?::integer[], ?::text[], ?::double precision[], ?::text[], ?::text[], "
    "?::text[], ?::integer[]) AS v(seq, state, at, mid, code, reason, retryable) "
    "WHERE r.campaign_id = ? AND r.seq = v.seq AND r.worker = ? "
    "AND r.state IN ('pending', 'sending', 'unknown')"
)
_CLAIM_ROWS = (
    "UPDATE {recipients} r SET state = 'sending', attempts = r.attempts + 1, attempted_at = ?, "
    "first_attempt_at = COALESCE(r.first_attempt_at, ?) "
    "FROM (SELECT DISTINCT unnest(?::integer[]) AS seq) c "
    "WHERE r.campaign_id = ? AND r.seq = c.seq AND r.worker = ? "
    "AND r.state IN ('pending', 'sending')"
)
_TABLES = {"campaigns": "campaigns", "recipients": "campaign_recipients", "workers": "campaign_workers"}
# Any constant both sides agree on: creating the tables is serialised across workers starting together.
_SCHEMA_LOCK = 0x5E5F10
APPLICATION_NAME = "sesflow-campaign"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresSession(LedgerSession):
    """One connection to a PostgreSQL ledger (tables in ``schema``)."""

    kind = "postgres"

    def __init__(self, dsn: str, label: str, schema: str = "sesflow") -> None:
        import psycopg

        self.label = label
        self.schema = schema
        self._psycopg = psycopg
        try:
            # The application name lets a DBA see (and a test cut off) the ledger's connections.
            self._db = psycopg.connect(
                dsn, autocommit=True, connect_timeout=10, application_name=APPLICATION_NAME
            )
        except psycopg.Error as exc:
            raise LedgerUnavailable(
                f"cannot connect to the PostgreSQL ledger {label}: {_first_line(exc)}"
            ) from None

    def _table(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_TABLES[name]}"

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        psycopg = self._psycopg
        try:
            with self._db.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s").encode(), tuple(params))
                return list(cursor.fetchall()) if cursor.description is not None else []
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as exc:
            raise LedgerUnavailable(f"the PostgreSQL ledger {self.label}: {_first_line(exc)}") from None

    def _changed(self, sql: str, params: Sequence[Any] = ()) -> int:
        psycopg = self._psycopg
        try:
            with self._db.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s").encode(), tuple(params))
                return int(cursor.rowcount)
        except psycopg.Error as exc:
            raise LedgerUnavailable(f"the PostgreSQL ledger {self.label}: {_first_line(exc)}") from None

    def _run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        psycopg = self._psycopg
        try:
            with self._db.cursor() as cursor:
                # psycopg 3 pipelines executemany: one round trip for the whole batch.
                cursor.executemany(sql.replace("?", "%s").encode(), [tuple(p) for p in params])
        except psycopg.Error as exc:
            raise LedgerUnavailable(f"the PostgreSQL ledger {self.label}: {_first_line(exc)}") from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        psycopg = self._psycopg
        try:
            with self._db.transaction():
                yield
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as exc:
            raise LedgerUnavailable(f"the PostgreSQL ledger {self.label}: {_first_line(exc)}") from None

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._transaction()

    def ensure_schema(self) -> None:
        with self.transaction():
            self._run("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            self._run(f"CREATE SCHEMA IF NOT EXISTS {_quote(self.schema)}")
            for statement in TABLES + INDEXES:
                self._run(self._sql(statement))

    def _reserve_sql(self) -> str:
        # SKIP LOCKED: rows another worker is reserving right now are passed over, not waited for.
        return (
            "UPDATE {recipients} r SET worker = ? FROM ("
            "SELECT campaign_id, seq FROM {recipients} WHERE campaign_id = ? AND state = 'pending' "
            "AND worker IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED) free "
            "WHERE r.campaign_id = free.campaign_id AND r.seq = free.seq RETURNING r.seq, r.email, r.vars"
        )

    def _claim_chunk(self, campaign_id: str, worker: str, seqs: Sequence[int], now: float) -> int:
        # One statement with the seqs as one array parameter: found by the primary key.
        return self._changed(
            self._sql(_CLAIM_ROWS),
            (now, now, list(seqs), campaign_id, worker),
        )

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
        # One statement (its own transaction, in autocommit) instead of BEGIN, three statements and COMMIT:
        # one round trip per commit. Not when a row would be changed twice in it (a release, or the outcome
        # of a row claimed in the same round): the statement's parts all see the same snapshot.
        if releases or len(seqs) > CHUNK or (not seqs and not beat and not outcomes):
            return super().commit_round(campaign_id, worker, outcomes, releases, seqs, now, beat)
        if seqs and outcomes:
            wanted = set(seqs)
            if any(o.seq in wanted for o in outcomes):
                return super().commit_round(campaign_id, worker, outcomes, releases, seqs, now, beat)
        rows = self._run(
            self._sql(
                f"WITH rec AS ({_RECORD_OUTCOMES} RETURNING 1), "
                "hb AS (UPDATE {workers} SET heartbeat_at = ? WHERE ? AND id = ? AND state = 'running' "
                "RETURNING 1), "
                f"cl AS ({_CLAIM_ROWS} AND (NOT ? OR EXISTS (SELECT 1 FROM hb)) RETURNING r.seq) "
                "SELECT (SELECT count(*) FROM rec), (SELECT count(*) FROM hb), ARRAY(SELECT seq FROM cl)"
            ),
            (
                *self._outcome_arrays(outcomes),
                campaign_id,
                worker,
                now,
                beat,
                worker,
                now,
                now,
                list(seqs),
                campaign_id,
                worker,
                beat,
            ),
        )
        _, beats, claimed = rows[0]
        return {int(seq) for seq in claimed}, not beat or bool(beats)

    @staticmethod
    def _outcome_arrays(outcomes: Sequence[Outcome]) -> tuple[list[Any], ...]:
        return (
            [o.seq for o in outcomes],
            [o.state for o in outcomes],
            [o.at for o in outcomes],
            [o.ses_message_id for o in outcomes],
            [o.error_code for o in outcomes],
            [o.reason for o in outcomes],
            [1 if o.retryable else 0 for o in outcomes],
        )

    def record(self, campaign_id: str, worker: str, outcomes: Sequence[Outcome]) -> None:
        # One statement for the batch (arrays, one per column): executemany costs a Python round per row.
        if not outcomes:
            return
        self._changed(
            self._sql(_RECORD_OUTCOMES),
            (*self._outcome_arrays(outcomes), campaign_id, worker),
        )

    def reserve(self, campaign_id: str, worker: str, limit: int) -> list[LedgerRow]:
        # The one statement is its own transaction (autocommit): one round trip, not BEGIN and COMMIT too.
        return self._reserve_rows(campaign_id, worker, limit)

    def bulk_insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        psycopg = self._psycopg
        statement = self._sql(
            "COPY {recipients} (campaign_id, seq, email, email_key, vars, state, reason) FROM STDIN"
        )
        try:
            with self._db.cursor() as cursor, cursor.copy(statement.encode()) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise LedgerUnavailable(f"the PostgreSQL ledger {self.label}: {_first_line(exc)}") from None

    def is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.errors.UniqueViolation)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()


__all__ = ["APPLICATION_NAME", "PostgresSession"]
