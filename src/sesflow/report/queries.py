"""Read a synced Message Insights dataset and reduce it to a ``ReportData``.

One ``GROUPING SETS`` query computes the per-day series and every breakdown in a single pass; a second one
finds the recipients with the most bounces and complaints. The SQL is the subset DuckDB and PostgreSQL
share, so both give the same report. JSON columns (tags, bounce details) are read as text and decoded here,
which keeps the SQL portable and the key spelling forgiving.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sesflow.errors import ConfigError
from sesflow.report.database import Database
from sesflow.report.model import Counts, DayCounts, GroupCounts, RecipientTrouble, ReportData

EMAILS_TABLE = "ses_emails"
EVENTS_TABLE = "ses_email_events"
TOP_GROUPS = 15
TOP_RECIPIENTS = 20
# Tags whose value differs for every message (a campaign's ledger id): a group each would say nothing.
PER_MESSAGE_TAGS = frozenset({"sesflow_id"})

_EVENT_FLAGS = """
    SELECT messageid,
        MAX(CASE WHEN UPPER(type) = 'DELIVERY' THEN 1 ELSE 0 END) AS delivered,
        MAX(CASE WHEN UPPER(type) = 'BOUNCE' THEN 1 ELSE 0 END) AS bounced,
        MAX(CASE WHEN UPPER(type) = 'COMPLAINT' THEN 1 ELSE 0 END) AS complained,
        MAX(CASE WHEN UPPER(type) = 'OPEN' THEN 1 ELSE 0 END) AS opened,
        MAX(CASE WHEN UPPER(type) = 'CLICK' THEN 1 ELSE 0 END) AS clicked,
        MAX(CASE WHEN UPPER(type) = 'BOUNCE' THEN CAST(details AS TEXT) END) AS bounce_details
    FROM {events}
    GROUP BY messageid
"""

# Without an events table (a sync that loaded no event yet), the last-event columns are the best we have.
_LAST_EVENT_FLAGS = """
    SELECT messageid,
        CASE WHEN UPPER(lastdeliveryevent) IN ('DELIVERY', 'COMPLAINT') THEN 1 ELSE 0 END AS delivered,
        CASE WHEN UPPER(lastdeliveryevent) LIKE '%BOUNCE' THEN 1 ELSE 0 END AS bounced,
        CASE WHEN UPPER(lastdeliveryevent) = 'COMPLAINT' THEN 1 ELSE 0 END AS complained,
        CASE WHEN UPPER(lastengagementevent) IN ('OPEN', 'CLICK') THEN 1 ELSE 0 END AS opened,
        CASE WHEN UPPER(lastengagementevent) = 'CLICK' THEN 1 ELSE 0 END AS clicked,
        CASE WHEN UPPER(lastdeliveryevent) LIKE '%BOUNCE' THEN CAST(lastdeliveryevent AS TEXT) END
            AS bounce_details
    FROM {emails}
"""

_GROUPED = """
    WITH e AS ({flags}),
    f AS (
        SELECT CAST(m.sendtimestamp AS DATE) AS day,
            COALESCE(CAST(m.isp AS TEXT), '') AS isp,
            COALESCE(CAST(m.fromemailaddress AS TEXT), '') AS sender,
            CAST(m.emailtags AS TEXT) AS tags,
            e.bounce_details,
            COALESCE(e.delivered, 0) AS delivered,
            COALESCE(e.bounced, 0) AS bounced,
            COALESCE(e.complained, 0) AS complained,
            COALESCE(e.opened, 0) AS opened,
            COALESCE(e.clicked, 0) AS clicked
        FROM {emails} AS m LEFT JOIN e ON e.messageid = m.messageid
        {where}
    )
    SELECT GROUPING(day, isp, sender, tags, bounce_details) AS g,
        day, isp, sender, tags, bounce_details,
        COUNT(*), SUM(delivered), SUM(bounced), SUM(complained), SUM(opened), SUM(clicked)
    FROM f
    GROUP BY GROUPING SETS ((day), (isp), (sender), (tags), (bounce_details), ())
"""

_RECIPIENTS = """
    SELECT COALESCE(CAST(ev.destination AS TEXT), CAST(m.destination AS TEXT), '') AS address,
        SUM(CASE WHEN UPPER(ev.type) = 'BOUNCE' THEN 1 ELSE 0 END) AS bounces,
        SUM(CASE WHEN UPPER(ev.type) = 'COMPLAINT' THEN 1 ELSE 0 END) AS complaints,
        MAX(ev.timestamp) AS last_event
    FROM {events} AS ev JOIN {emails} AS m ON m.messageid = ev.messageid
    WHERE UPPER(ev.type) IN ('BOUNCE', 'COMPLAINT') {and_since}
    GROUP BY 1
    ORDER BY SUM(CASE WHEN UPPER(ev.type) IN ('BOUNCE', 'COMPLAINT') THEN 1 ELSE 0 END) DESC, 1
    LIMIT {limit}
"""

_LAST_EVENT_RECIPIENTS = """
    SELECT COALESCE(CAST(m.destination AS TEXT), '') AS address,
        SUM(CASE WHEN UPPER(m.lastdeliveryevent) LIKE '%BOUNCE' THEN 1 ELSE 0 END) AS bounces,
        SUM(CASE WHEN UPPER(m.lastdeliveryevent) = 'COMPLAINT' THEN 1 ELSE 0 END) AS complaints,
        MAX(m.sendtimestamp) AS last_event
    FROM {emails} AS m
    WHERE (UPPER(m.lastdeliveryevent) LIKE '%BOUNCE' OR UPPER(m.lastdeliveryevent) = 'COMPLAINT') {and_since}
    GROUP BY 1
    ORDER BY COUNT(*) DESC, 1
    LIMIT {limit}
"""

# GROUPING(day, isp, sender, tags, bounce_details): a bit is set for each column NOT grouped on.
_BY_DAY, _BY_ISP, _BY_SENDER, _BY_TAGS, _BY_BOUNCE, _TOTAL = (
    0b01111,
    0b10111,
    0b11011,
    0b11101,
    0b11110,
    0b11111,
)


def read_report(db: Database, *, schema: str = "ses", since: dt.datetime | None = None) -> ReportData:
    """Compute the report for the messages in ``schema`` sent at or after ``since`` (all when None)."""
    tables = db.tables(schema)
    if EMAILS_TABLE not in tables:
        raise ConfigError(
            f"{db.label} has no table {schema}.{EMAILS_TABLE}",
            hint="Sync Message Insights into it first, or pass --schema with the dataset the sync used.",
        )
    emails = db.table(schema, EMAILS_TABLE)
    events = db.table(schema, EVENTS_TABLE) if EVENTS_TABLE in tables else None
    since_sql = _timestamp_literal(since) if since is not None else None
    where = f"WHERE m.sendtimestamp >= {since_sql}" if since_sql else ""
    and_since = f"AND m.sendtimestamp >= {since_sql}" if since_sql else ""

    flags = (
        _EVENT_FLAGS.format(events=events) if events else _LAST_EVENT_FLAGS.format(emails=emails)
    ).strip()
    grouped = db.rows(_GROUPED.format(flags=flags, emails=emails, where=where))
    recipients_sql = _RECIPIENTS if events else _LAST_EVENT_RECIPIENTS
    trouble = db.rows(
        recipients_sql.format(events=events, emails=emails, and_since=and_since, limit=TOP_RECIPIENTS)
    )

    totals = Counts()
    days: list[DayCounts] = []
    isps: list[GroupCounts] = []
    senders: list[GroupCounts] = []
    tag_sets: list[tuple[str | None, Counts]] = []
    bounces: dict[str, int] = defaultdict(int)
    for g, day, isp, sender, tags, bounce_details, *numbers in grouped:
        counts = Counts(*(int(n or 0) for n in numbers))
        if g == _TOTAL:
            totals = counts
        elif g == _BY_DAY and day is not None:
            days.append(DayCounts(_as_date(day), counts))
        elif g == _BY_ISP:
            isps.append(GroupCounts(isp or "(unknown)", counts))
        elif g == _BY_SENDER:
            senders.append(GroupCounts(sender or "(unknown)", counts))
        elif g == _BY_TAGS:
            tag_sets.append((tags, counts))
        elif g == _BY_BOUNCE and bounce_details is not None and counts.bounced:
            bounces[bounce_type(bounce_details)] += counts.bounced

    return ReportData(
        source=db.label,
        schema=schema,
        since=since,
        totals=totals,
        bounces_by_type=tuple(sorted(bounces.items(), key=lambda item: (-item[1], item[0]))),
        days=tuple(sorted(days, key=lambda d: d.day)),
        by_isp=_top(isps),
        by_tag=_top(_tag_groups(tag_sets)),
        by_from=_top(senders),
        recipients=tuple(
            RecipientTrouble(str(address), int(b or 0), int(c or 0), _as_utc(last))
            for address, b, c, last in trouble
        ),
    )


def _timestamp_literal(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return "TIMESTAMPTZ '" + moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00") + "'"


def _top(groups: Iterable[GroupCounts]) -> tuple[GroupCounts, ...]:
    ordered = sorted(groups, key=lambda g: (-g.counts.sent, g.key))
    return tuple(ordered[:TOP_GROUPS])


def _tag_groups(tag_sets: Iterable[tuple[str | None, Counts]]) -> list[GroupCounts]:
    per_tag: dict[str, Counts] = defaultdict(Counts)
    for text, counts in tag_sets:
        for name, value in parse_tags(text):
            if name not in PER_MESSAGE_TAGS:
                per_tag[f"{name}={value}"] += counts
    return [GroupCounts(key, counts) for key, counts in per_tag.items()]


def _norm(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def parse_tags(text: str | None) -> list[tuple[str, str]]:
    """Decode an ``emailtags`` value: a JSON list of ``{Name, Value}`` (any key spelling) or an object."""
    if not text:
        return []
    try:
        value: Any = json.loads(text)
    except ValueError:
        return []
    if isinstance(value, dict):
        return sorted((str(k), str(v)) for k, v in value.items())
    pairs: set[tuple[str, str]] = set()
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                named = {_norm(str(k)): v for k, v in item.items()}
                if "name" in named:
                    pairs.add((str(named["name"]), str(named.get("value", ""))))
    return sorted(pairs)


def bounce_type(details: str) -> str:
    """The bounce type (PERMANENT, TRANSIENT or UNDETERMINED) found in a bounce event's details."""
    try:
        found = _find_key(json.loads(details), "bouncetype")
    except ValueError:
        found = None
    text = (found or details).upper()
    for kind in ("PERMANENT", "TRANSIENT", "UNDETERMINED"):
        if kind in text:
            return kind
    return "UNDETERMINED"


def _find_key(value: Any, wanted: str) -> str | None:
    if isinstance(value, dict):
        for key, item in value.items():
            if _norm(str(key)) == wanted and isinstance(item, str):
                return item
            found = _find_key(item, wanted)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = _find_key(item, wanted)
            if found:
                return found
    return None


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
