"""Inline SVG charts drawn in Python: no script, no font files, nothing fetched, so the report opens offline.

Every plotted value is an element carrying ``data-series`` and ``data-value`` attributes and a ``<title>``
tooltip, so a browser shows the number on hover and a test can count what was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# Charts are drawn at about the size they are shown (a full-width card ~1,100 px, a half-width one ~540 px),
# so the 12-unit axis text is about 12 px on screen: at 720 units squeezed into a half card it was 8 px.
WIDTH, HEIGHT = 1100, 280
HALF_WIDTH = 540
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 36, 40
FONT = 12
MAX_X_LABELS = 10


@dataclass(frozen=True)
class Series:
    """One named line or bar series: a value per x position."""

    name: str
    color: str
    values: Sequence[float]
    dash: str | None = None  # an SVG dash pattern: a line drawn over another stays visible where they meet


def _nice_step(span: float, target_ticks: int = 5) -> float:
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _y_axis(top_value: float, fmt: Callable[[float], str], width: int) -> tuple[float, list[str]]:
    step = _nice_step(top_value if top_value > 0 else 1)
    ticks = max(1, math.ceil((top_value if top_value > 0 else 1) / step))
    y_max = step * ticks
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(ticks + 1):
        value = step * i
        y = TOP + plot_h - plot_h * value / y_max
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e7eb" stroke-width="1"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="#4b5563">{escape(fmt(value))}</text>'
        )
    return y_max, parts


def day_labels(days: Sequence[str]) -> list[str]:
    """ISO days as axis labels: ``MM-DD`` when all fall in one year (the title says which), else as is."""
    years = {day[:4] for day in days}
    return [day[5:] if len(years) == 1 and len(day) == 10 else day for day in days]


def _x_labels(labels: Sequence[str], xs: Sequence[float], width: int) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    out = []
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if i % every == 0:
            # Labels at the plot's edges are anchored inside it, so none is cut off by the chart's border.
            anchor = "middle"
            half = len(label) * FONT * 0.3
            if x - half < 0:
                anchor = "start"
            elif x + half > width:
                anchor = "end"
            out.append(
                f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{anchor}" '
                f'font-size="{FONT}" fill="#4b5563">{escape(label)}</text>'
            )
    return out


def _legend(series: Sequence[Series]) -> list[str]:
    out = []
    x = LEFT
    for s in series:
        out.append(
            f'<rect x="{x}" y="12" width="12" height="12" rx="2" fill="{s.color}"/>'
            f'<text x="{x + 16}" y="22" font-size="{FONT}" fill="#374151">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name) + 12
    return out


def _svg(chart_id: str, title: str, body: list[str], width: int) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif">' + "".join(body) + "</svg>"
    )


def _empty(chart_id: str, title: str, width: int) -> str:
    return _svg(
        chart_id,
        title,
        [
            f'<text x="{width / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" fill="#9ca3af">'
            "No messages in this period</text>"
        ],
        width,
    )


def _x_positions(count: int, width: int) -> list[float]:
    plot_w = width - LEFT - RIGHT
    if count == 1:
        return [LEFT + plot_w / 2]
    return [LEFT + plot_w * i / (count - 1) for i in range(count)]


def line_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    *,
    width: int = WIDTH,
    axis_labels: Sequence[str] | None = None,
) -> str:
    """A line chart with a marker on every value; ``fmt`` formats axis ticks and tooltips.

    Series are drawn in order, each over the ones before it; ``axis_labels`` (default ``labels``) are the
    x-axis texts, ``labels`` name the points in tooltips.
    """
    if not labels:
        return _empty(chart_id, title, width)
    top_value = max((v for s in series for v in s.values), default=0.0)
    y_max, body = _y_axis(top_value, fmt, width)
    plot_h = HEIGHT - TOP - BOTTOM
    xs = _x_positions(len(labels), width)
    body += _x_labels(axis_labels or labels, xs, width)
    for s in series:
        points = [(x, TOP + plot_h - plot_h * v / y_max) for x, v in zip(xs, s.values, strict=True)]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            body.append(
                f'<polyline class="series" data-series="{escape(s.name)}" points="{coords}" fill="none" '
                f'stroke="{s.color}" stroke-width="2.5" stroke-linejoin="round"{dash}/>'
            )
        radius = 3 if len(points) <= 60 else 1.5
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            body.append(
                f'<circle class="point" data-series="{escape(s.name)}" data-value="{value:g}" '
                f'cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{s.color}">'
                f"<title>{escape(label)} · {escape(s.name)}: {escape(fmt(value))}</title></circle>"
            )
    body += _legend(series)
    return _svg(chart_id, title, body, width)


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    *,
    width: int = WIDTH,
    axis_labels: Sequence[str] | None = None,
) -> str:
    """Grouped vertical bars, one group per label and one bar per series."""
    if not labels:
        return _empty(chart_id, title, width)
    top_value = max((v for s in series for v in s.values), default=0.0)
    y_max, body = _y_axis(top_value, fmt, width)
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = width - LEFT - RIGHT
    slot = plot_w / len(labels)
    bar_w = max(1.0, min(24.0, slot * 0.8 / max(len(series), 1)))
    xs = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    body += _x_labels(axis_labels or labels, xs, width)
    group_w = bar_w * len(series)
    for k, s in enumerate(series):
        for x, label, value in zip(xs, labels, s.values, strict=True):
            h = plot_h * value / y_max
            bx = x - group_w / 2 + k * bar_w
            body.append(
                f'<rect class="bar" data-series="{escape(s.name)}" data-value="{value:g}" '
                f'x="{bx:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{max(h, 0.0):.1f}" '
                f'fill="{s.color}"><title>{escape(label)} · {escape(s.name)}: {escape(fmt(value))}</title>'
                "</rect>"
            )
    body += _legend(series)
    return _svg(chart_id, title, body, width)


def meter(fraction: float, color: str) -> str:
    """A small horizontal bar showing ``fraction`` (0..1), for table cells."""
    width = max(0.0, min(1.0, fraction)) * 100
    return (
        f'<svg class="meter" viewBox="0 0 100 8" width="64" height="8" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="100" height="8" rx="2" fill="#f3f4f6"/>'
        f'<rect class="bar" data-value="{fraction:.4f}" width="{width:.1f}" height="8" rx="2" '
        f'fill="{color}"/>'
        "</svg>"
    )


def percent(value: float) -> str:
    """Format a 0..1 fraction as a percentage with precision that suits small rates."""
    pct = value * 100
    if pct == 0:
        return "0%"
    if pct < 1:
        return f"{pct:.2f}%"
    return f"{pct:.1f}%"
