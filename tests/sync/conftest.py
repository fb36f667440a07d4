"""Fixtures for the sync tests: an isolated home, emulators, connections in the environment, the truth."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg
import pytest

EMAIL_COLUMNS = (
    "messageid",
    "fromemailaddress",
    "destination",
    "subject",
    "isp",
    "sendtimestamp",
    "lastdeliveryevent",
    "lastengagementevent",
    "emailtags",
    "_raw",
)
EVENT_COLUMNS = ("messageid", "position", "timestamp", "type", "destination", "details")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty sesflow/Sling homes, an empty working directory, and dummy AWS credentials."""
    monkeypatch.setenv("SESFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def ses_settings(endpoint: str, anchor: datetime, **inputs: Any) -> dict[str, Any]:
    """An aws_ses connection for the emulator at ``endpoint``."""
    values: dict[str, Any] = {
        "region": "us-east-1",
        "endpoint_url": endpoint,
        "anchor_date": anchor.date().isoformat(),
        "poll_interval": 0.5,
    }
    values.update(inputs)
    return {"type": "api", "spec": "aws_ses", "inputs": values}


def replication(schema: str = "ses", **stream: Any) -> dict[str, Any]:
    """A replication of ses_emails from AWS_SES into TARGET."""
    return {
        "source": "AWS_SES",
        "target": "TARGET",
        "defaults": {"mode": "incremental", "object": f"{schema}.{{stream_name}}"},
        "streams": {"ses_emails": stream or None},
    }


@pytest.fixture
def unique_schema() -> str:
    """A schema name no other test uses (tests share one PostgreSQL database)."""
    return f"ses_{uuid.uuid4().hex[:10]}"


class _Unknown:
    """Equal to anything: a message's last events when some of its events lie after the run's end."""

    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "<unknown at that time>"


UNKNOWN = _Unknown()


def truth(endpoint: str, until: datetime | None = None) -> dict[str, dict[str, Any]]:
    """The messages sent before ``until`` (a run's end), shaped like the rows, events cut at ``until``."""
    out: dict[str, dict[str, Any]] = {}
    offset = 0
    with httpx.Client(base_url=endpoint, timeout=60) as http:
        while True:
            page = http.get("/_sesflow/messages", params={"limit": 1000, "offset": offset}).json()
            for message in page["messages"]:
                if until is not None and datetime.fromisoformat(message["SendTimestamp"]) >= until:
                    continue
                events = [
                    e
                    for e in message["Events"]
                    if until is None or datetime.fromisoformat(e["Timestamp"]) <= until
                ]
                cut = len(events) != len(message["Events"])
                out[message["MessageId"]] = {
                    "messageid": message["MessageId"],
                    "fromemailaddress": message["From"],
                    "destination": ", ".join(message["Destination"]),
                    "subject": message["Subject"],
                    "sendtimestamp": datetime.fromisoformat(message["SendTimestamp"]),
                    "lastdeliveryevent": UNKNOWN if cut else message["Outcome"],
                    "lastengagementevent": UNKNOWN if cut else message["Engagement"],
                    "emailtags": sorted(message["Tags"].items()),
                    "events": [(datetime.fromisoformat(e["Timestamp"]), e["Type"]) for e in events],
                }
            if len(page["messages"]) < 1000:
                return out
            offset += 1000


def as_truth(emails: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Loaded rows reshaped like ``truth()``."""
    by_message: dict[str, list[tuple[int, datetime, str]]] = {}
    for event in events:
        by_message.setdefault(event["messageid"], []).append(
            (event["position"], event["timestamp"], event["type"])
        )
    out = {}
    for row in emails:
        tags = json.loads(row["emailtags"]) if row["emailtags"] else []
        out[row["messageid"]] = {
            "messageid": row["messageid"],
            "fromemailaddress": row["fromemailaddress"],
            "destination": row["destination"],
            "subject": row["subject"],
            "sendtimestamp": row["sendtimestamp"].astimezone(UTC),
            "lastdeliveryevent": row["lastdeliveryevent"],
            "lastengagementevent": row["lastengagementevent"],
            "emailtags": sorted((tag["Name"], tag["Value"]) for tag in tags),
            "events": [
                (t.astimezone(UTC), kind) for _, t, kind in sorted(by_message.get(row["messageid"], []))
            ],
        }
    return out


def read_duckdb(path: Path, schema: str = "ses") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both tables from a DuckDB file, ordered by key."""
    with duckdb.connect(str(path), read_only=True) as db:
        emails = db.sql(f"select {', '.join(EMAIL_COLUMNS)} from {schema}.ses_emails order by messageid")
        events = db.sql(f"select {', '.join(EVENT_COLUMNS)} from {schema}.ses_email_events order by 1, 2")
        return _dicts(emails.columns, emails.fetchall()), _dicts(events.columns, events.fetchall())


def read_postgres(url: str, schema: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both tables from PostgreSQL, ordered by key."""
    with psycopg.connect(url) as db:
        emails = db.execute(f"select {', '.join(EMAIL_COLUMNS)} from {schema}.ses_emails order by messageid")
        email_rows = _dicts(EMAIL_COLUMNS, emails.fetchall())
        events = db.execute(f"select {', '.join(EVENT_COLUMNS)} from {schema}.ses_email_events order by 1, 2")
        return email_rows, _dicts(EVENT_COLUMNS, events.fetchall())


def _dicts(columns: Any, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
