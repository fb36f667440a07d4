"""The report's numbers equal counts taken straight from the rows, from DuckDB and from PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sesflow.errors import ConfigError
from sesflow.report import load_report
from sesflow.report.model import Counts
from tests.report.tables import Mail, make_mails, write_duckdb, write_postgres


def _counts(mails: list[Mail]) -> Counts:
    return Counts(
        sent=len(mails),
        delivered=sum(m.has("DELIVERY") for m in mails),
        bounced=sum(m.has("BOUNCE") for m in mails),
        complained=sum(m.has("COMPLAINT") for m in mails),
        opened=sum(m.has("OPEN") for m in mails),
        clicked=sum(m.has("CLICK") for m in mails),
    )


@pytest.fixture(scope="module")
def mails() -> list[Mail]:
    return make_mails()


@pytest.fixture(scope="module")
def duck_path(tmp_path_factory: pytest.TempPathFactory, mails: list[Mail]) -> str:
    path = str(tmp_path_factory.mktemp("report") / "ses.duckdb")
    write_duckdb(path, mails)
    return path


def test_totals_equal_the_rows(duck_path: str, mails: list[Mail]) -> None:
    data = load_report(duck_path)
    assert data.totals == _counts(mails)


def test_each_day_counts_the_messages_sent_that_utc_day(duck_path: str, mails: list[Mail]) -> None:
    data = load_report(duck_path)
    days = sorted({m.sent.date() for m in mails})
    assert [d.day for d in data.days] == days
    for day in data.days:
        assert day.counts == _counts([m for m in mails if m.sent.date() == day.day])


def test_breakdowns_by_isp_sender_and_tag(duck_path: str, mails: list[Mail]) -> None:
    data = load_report(duck_path)
    assert {g.key: g.counts for g in data.by_isp} == {
        isp: _counts([m for m in mails if m.isp == isp]) for isp in {m.isp for m in mails}
    }
    assert {g.key: g.counts for g in data.by_from} == {
        s: _counts([m for m in mails if m.sender == s]) for s in {m.sender for m in mails}
    }
    by_tag = {g.key: g.counts for g in data.by_tag}
    for campaign in ("welcome", "newsletter", "receipt"):
        tagged = [m for m in mails if {"Name": "campaign", "Value": campaign} in m.tags]
        assert by_tag[f"campaign={campaign}"] == _counts(tagged)
    assert by_tag["env=test"] == _counts(mails)


def test_bounces_are_split_by_bounce_type(duck_path: str, mails: list[Mail]) -> None:
    data = load_report(duck_path)
    truth = Counter(
        e["Details"]["Bounce"]["BounceType"] for m in mails for e in m.events if e["Type"] == "BOUNCE"
    )
    assert dict(data.bounces_by_type) == dict(truth)


def test_recipients_with_most_bounces_and_complaints_come_first(duck_path: str, mails: list[Mail]) -> None:
    data = load_report(duck_path)
    trouble: Counter[str] = Counter()
    for m in mails:
        trouble[m.destination] += sum(e["Type"] in {"BOUNCE", "COMPLAINT"} for e in m.events)
    top = data.recipients[0]
    assert top.bounces + top.complaints == max(trouble.values())
    scores = [r.bounces + r.complaints for r in data.recipients]
    assert scores == sorted(scores, reverse=True)
    for r in data.recipients:
        assert r.bounces + r.complaints == trouble[r.address]


def test_since_keeps_only_messages_sent_from_that_day(duck_path: str, mails: list[Mail]) -> None:
    since = dt.date(2026, 10, 6)
    data = load_report(duck_path, since=since)
    assert data.totals == _counts([m for m in mails if m.sent.date() >= since])
    assert data.first_day == since


def test_another_schema_name_is_read(tmp_path: Path, mails: list[Mail]) -> None:
    path = str(tmp_path / "other.duckdb")
    write_duckdb(path, mails[:50], schema="mail_stats")
    assert load_report(path, schema="mail_stats").totals == _counts(mails[:50])


def test_without_an_events_table_the_last_event_columns_are_used(tmp_path: Path, mails: list[Mail]) -> None:
    path = str(tmp_path / "no-events.duckdb")
    write_duckdb(path, mails, with_events=False)
    data = load_report(path)
    assert data.totals.sent == len(mails)
    assert data.totals.bounced == sum(m.has("BOUNCE") for m in mails)
    assert dict(data.bounces_by_type).keys() <= {"PERMANENT", "TRANSIENT", "UNDETERMINED"}


def test_an_empty_period_gives_an_empty_report(duck_path: str) -> None:
    data = load_report(duck_path, since=dt.date(2030, 1, 1))
    assert data.totals == Counts()
    assert data.days == () and data.recipients == ()


def test_a_missing_table_is_a_config_error_naming_it(tmp_path: Path) -> None:
    import duckdb

    path = str(tmp_path / "empty.duckdb")
    duckdb.connect(path).close()
    with pytest.raises(ConfigError, match=r"ses\.ses_emails"):
        load_report(path)


def test_a_missing_duckdb_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no DuckDB file"):
        load_report(str(tmp_path / "absent.duckdb"))


def test_postgres_gives_the_same_report_as_duckdb(pg_url: str, duck_path: str, mails: list[Mail]) -> None:
    write_postgres(pg_url, mails, schema="ses_report_test")
    from_pg = load_report(pg_url, schema="ses_report_test")
    from_duck = load_report(duck_path)
    assert from_pg.totals == from_duck.totals
    assert from_pg.days == from_duck.days
    assert from_pg.by_isp == from_duck.by_isp
    assert from_pg.by_tag == from_duck.by_tag
    assert from_pg.by_from == from_duck.by_from
    assert from_pg.bounces_by_type == from_duck.bounces_by_type
    assert from_pg.recipients == from_duck.recipients
