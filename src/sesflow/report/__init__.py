"""The delivery report: what happened to the messages a sync loaded, as one self-contained HTML page.

::

    from sesflow.report import load_report, write_report

    data = load_report("sesflow-demo.duckdb")          # ReportData: totals, per-day series, breakdowns
    write_report("sesflow-demo.duckdb", "report.html")  # the same numbers, drawn

A target is a connection name (``sesflow conns``), a ``.duckdb`` path or a ``postgresql://`` URL. The
tables read are ``<schema>.ses_emails`` and ``<schema>.ses_email_events`` as the sync writes them, and
``<schema>.campaign_outcomes`` when campaigns were published there (``write_campaign_report`` writes the
page of one campaign).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sesflow.errors import ConfigError
from sesflow.report.campaigns import (
    CampaignFunnel,
    CampaignRecipient,
    CampaignReport,
    load_campaigns,
    write_campaign_report,
)
from sesflow.report.database import TargetSpec, open_database, resolve_target
from sesflow.report.model import Counts, DayCounts, GroupCounts, RecipientTrouble, ReportData


def load_report(
    target: str | TargetSpec, *, since: dt.datetime | dt.date | None = None, schema: str = "ses"
) -> ReportData:
    """Read ``target`` and compute the report for messages sent at or after ``since`` (UTC day or moment)."""
    from sesflow.report.queries import read_report

    moment = _as_moment(since)
    with open_database(target) as db:
        return read_report(db, schema=schema, since=moment)


def write_report(
    target: str | TargetSpec,
    out: str | os.PathLike[str] = "report.html",
    *,
    since: dt.datetime | dt.date | None = None,
    schema: str = "ses",
) -> ReportData:
    """Compute the report for ``target`` and write it to ``out`` as one HTML file; return its numbers.

    ``out`` may be a folder (an existing one, or a path ending in ``/``): the page is then ``report.html`` in
    it (``report_path`` says where). Nothing else is left behind, whatever fails.
    """
    from sesflow.report.campaigns import campaign_section
    from sesflow.report.html import render_html

    path = report_path(out)
    data = load_report(target, since=since, schema=schema)
    with open_database(target) as db:
        campaigns = campaign_section(db, schema)  # "" unless the dataset holds campaign_outcomes
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(render_html(data, campaigns=campaigns), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return data


def report_path(out: str | os.PathLike[str]) -> Path:
    """The file ``write_report(target, out)`` writes: ``out``, or ``out/report.html`` for a folder."""
    path = Path(out)
    if path.is_dir() or str(out).endswith(("/", os.sep)):
        path = path / "report.html"
    if not path.parent.is_dir():
        raise ConfigError(
            f"--out {out}: the folder {path.parent} does not exist",
            hint="Create it first, or name another file.",
        )
    if path.is_dir():
        raise ConfigError(f"--out {out}: {path} is a folder", hint="Name a file, e.g. --out report.html.")
    return path


def _as_moment(since: dt.datetime | dt.date | None) -> dt.datetime | None:
    if since is None:
        return None
    if isinstance(since, dt.datetime):
        return since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    return dt.datetime(since.year, since.month, since.day, tzinfo=dt.UTC)


__all__ = [
    "CampaignFunnel",
    "CampaignRecipient",
    "CampaignReport",
    "Counts",
    "DayCounts",
    "GroupCounts",
    "RecipientTrouble",
    "ReportData",
    "TargetSpec",
    "load_campaigns",
    "load_report",
    "report_path",
    "resolve_target",
    "write_campaign_report",
    "write_report",
]
