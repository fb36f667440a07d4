"""Render a ``ReportData`` as one self-contained HTML page: styles and SVG inline, no script, no network."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from sesflow.report.charts import HALF_WIDTH, WIDTH, Series, bar_chart, day_labels, line_chart, meter, percent
from sesflow.report.model import Counts, GroupCounts, ReportData

COLORS = {
    "sent": "#4c78a8",
    "delivered": "#54a24b",
    "bounced": "#e45756",
    "complained": "#f58518",
    "opened": "#72b7b2",
    "clicked": "#b279a2",
}
# SES reviews an account above these rates; the report marks them red, in the totals and in every table.
BOUNCE_REVIEW = 0.05
COMPLAINT_REVIEW = 0.001


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
    axis = day_labels(labels)
    counts = [d.counts for d in data.days]

    def series(name: str, attr: str, color: str, dash: str | None = None) -> Series:
        return Series(name, color, [float(getattr(c, attr)) for c in counts], dash)

    # Delivered is most of sent, so the two lines nearly meet: sent is drawn last, dashed, over delivered.
    volume = [
        series("delivered", "delivered", COLORS["delivered"]),
        series("sent", "sent", COLORS["sent"], dash="7 4"),
    ]
    problems = [
        series("bounced", "bounced", COLORS["bounced"]),
        series("complained", "complained", COLORS["complained"]),
    ]
    engagement = [
        series("open rate", "open_rate", COLORS["opened"]),
        series("click rate", "click_rate", COLORS["clicked"]),
    ]
    year = f" ({labels[0][:4]})" if labels and axis[0] != labels[0] else ""
    count: Callable[[float], str] = lambda v: f"{v:,.0f}"  # noqa: E731 - the counts' axis format
    # The first chart spans the page, the next two share a row: no row is left half empty.
    charts = [
        ("chart-volume", f"Sent and delivered per day{year}", line_chart, volume, count, WIDTH, True),
        (
            "chart-problems",
            f"Bounced and complained per day{year}",
            bar_chart,
            problems,
            count,
            HALF_WIDTH,
            False,
        ),
        (
            "chart-engagement",
            f"Open and click rates per day, of delivered{year}",
            line_chart,
            engagement,
            percent,
            HALF_WIDTH,
            False,
        ),
    ]
    out: list[dict[str, object]] = []
    for chart_id, title, draw, lines, fmt, width, wide in charts:
        svg = draw(chart_id, title, labels, lines, fmt, width=width, axis_labels=axis)
        out.append({"title": title, "svg": Markup(svg), "wide": wide})
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
        bounce_review=BOUNCE_REVIEW,
        complaint_review=COMPLAINT_REVIEW,
        charts=_charts(data),
        campaigns=Markup(campaigns),
        breakdowns=[
            _breakdown("By ISP", data.by_isp),
            _breakdown("By tag", data.by_tag),
            _breakdown("By from-address", data.by_from),
        ],
    )
    return html
