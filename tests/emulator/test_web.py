"""The inspection page at ``/`` in real headless Chromium (Debian ``chromium`` driven by Playwright)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from sesflow.emulator import Emulator
from tests.emulator.conftest import client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

HTML_MESSAGE = (
    b"From: Shop <shop@example.com>\r\nTo: ann@example.org\r\nSubject: Your receipt\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    b'--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<h1 id="thanks">Thank you, Ann</h1>\r\n'
    b'--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="receipt.txt"\r\n\r\n'
    b"total: 42\r\n--b1--\r\n"
)


def test_page_lists_a_sent_message_and_opens_it(emulator: Emulator, sesv2: Any) -> None:
    from playwright.sync_api import sync_playwright

    message_id = sesv2.send_email(Content={"Raw": {"Data": HTML_MESSAGE}})["MessageId"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(emulator.endpoint_url + "/")
            row = page.locator(f"tr[data-id='{message_id}']")
            row.wait_for(timeout=15_000)
            text = row.inner_text()
            assert "Your receipt" in text and "ann@example.org" in text and "shop@example.com" in text
            assert "DELIVERY" in text
            row.click()
            page.locator("#detail h2.subject").wait_for(timeout=15_000)
            assert page.locator("#detail h2.subject").inner_text() == "Your receipt"
            frame = page.locator("#detail iframe")
            assert frame.get_attribute("sandbox") == ""
            assert page.frame_locator("#detail iframe").locator("#thanks").inner_text() == "Thank you, Ann"
            link = page.locator("#detail ul.attachments a")
            assert link.inner_text() == "receipt.txt"
            with page.expect_download() as download:
                link.click()
            assert download.value.suggested_filename == "receipt.txt"
            with open(download.value.path(), "rb") as saved:
                assert saved.read() == b"total: 42"
        finally:
            browser.close()


@pytest.mark.parametrize("path", ["/", "/index.html"])
def test_page_is_served_as_html(emulator: Emulator, path: str) -> None:
    import httpx

    answer = httpx.get(emulator.endpoint_url + path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")


LONG_MESSAGE = (
    "From: Newsletter Department <newsletter-department@marketing.example-company.com>\r\n"
    "To: someone.with.a.rather.long.address@subdomain.example.org, second.recipient@example.org\r\n"
    "Subject: A fairly long subject line about the autumn catalogue and what is in it\r\n"
    "Content-Type: text/html\r\n\r\n<p>" + "body " * 300 + "</p>"
).encode()

# Rectangles of the list, the detail pane and every cell, and the cells whose content overflows them.
LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const cells = [...document.querySelectorAll('#messages td')];
  return {list: box(document.getElementById('list')), detail: box(document.getElementById('detail')),
    cells: cells.map(box), events: [...document.querySelectorAll('#messages td.events')].map(box),
    overflowing: cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)};
}"""


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_events_column_never_overlaps_the_detail_pane(make_emulator: Any, width: int) -> None:
    from playwright.sync_api import sync_playwright

    emulator = make_emulator(open_probability=1.0, click_probability=1.0)
    sesv2 = client("sesv2", emulator)
    for _ in range(3):
        sesv2.send_email(Content={"Raw": {"Data": LONG_MESSAGE}})
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(emulator.endpoint_url + "/")
            page.locator("tr.msg").nth(2).wait_for(timeout=15_000)
            page.locator("tr.msg").first.click()
            page.locator("#detail h2.subject").wait_for(timeout=15_000)
            layout = page.evaluate(LAYOUT)
        finally:
            browser.close()
    list_box, detail = layout["list"], layout["detail"]
    side_by_side = detail["left"] >= list_box["right"]
    assert side_by_side or detail["top"] >= list_box["bottom"]  # stacked on narrow screens
    assert side_by_side == (width > 900)
    assert layout["overflowing"] == []
    for cell in layout["cells"]:
        assert list_box["left"] <= cell["left"] and cell["right"] <= list_box["right"] + 0.5
    for cell in layout["events"]:
        assert cell["right"] <= detail["left"] or cell["bottom"] <= detail["top"]
