"""The report opens in real headless Chromium with the network cut off, and its charts draw."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sesflow.report import Counts, load_report, write_report
from sesflow.report.html import render_html
from tests.report.conftest import Synced

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or Path(CHROMIUM).exists(), "install Debian chromium (.ci/run does)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory, synced: Synced) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report.html"
    write_report(synced.duckdb, out, schema=synced.schema)
    return out


def test_charts_draw_every_day_offline_and_a_screenshot_is_taken(browser: Any, report_file: Path) -> None:
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_file.as_uri())
    shot = report_file.with_suffix(".png")
    page.screenshot(path=str(shot), full_page=True)

    assert requests == [report_file.as_uri()], "the report must fetch nothing"
    assert shot.stat().st_size > 10_000
    for chart in ("chart-volume", "chart-engagement"):
        points = page.locator(f"#{chart} circle.point")
        assert points.count() == 2 * 14
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    bars = page.locator("#chart-problems rect.bar")
    assert bars.count() == 2 * 14
    heights = bars.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert max(heights) > 20
    lines = page.locator("#chart-volume polyline.series")
    assert lines.count() == 2
    assert lines.first.evaluate("e => e.getTotalLength()") > 100
    page.close()


def test_totals_breakdowns_and_recipients_are_shown(browser: Any, report_file: Path) -> None:
    page = browser.new_page()
    page.goto(report_file.as_uri())
    assert page.locator('[data-metric="sent"]').inner_text() == "1,400"
    assert page.get_by_role("heading", name="By ISP").is_visible()
    assert page.get_by_role("cell", name="Gmail", exact=True).count() == 1
    assert page.locator("#recipients tbody tr").count() > 0
    page.close()


def _open(browser: Any, path: Path) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    page.goto(path.as_uri())
    return page


def test_chart_rows_are_filled_and_each_chart_fills_its_card(browser: Any, report_file: Path) -> None:
    page = _open(browser, report_file)
    area = page.locator("section.charts").bounding_box()
    cards = [page.locator("section.charts > .card").nth(i).bounding_box() for i in range(3)]
    rows: dict[int, float] = {}
    for card in cards:
        rows[round(card["y"])] = rows.get(round(card["y"]), 0.0) + card["width"]
    for row_width in rows.values():  # a row's cards (and the gaps) span the whole area: no empty half
        assert row_width >= 0.95 * area["width"] - 12, (rows, area)
    for i in range(3):
        card = page.locator("section.charts > .card").nth(i)
        box, svg = card.bounding_box(), card.locator("svg.chart").bounding_box()
        assert svg["width"] >= 0.9 * box["width"]
        filled = card.locator("svg.chart").evaluate(
            "s => { const b = s.getBoundingClientRect(); let top = b.bottom, bottom = b.top;"
            " for (const e of s.querySelectorAll('line.grid')) { const r = e.getBoundingClientRect();"
            " top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom); }"
            " return (bottom - top) / b.height; }"
        )
        assert filled > 0.6  # the plot area (its grid) takes most of the chart's height
    page.close()


def test_axis_labels_are_readable_and_inside_their_chart(browser: Any, report_file: Path) -> None:
    page = _open(browser, report_file)
    found = page.evaluate(
        "() => [...document.querySelectorAll('svg.chart')].flatMap(s => {"
        " const b = s.getBoundingClientRect();"
        " return [...s.querySelectorAll('text.axis')].map(t => { const r = t.getBoundingClientRect();"
        " return [r.height, r.left >= b.left - 0.5 && r.right <= b.right + 0.5, t.textContent]; }); })"
    )
    assert len(found) > 10
    for height, inside, text in found:
        assert height >= 11, (text, height)  # rendered text at least 11 px tall (was 7-8 px)
        assert inside, text  # no label cut off at the chart's edge
    page.close()


def test_the_sent_line_is_visible_over_delivered(browser: Any, report_file: Path) -> None:
    page = _open(browser, report_file)
    hits = page.evaluate(
        "() => [...document.querySelectorAll('#chart-volume circle.point[data-series=\"sent\"]')].map(c => {"
        " const r = c.getBoundingClientRect(); const top = document.elementFromPoint(r.x + r.width / 2,"
        " r.y + r.height / 2); return top && top.closest('[data-series]') ?"
        " top.closest('[data-series]').dataset.series : null; })"
    )
    assert hits and all(hit == "sent" for hit in hits), hits
    page.close()


@pytest.mark.parametrize(
    ("totals", "red"),
    [
        (Counts(sent=1000, delivered=990, bounced=10, complained=2), {"complained"}),  # 0.2% > 0.1%
        (Counts(sent=1000, delivered=900, bounced=60, complained=0), {"bounced"}),  # 6% > 5%
        (Counts(sent=2000, delivered=1900, bounced=100, complained=1), set()),  # 5.0%: at the level; 0.05%
    ],
)
def test_kpi_cards_are_red_above_ses_review_levels(
    browser: Any, synced: Synced, tmp_path: Path, totals: Counts, red: set[str]
) -> None:
    data = dataclasses.replace(load_report(synced.duckdb, schema=synced.schema), totals=totals)
    path = tmp_path / "kpis.html"
    path.write_text(render_html(data), encoding="utf-8")
    page = _open(browser, path)
    for metric in ("bounced", "complained"):
        color = page.locator(f'[data-metric="{metric}"]').evaluate("e => getComputedStyle(e).color")
        assert (color == "rgb(185, 28, 28)") == (metric in red), (metric, color)
    page.close()
