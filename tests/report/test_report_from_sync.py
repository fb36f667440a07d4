"""A real sync from the emulator into DuckDB and PostgreSQL gives one report, with the seeded totals."""

from __future__ import annotations

from sesflow.report import load_report
from tests.report.conftest import Synced


def test_duckdb_and_postgres_reports_agree_after_a_real_sync(synced: Synced) -> None:
    from_duck = load_report(synced.duckdb, schema=synced.schema)
    from_pg = load_report(synced.postgres, schema=synced.schema)
    assert from_duck.totals.sent == synced.seeded
    assert len(from_duck.days) == synced.days
    assert from_duck.totals.delivered > 0 and from_duck.totals.bounced > 0 and from_duck.totals.opened > 0
    assert sum(n for _, n in from_duck.bounces_by_type) == from_duck.totals.bounced
    for field in ("totals", "bounces_by_type", "days", "by_isp", "by_tag", "by_from", "recipients"):
        assert getattr(from_pg, field) == getattr(from_duck, field), field
