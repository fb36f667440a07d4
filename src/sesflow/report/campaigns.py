"""The report's campaign section: per campaign and per recipient, what became of each row of a campaign's
ledger, read from the ``campaign_outcomes`` view (see ``sesflow.campaign.outcomes``).

``load_campaigns`` reads the funnels (rows -> sent -> delivered -> opened -> clicked, with bounced by type,
complained, failed, unknown and skipped beside) and, for one campaign, its recipients (problems first);
``funnel_chart`` draws a funnel as inline SVG; ``write_campaign_report`` writes the page of one campaign.
The delivery report shows the funnels of every campaign when the view exists.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

from sesflow.errors import ConfigError
from sesflow.report.database import Database, TargetSpec, open_database

VIEW = "campaign_outcomes"
RECIPIENT_LIMIT = 1000

_FUNNELS = """
    SELECT campaign, campaign_id, MAX(generation), COUNT(*), SUM(sent), SUM(delivered), SUM(bounced),
        SUM(CASE WHEN bounce_type = 'PERMANENT' THEN 1 ELSE 0 END),
        SUM(CASE WHEN bounce_type = 'TRANSIENT' THEN 1 ELSE 0 END),
        SUM(complained), SUM(opened), SUM(clicked), SUM(failed), SUM(unknown), SUM(skipped), SUM(pending)
    FROM {view} {where}
    GROUP BY campaign, campaign_id
    ORDER BY campaign
"""

_RECIPIENTS = """
    SELECT row_number, recipient, state, ses_message_id, delivered, bounced, bounce_type, complained, opened,
        clicked, error_code, reason
    FROM {view} WHERE campaign = {name}
    ORDER BY (failed + unknown + bounced + complained + skipped) DESC, row_number
    LIMIT {limit}
"""


@dataclass(frozen=True)
class CampaignFunnel:
    """One campaign's rows by outcome. ``sent`` counts rows SES accepted; the engagement counts are of
    those messages; ``failed``, ``unknown``, ``skipped`` and ``pending`` are rows not (known to be) sent."""

    campaign: str
    campaign_id: str
    generation: int
    rows: int
    sent: int
    delivered: int
    bounced: int
    hard_bounced: int
    soft_bounced: int
    complained: int
    opened: int
    clicked: int
    failed: int
    unknown: int
    skipped: int
    pending: int

    def share(self, count: int, of: int | None = None) -> float:
        """``count`` as a fraction of ``of`` (default: the rows)."""
        whole = self.rows if of is None else of
        return count / whole if whole else 0.0


@dataclass(frozen=True)
class CampaignRecipient:
    """One recipient's row and outcome."""

    row: int
    recipient: str
    state: str
    ses_message_id: str | None
    delivered: bool
    bounced: bool
    bounce_type: str | None
    complained: bool
    opened: bool
    clicked: bool
    error_code: str | None
    reason: str | None


@dataclass(frozen=True)
class CampaignReport:
    """The funnels of the campaigns asked for, and (for one campaign) its recipients."""

    source: str
    schema: str
    generated_at: dt.datetime
    funnels: tuple[CampaignFunnel, ...]
    recipients: tuple[CampaignRecipient, ...] = ()
    recipients_cut: bool = False


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def has_campaigns(db: Database, schema: str) -> bool:
    """True when ``schema`` holds the ``campaign_outcomes`` view."""
    return VIEW in db.tables(schema)


def read_funnels(db: Database, schema: str, campaign: str | None = None) -> tuple[CampaignFunnel, ...]:
    """The funnel of every campaign in the view (or of ``campaign``)."""
    where = f"WHERE campaign = {_quoted(campaign)}" if campaign else ""
    rows = db.rows(_FUNNELS.format(view=db.table(schema, VIEW), where=where))
    return tuple(
        CampaignFunnel(str(r[0]), str(r[1]), int(r[2] or 0), *(int(v or 0) for v in r[3:])) for r in rows
    )


def read_recipients(
    db: Database, schema: str, campaign: str, limit: int = RECIPIENT_LIMIT
) -> tuple[CampaignRecipient, ...]:
    """The campaign's recipients, the ones with a problem first, at most ``limit``."""
    sql = _RECIPIENTS.format(view=db.table(schema, VIEW), name=_quoted(campaign), limit=int(limit))
    return tuple(
        CampaignRecipient(
            row=int(r[0]),
            recipient=str(r[1]),
            state=str(r[2]),
            ses_message_id=None if r[3] is None else str(r[3]),
            delivered=bool(r[4]),
            bounced=bool(r[5]),
            bounce_type=None if r[6] is None else str(r[6]),
            complained=bool(r[7]),
            opened=bool(r[8]),
            clicked=bool(r[9]),
            error_code=None if r[10] is None else str(r[10]),
            reason=None if r[11] is None else str(r[11]),
        )
        for r in db.rows(sql)
    )


def load_campaigns(
    target: str | TargetSpec, campaign: str | None = None, *, schema: str = "ses"
) -> CampaignReport:
    """The campaign funnels of ``target`` (and, for one ``campaign``, its recipients)."""
    with open_database(target) as db:
        if not has_campaigns(db, schema):
            raise ConfigError(
                f"{db.label} has no view {schema}.{VIEW}",
                hint="Publish a campaign's ledger into it: `sesflow campaign outcomes NAME --target ...` "
                "(or give the campaign sync: {target: ...}).",
            )
        funnels = read_funnels(db, schema, campaign)
        if campaign and not funnels:
            known = ", ".join(f.campaign for f in read_funnels(db, schema)) or "none"
            raise ConfigError(
                f"no campaign named {campaign} in {db.label} ({schema}.{VIEW})",
                hint=f"Campaigns there: {known}. Publish it with `sesflow campaign outcomes {campaign}`.",
            )
        recipients: tuple[CampaignRecipient, ...] = ()
        if campaign:
            recipients = read_recipients(db, schema, campaign, RECIPIENT_LIMIT + 1)
        return CampaignReport(
            source=db.label,
            schema=schema,
            generated_at=dt.datetime.now(dt.UTC),
            funnels=funnels,
            recipients=recipients[:RECIPIENT_LIMIT],
            recipients_cut=len(recipients) > RECIPIENT_LIMIT,
        )


FUNNEL_STEPS = (
    ("rows", "Recipients", "#9ca3af"),
    ("sent", "Sent", "#4c78a8"),
    ("delivered", "Delivered", "#54a24b"),
    ("opened", "Opened", "#72b7b2"),
    ("clicked", "Clicked", "#b279a2"),
)
PROBLEM_STEPS = (
    ("hard_bounced", "Hard bounces", "#e45756"),
    ("soft_bounced", "Soft bounces", "#f2a39b"),
    ("complained", "Complaints", "#f58518"),
    ("failed", "Failed", "#7f1d1d"),
    ("unknown", "Unknown", "#a16207"),
    ("skipped", "Skipped", "#6b7280"),
)


def funnel_chart(funnel: CampaignFunnel, chart_id: str) -> str:
    """The funnel as inline SVG: one bar per step, as wide as its share of the recipients; then the
    problems. Each bar carries ``data-series``/``data-value`` and a ``<title>`` tooltip."""
    width, bar_h, gap, label_w = 720, 24, 8, 120
    steps = [*FUNNEL_STEPS, None, *PROBLEM_STEPS]
    height = (len(steps) - 1) * (bar_h + gap) + gap + 2 + 8
    plot = width - label_w - 120
    parts = [
        f'<svg class="chart funnel" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Funnel of campaign {escape(funnel.campaign)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    y = 4
    for step in steps:
        if step is None:
            parts.append(f'<line x1="0" x2="{width}" y1="{y + 2}" y2="{y + 2}" stroke="#e5e7eb"/>')
            y += gap + 2
            continue
        key, label, color = step
        value = int(getattr(funnel, key))
        share = funnel.share(value)
        bar = max(1.0, plot * share) if value else 0.0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#374151">{escape(label)}</text>'
            f'<rect class="bar" data-series="{key}" data-value="{value}" x="{label_w}" y="{y}" '
            f'width="{bar:.1f}" height="{bar_h}" rx="3" fill="{color}">'
            f"<title>{escape(label)}: {value:,} ({share:.1%} of recipients)</title></rect>"
            f'<text x="{label_w + bar + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="12" fill="#111827">'
            f"{value:,} · {share:.1%}</text>"
        )
        y += bar_h + gap
    parts.append("</svg>")
    return "".join(parts)


def render_campaign_html(report: CampaignReport) -> str:
    """The page of a campaign report (one campaign: funnel, outcome table, recipients)."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sesflow.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    charts = {f.campaign_id: Markup(funnel_chart(f, f"funnel-{f.campaign_id}")) for f in report.funnels}
    html: str = env.get_template("campaign_report.html.j2").render(report=report, charts=charts)
    return html


def campaign_section(db: Database, schema: str) -> str:
    """The delivery report's campaign section (funnels of every campaign), or "" without the view."""
    if not has_campaigns(db, schema):
        return ""
    import jinja2
    from markupsafe import Markup

    funnels = read_funnels(db, schema)
    if not funnels:
        return ""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sesflow.report", "templates"), autoescape=True, trim_blocks=True
    )
    charts = {f.campaign_id: Markup(funnel_chart(f, f"funnel-{f.campaign_id}")) for f in funnels}
    html: str = env.get_template("campaign_section.html.j2").render(funnels=funnels, charts=charts)
    return html


def write_campaign_report(
    target: str | TargetSpec, out: str | os.PathLike[str], campaign: str, *, schema: str = "ses"
) -> CampaignReport:
    """Write the report of one campaign to ``out`` (one self-contained HTML file); return its numbers."""
    report = load_campaigns(target, campaign, schema=schema)
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_campaign_html(report), encoding="utf-8")
    tmp.replace(path)
    return report


__all__ = [
    "CampaignFunnel",
    "CampaignRecipient",
    "CampaignReport",
    "campaign_section",
    "funnel_chart",
    "load_campaigns",
    "write_campaign_report",
]
