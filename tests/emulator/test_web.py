"""The inspection page at ``/`` in real headless Chromium (Debian ``chromium`` driven by Playwright)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from sesflow.emulator import Emulator

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
