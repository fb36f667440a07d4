"""Campaign outcomes in the database the sync writes to: the ``campaign_outcomes`` view.

One row per (campaign, recipient): the ledger's state, SES message id and error, joined on the SES message
id with the synced Message Insights: ``sent``, ``delivered``, ``bounced`` (and ``bounce_type``),
``complained``, ``opened``, ``clicked``, ``failed``, ``unknown`` (0 or 1 each, so ``SUM`` gives a funnel).

Where the ledger rows come from:

- a PostgreSQL ledger in the same database as the sync: read in place (``<ledger schema>.campaign_*``);
- otherwise (the SQLite ledger, or another database): ``publish`` copies the campaign's rows into
  ``<schema>.campaign_ledger`` in the target, replacing its earlier copy. ``send``, ``resume`` and
  ``reconcile`` publish when the campaign names a ``sync`` target; ``sesflow campaign outcomes`` does it on
  demand (after a sync brought new events, the view shows them with no republish).

In PostgreSQL the join with the synced tables goes through a function that builds its query when called, so
the view holds no dependency on ``ses_emails``/``ses_email_events``: a ``full-refresh`` sync may drop and
recreate them. In DuckDB a view binds its tables by name when queried, so it is a plain view; before the
first sync it is built over the ledger alone (and rebuilt by the next publish).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sesflow.campaign.ledger import CampaignRecord, LedgerLocation, LedgerSession
from sesflow.campaign.target import SyncTarget, TargetDatabase, open_target, quote

LEDGER_COPY = "campaign_ledger"
_COPY_NAMES = (
    "campaign",
    "campaign_id",
    "generation",
    "seq",
    "email",
    "state",
    "reason",
    "attempts",
    "attempted_at",
    "finished_at",
    "ses_message_id",
    "error_code",
    "retryable",
)
VIEW = "campaign_outcomes"
FLAGS_FUNCTION = "campaign_message_flags"

_COPY_COLUMNS = (
    "campaign TEXT, campaign_id TEXT, generation INTEGER, seq INTEGER, email TEXT, state TEXT, reason TEXT, "
    "attempts INTEGER, attempted_at DOUBLE PRECISION, finished_at DOUBLE PRECISION, ses_message_id TEXT, "
    "error_code TEXT, retryable INTEGER"
)

# Per message: which events it had. Counted once per message, as the delivery report counts.
_FLAGS_FROM_EVENTS = """
    SELECT CAST(messageid AS TEXT) AS messageid,
        MAX(CASE WHEN UPPER(type) = 'DELIVERY' THEN 1 ELSE 0 END) AS delivered,
        MAX(CASE WHEN UPPER(type) = 'BOUNCE' THEN 1 ELSE 0 END) AS bounced,
        MAX(CASE WHEN UPPER(type) = 'BOUNCE' THEN
            CASE WHEN UPPER(CAST(details AS TEXT)) LIKE '%PERMANENT%' THEN 'PERMANENT'
                 WHEN UPPER(CAST(details AS TEXT)) LIKE '%TRANSIENT%' THEN 'TRANSIENT'
                 ELSE 'UNDETERMINED' END END) AS bounce_type,
        MAX(CASE WHEN UPPER(type) = 'COMPLAINT' THEN 1 ELSE 0 END) AS complained,
        MAX(CASE WHEN UPPER(type) = 'OPEN' THEN 1 ELSE 0 END) AS opened,
        MAX(CASE WHEN UPPER(type) = 'CLICK' THEN 1 ELSE 0 END) AS clicked
    FROM {events} WHERE messageid IN (SELECT ses_message_id FROM {ledger} AS ledger_rows) GROUP BY messageid
"""

_FLAGS_FROM_EMAILS = """
    SELECT CAST(messageid AS TEXT) AS messageid,
        CASE WHEN UPPER(lastdeliveryevent) IN ('DELIVERY', 'COMPLAINT') THEN 1 ELSE 0 END AS delivered,
        CASE WHEN UPPER(lastdeliveryevent) LIKE '%BOUNCE' THEN 1 ELSE 0 END AS bounced,
        CASE WHEN UPPER(lastdeliveryevent) LIKE '%BOUNCE'
            THEN REPLACE(UPPER(lastdeliveryevent), '_BOUNCE', '') END AS bounce_type,
        CASE WHEN UPPER(lastdeliveryevent) = 'COMPLAINT' THEN 1 ELSE 0 END AS complained,
        CASE WHEN UPPER(lastengagementevent) IN ('OPEN', 'CLICK') THEN 1 ELSE 0 END AS opened,
        CASE WHEN UPPER(lastengagementevent) = 'CLICK' THEN 1 ELSE 0 END AS clicked
    FROM {emails} WHERE messageid IN (SELECT ses_message_id FROM {ledger} AS ledger_rows)
"""

_NO_FLAGS = """
    SELECT CAST(NULL AS TEXT) AS messageid, 0 AS delivered, 0 AS bounced, CAST(NULL AS TEXT) AS bounce_type,
        0 AS complained, 0 AS opened, 0 AS clicked WHERE 1 = 0
"""

_VIEW = """
    CREATE OR REPLACE VIEW {view} AS
    SELECT l.campaign, l.campaign_id, l.generation, l.seq AS row_number, l.email AS recipient, l.state,
        l.ses_message_id, to_timestamp(l.attempted_at) AS attempted_at,
        to_timestamp(l.finished_at) AS finished_at,
        l.error_code, l.reason, l.attempts,
        CASE WHEN l.state = 'sent' THEN 1 ELSE 0 END AS sent,
        COALESCE(f.delivered, 0) AS delivered,
        COALESCE(f.bounced, 0) AS bounced,
        f.bounce_type,
        COALESCE(f.complained, 0) AS complained,
        COALESCE(f.opened, 0) AS opened,
        COALESCE(f.clicked, 0) AS clicked,
        CASE WHEN l.state = 'failed' THEN 1 ELSE 0 END AS failed,
        CASE WHEN l.state IN ('unknown', 'sending') THEN 1 ELSE 0 END AS unknown,
        CASE WHEN l.state = 'skipped' THEN 1 ELSE 0 END AS skipped,
        CASE WHEN l.state = 'pending' THEN 1 ELSE 0 END AS pending
    FROM {ledger} AS l LEFT JOIN {flags} AS f ON f.messageid = l.ses_message_id
"""

# The ledger read in place from a PostgreSQL ledger in the same database (names come from campaigns).
_LEDGER_IN_PLACE = """
    (SELECT c.name AS campaign, r.campaign_id, c.generation, r.seq, r.email, r.state, r.reason, r.attempts,
        r.attempted_at, r.finished_at, r.ses_message_id, r.error_code, r.retryable
     FROM {recipients} r JOIN {campaigns} c ON c.id = r.campaign_id WHERE c.state <> 'superseded')
"""

_PG_FUNCTION = """
    CREATE OR REPLACE FUNCTION {function}() RETURNS TABLE (messageid TEXT, delivered INTEGER, bounced INTEGER,
        bounce_type TEXT, complained INTEGER, opened INTEGER, clicked INTEGER)
    LANGUAGE plpgsql STABLE AS $body$
    BEGIN
        -- Built at call time: the view depends on no synced table, so a sync may drop and recreate them.
        IF to_regclass({events_name}) IS NOT NULL THEN
            RETURN QUERY EXECUTE {events_query};
        ELSIF to_regclass({emails_name}) IS NOT NULL THEN
            RETURN QUERY EXECUTE {emails_query};
        END IF;
    END
    $body$
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Published:
    """Where the outcomes are: the view's name, and the ledger rows copied (0 when read in place)."""

    view: str
    copied: int


def _same_database(location: LedgerLocation, target: SyncTarget) -> bool:
    if location.kind != "postgres" or target.kind != "postgres":
        return False
    from psycopg.conninfo import conninfo_to_dict

    def key(dsn: str) -> tuple[str, str, str]:
        params = conninfo_to_dict(dsn)
        return (str(params.get("host", "")), str(params.get("port", "5432")), str(params.get("dbname", "")))

    return key(location.target) == key(target.location)


def _flags_sql(db: TargetDatabase, schema: str, ledger: str) -> str:
    tables = db.tables(schema)
    if "ses_email_events" in tables:
        return "(" + _FLAGS_FROM_EVENTS.format(events=quote(schema, "ses_email_events"), ledger=ledger) + ")"
    if "ses_emails" in tables:
        return "(" + _FLAGS_FROM_EMAILS.format(emails=quote(schema, "ses_emails"), ledger=ledger) + ")"
    return "(" + _NO_FLAGS + ")"


def _create_view(db: TargetDatabase, schema: str, ledger: str) -> str:
    view = quote(schema, VIEW)
    if db.kind == "postgres":
        function = quote(schema, FLAGS_FUNCTION)
        db.run(
            _PG_FUNCTION.format(
                function=function,
                events_name=_literal(quote(schema, "ses_email_events")),
                emails_name=_literal(quote(schema, "ses_emails")),
                events_query=_literal(
                    _FLAGS_FROM_EVENTS.format(events=quote(schema, "ses_email_events"), ledger=ledger)
                ),
                emails_query=_literal(
                    _FLAGS_FROM_EMAILS.format(emails=quote(schema, "ses_emails"), ledger=ledger)
                ),
            )
        )
        flags = f"{function}()"
    else:
        flags = _flags_sql(db, schema, ledger)
    db.run(_VIEW.format(view=view, ledger=ledger, flags=flags))
    return f"{schema}.{VIEW}"


def _copy_rows(db: TargetDatabase, table: str, record: CampaignRecord, session: LedgerSession) -> int:
    copied = 0
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        db.append(table, _COPY_NAMES, batch)
        batch.clear()

    for seq, email, state, reason, attempts, attempted, finished, ses_id, code, retryable in session.rows(
        record.id
    ):
        batch.append(
            (
                record.name,
                record.id,
                record.generation,
                seq,
                email,
                state,
                reason,
                attempts,
                attempted,
                finished,
                ses_id,
                code,
                retryable,
            )
        )
        copied += 1
        if len(batch) >= 5000:
            flush()
    flush()
    return copied


def publish(
    location: LedgerLocation, session: LedgerSession, records: Sequence[CampaignRecord], target: SyncTarget
) -> Published:
    """Make ``<schema>.campaign_outcomes`` in ``target`` show ``records`` (copying their rows if needed)."""
    schema = target.schema
    with open_target(target) as db:
        db.run(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        if _same_database(location, target):
            ledger = _LEDGER_IN_PLACE.format(
                recipients=f"{quote(location.schema)}.campaign_recipients",
                campaigns=f"{quote(location.schema)}.campaigns",
            )
            return Published(_create_view(db, schema, ledger), 0)
        table = quote(schema, LEDGER_COPY)
        copied = 0
        with db.transaction():
            db.run(f"CREATE TABLE IF NOT EXISTS {table} ({_COPY_COLUMNS})")
            for record in records:
                db.run(f"DELETE FROM {table} WHERE campaign = ?", (record.name,))
                copied += _copy_rows(db, table, record, session)
        return Published(_create_view(db, schema, table), copied)


__all__ = ["LEDGER_COPY", "VIEW", "Published", "publish"]
