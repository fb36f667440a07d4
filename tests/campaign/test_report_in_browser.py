"""The campaign section of the HTML report, in real headless Chromium with the network cut off: the
funnel draws each step with its number, the recipients table shows each outcome, and the delivery report
lists every campaign."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sesflow.emulator import Emulator
from sesflow.report import write_campaign_report, write_report
from tests.campaign.conftest import sync_into
from tests.campaign.test_outcomes import _send_both
from tests.send.conftest import Private

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or Path(CHROMIUM).exists(), "install Debian chromium (.ci/run does)"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def synced(home: Path, ses: Private, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = home / "sync.duckdb"
    _send_both(home, ses, emulator, sync={"target": str(target)})
    sync_into(target, emulator, monkeypatch)
    from sesflow.campaign import Campaign

    for folder in ("news", "follow"):
        Campaign.from_file(home / folder / "campaign.yaml").publish_outcomes()
    return target


def _open(browser: Any, page_file: Path) -> tuple[Any, list[str]]:
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.screenshot(path=str(page_file.with_suffix(".png")), full_page=True)
    return page, requests


def test_the_campaign_page_draws_the_funnel_and_every_recipients_outcome(
    browser: Any, synced: Path, home: Path
) -> None:
    out = home / "news.html"
    write_campaign_report(str(synced), out, "news")
    page, requests = _open(browser, out)
    assert requests == [out.as_uri()], "the page must fetch nothing"
    assert out.with_suffix(".png").stat().st_size > 10_000
    bars = page.locator("svg.funnel rect.bar")
    assert bars.count() == 11
    drawn = {
        bars.nth(i).get_attribute("data-series"): bars.nth(i).get_attribute("data-value") for i in range(11)
    }
    assert drawn == {
        "rows": "4",
        "sent": "3",
        "delivered": "2",
        "opened": "1",
        "clicked": "0",
        "hard_bounced": "1",
        "soft_bounced": "0",
        "complained": "1",
        "failed": "1",
        "unknown": "0",
        "skipped": "0",
    }
    widths = {key: float(bars.nth(i).bounding_box()["width"]) for i, key in enumerate(drawn)}
    assert widths["rows"] > widths["sent"] > widths["delivered"] > 0  # a funnel: each step narrower
    states = page.locator("table.recipients tbody tr")
    assert states.count() == 4
    assert states.nth(0).get_attribute("data-state") == "failed"  # problems first
    bounced = page.locator('tr[data-recipient="bounce+1@simulator.amazonses.com"]')
    assert "permanent" in bounced.inner_text()
    page.close()


def test_the_delivery_report_lists_every_campaign(browser: Any, synced: Path, home: Path) -> None:
    out = home / "report.html"
    write_report(str(synced), out)
    page, requests = _open(browser, out)
    assert requests == [out.as_uri()]
    cards = page.locator("section.campaigns div.campaign")
    assert [cards.nth(i).get_attribute("data-campaign") for i in range(cards.count())] == [
        "follow-up",
        "news",
    ]
    unknown = page.locator('div.campaign[data-campaign="follow-up"] tr[data-outcome="unknown"] td')
    assert unknown.nth(1).inner_text() == "1" and "bad" in (unknown.nth(2).get_attribute("class") or "")
    page.close()
