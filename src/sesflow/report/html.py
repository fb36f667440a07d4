"""Render a ``ReportData`` as one self-contained HTML page: styles and SVG inline, no script, no network."""

from __future__ import annotations

from markupsafe import Markup

from sesflow.report.charts import Series, bar_chart, line_chart, meter, percent
from sesflow.report.model import Counts, GroupCounts, ReportData

COLORS = {
    "sent": "#4c78a8",
    "delivered": "#54a24b",
    "bounced": "#e45756",
    "complained": "#f58518",
    "opened": "#72b7b2",
    "clicked": "#b279a2",
}


def _environment() -> object:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("sesflow.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _breakdown(title: str, groups: tuple[GroupCounts, ...]) -> dict[str, object]:
    top = max((g.counts.sent for g in groups), default=0)
    rows = [
        {
            "key": g.key,
            "c": g.counts,
            "volume": Markup(meter(g.counts.sent / top if top else 0.0, COLORS["sent"])),
        }
        for g in groups
    ]
    return {"title": title, "rows": rows}


def _charts(data: ReportData) -> list[dict[str, object]]:
    labels = [d.day.isoformat() for d in data.days]
    counts = [d.counts for d in data.days]

    def series(name: str, attr: str, color: str) -> Series:
        return Series(name, color, [float(getattr(c, attr)) for c in counts])

    volume = [series("sent", "sent", COLORS["sent"]), series("delivered", "delivered", COLORS["delivered"])]
    problems = [
        series("bounced", "bounced", COLORS["bounced"]),
        series("complained", "complained", COLORS["complained"]),
    ]
    engagement = [
        series("open rate", "open_rate", COLORS["opened"]),
        series("click rate", "click_rate", COLORS["clicked"]),
    ]
    charts = [
        ("chart-volume", "Sent and delivered per day", line_chart, volume, None),
        ("chart-problems", "Bounced and complained per day", bar_chart, problems, None),
        ("chart-engagement", "Open and click rates per day (of delivered)", line_chart, engagement, percent),
    ]
    out: list[dict[str, object]] = []
    for chart_id, title, draw, lines, fmt in charts:
        svg = draw(chart_id, title, labels, lines, fmt) if fmt else draw(chart_id, title, labels, lines)
        out.append({"title": title, "svg": Markup(svg)})
    return out


def render_html(data: ReportData, *, campaigns: str = "") -> str:
    """The report page for ``data`` as one HTML string; ``campaigns`` is the campaign section's HTML."""
    env = _environment()
    template = env.get_template("report.html.j2")  # type: ignore[attr-defined]
    totals: Counts = data.totals
    html: str = template.render(
        data=data,
        totals=totals,
        pct=percent,
        colors=COLORS,
        charts=_charts(data),
        campaigns=Markup(campaigns),
        breakdowns=[
            _breakdown("By ISP", data.by_isp),
            _breakdown("By tag", data.by_tag),
            _breakdown("By from-address", data.by_from),
        ],
    )
    return html
