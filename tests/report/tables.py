"""Build Message Insights tables the way the sync contract describes them, with known truth.

Used until (and beside) the real sync: the report must read any tables of that shape, so the tests write
rows directly into DuckDB and PostgreSQL and compare the report with counts taken from the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

_EMAILS_DDL = """
CREATE TABLE {schema}.ses_emails (
    messageid TEXT PRIMARY KEY, fromemailaddress TEXT, destination TEXT, subject TEXT, isp TEXT,
    sendtimestamp TIMESTAMPTZ, lastdeliveryevent TEXT, lastengagementevent TEXT, emailtags TEXT, _raw TEXT
)"""
_EVENTS_DDL = """
CREATE TABLE {schema}.ses_email_events (
    messageid TEXT, position BIGINT, timestamp TIMESTAMPTZ, type TEXT, destination TEXT, details TEXT,
    PRIMARY KEY (messageid, position)
)"""


@dataclass
class Mail:
    """One message with its events, as the export would describe it."""

    messageid: str
    sender: str
    destination: str
    isp: str
    sent: dt.datetime
    tags: list[dict[str, str]]
    events: list[dict[str, Any]] = field(default_factory=list)

    def has(self, kind: str) -> bool:
        return any(e["Type"] == kind for e in self.events)


def make_mails(count: int = 400, days: int = 10, seed: int = 7) -> list[Mail]:
    """A deterministic mix of deliveries, bounces (permanent/transient), complaints, opens and clicks."""
    rng = random.Random(seed)
    mails = []
    for i in range(count):
        sent = START + dt.timedelta(days=i % days, seconds=rng.randrange(0, 86_000))
        user = f"user{rng.randrange(60)}@{rng.choice(['gmail.com', 'yahoo.com', 'example.org'])}"
        isp = {"gmail.com": "Gmail", "yahoo.com": "Yahoo"}.get(user.split("@")[1], "Other")
        campaign = rng.choice(["welcome", "newsletter", "receipt"])
        mail = Mail(
            messageid=f"0100-{i:06d}",
            sender=rng.choice(["news@shop.example", "billing@shop.example"]),
            destination=user,
            isp=isp,
            sent=sent,
            tags=[{"Name": "campaign", "Value": campaign}, {"Name": "env", "Value": "test"}],
        )
        roll = rng.random()
        at = sent
        mail.events.append({"Type": "SEND", "Timestamp": at, "Details": None})
        if roll < 0.08:
            kind = "PERMANENT" if roll < 0.05 else "TRANSIENT"
            bounce = {"Bounce": {"BounceType": kind, "BounceSubType": "General", "DiagnosticCode": "5.1.1"}}
            mail.events.append(
                {"Type": "BOUNCE", "Timestamp": at + dt.timedelta(seconds=3), "Details": bounce}
            )
        else:
            mail.events.append(
                {"Type": "DELIVERY", "Timestamp": at + dt.timedelta(seconds=2), "Details": None}
            )
            if roll > 0.98:
                complaint = {"Complaint": {"ComplaintFeedbackType": "abuse"}}
                mail.events.append(
                    {"Type": "COMPLAINT", "Timestamp": at + dt.timedelta(hours=1), "Details": complaint}
                )
            if rng.random() < 0.4:
                mail.events.append(
                    {"Type": "OPEN", "Timestamp": at + dt.timedelta(minutes=30), "Details": None}
                )
                if rng.random() < 0.3:
                    mail.events.append(
                        {"Type": "CLICK", "Timestamp": at + dt.timedelta(minutes=31), "Details": None}
                    )
        mails.append(mail)
    return mails


def _last(mail: Mail, kinds: dict[str, str]) -> str | None:
    found = None
    for event in mail.events:
        if event["Type"] in kinds:
            found = kinds[event["Type"]]
            if event["Type"] == "BOUNCE":
                found = f"{event['Details']['Bounce']['BounceType']}_BOUNCE"
    return found


def email_rows(mails: list[Mail]) -> list[tuple[Any, ...]]:
    """Rows of ``ses_emails`` in column order."""
    rows = []
    for m in mails:
        last_delivery = _last(m, {"DELIVERY": "DELIVERY", "BOUNCE": "BOUNCE", "COMPLAINT": "COMPLAINT"})
        last_engagement = _last(m, {"OPEN": "OPEN", "CLICK": "CLICK"})
        raw = {"MessageId": m.messageid, "Destination": m.destination, "EmailTags": m.tags}
        rows.append(
            (
                m.messageid,
                m.sender,
                m.destination,
                f"Hello {m.messageid}",
                m.isp,
                m.sent,
                last_delivery,
                last_engagement,
                json.dumps(m.tags),
                json.dumps(raw),
            )
        )
    return rows


def event_rows(mails: list[Mail]) -> list[tuple[Any, ...]]:
    """Rows of ``ses_email_events`` in column order."""
    return [
        (
            m.messageid,
            pos,
            e["Timestamp"],
            e["Type"],
            m.destination,
            json.dumps(e["Details"]) if e["Details"] is not None else None,
        )
        for m in mails
        for pos, e in enumerate(m.events)
    ]


def write_duckdb(path: str, mails: list[Mail], *, schema: str = "ses", with_events: bool = True) -> None:
    """Create the two tables in a DuckDB file and fill them."""
    import duckdb

    with duckdb.connect(path) as con:
        # Qualify with the catalog: a file named ses.duckdb is a catalog "ses" too.
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        schema = f'"{catalog}".{schema}'
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(_EMAILS_DDL.format(schema=schema))
        con.executemany(f"INSERT INTO {schema}.ses_emails VALUES (?,?,?,?,?,?,?,?,?,?)", email_rows(mails))
        if with_events:
            con.execute(_EVENTS_DDL.format(schema=schema))
            con.executemany(f"INSERT INTO {schema}.ses_email_events VALUES (?,?,?,?,?,?)", event_rows(mails))


def write_postgres(url: str, mails: list[Mail], *, schema: str = "ses") -> None:
    """Create the two tables in a PostgreSQL schema (replacing it) and fill them."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
        con.execute(_EMAILS_DDL.format(schema=schema))
        con.execute(_EVENTS_DDL.format(schema=schema))
        with con.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {schema}.ses_emails VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", email_rows(mails)
            )
            cur.executemany(
                f"INSERT INTO {schema}.ses_email_events VALUES (%s,%s,%s,%s,%s,%s)", event_rows(mails)
            )
