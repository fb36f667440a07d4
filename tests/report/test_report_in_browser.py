"""The report opens in real headless Chromium with the network cut off, and its charts draw."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sesflow.report import write_report
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
