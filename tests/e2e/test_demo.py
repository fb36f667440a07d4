"""``sesflow demo`` runs the whole loop in a fresh folder, twice, and leaves a database and a report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sesflow.demo import demo_messages, logo_png, simple_pdf
from sesflow.mime import compose


def sesflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "120", "NO_COLOR": "1"},
    )


def _row(output: str, name: str) -> tuple[int, str]:
    found = re.search(rf"^\W*{name}\W+([\d,]+)\W+([\d.]+%)?", output, re.MULTILINE)
    assert found, f"no {name!r} row in\n{output}"
    return int(found.group(1).replace(",", "")), found.group(2) or ""


@pytest.mark.slow
def test_demo_sends_syncs_summarises_and_reports_and_runs_again(tmp_path: Path) -> None:
    first = sesflow("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    sent, _ = _row(out, "sent")
    assert sent == 600
    delivered, delivery_rate = _row(out, "delivered")
    bounced, _ = _row(out, "bounced")
    assert 0 < bounced < sent and delivered + bounced >= sent and delivery_rate.endswith("%")
    assert _row(out, "permanent")[0] == bounced
    assert _row(out, "complained")[0] > 0
    assert _row(out, "opened")[0] > 0 and _row(out, "clicked")[0] > 0
    assert _row(out, "send failures")[0] == 0
    assert _row(out, "throttled attempts")[0] == 0
    # stdout is a pipe: the closing line is one line however long the folder's name (no wrapping at 80)
    closing = [line for line in out.splitlines() if line.startswith("Database: ")]
    assert len(closing) == 1 and "sesflow-demo-report.html" in closing[0], out

    database, report = tmp_path / "sesflow-demo.duckdb", tmp_path / "sesflow-demo-report.html"
    with duckdb.connect(str(database), read_only=True) as con:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        emails = con.execute(f'SELECT count(*) FROM "{catalog}".ses.ses_emails').fetchall()[0][0]
        tags = con.execute(
            f"""SELECT count(*) FROM "{catalog}".ses.ses_emails WHERE emailtags LIKE '%"demo"%'"""
        ).fetchall()[0][0]
    assert tags == 600 and emails > 600  # the batch plus the seeded history
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count('class="point"') > 30

    second = sesflow("demo", "--messages", "500", "--history-days", "2", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _row(second.stdout, "sent")[0] == 500  # each run starts afresh
    assert report.stat().st_size > 0


def test_the_batch_is_text_html_logo_pdf_list_unsubscribe_and_tags() -> None:
    import email
    import email.policy

    messages = list(demo_messages(40))
    kinds: set[str] = set()
    for message in messages:
        parsed = email.message_from_bytes(compose(message).raw, policy=email.policy.default)
        types = {part.get_content_type() for part in parsed.walk()}
        assert {"text/plain", "text/html", "image/png", "application/pdf"} <= types
        assert parsed["List-Unsubscribe"].startswith("<https://")
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
        logo = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
        assert f"cid:{logo['Content-ID'].strip('<>')}" in html
        assert message.ses is not None
        kinds.add(next(t["Value"] for t in message.ses["EmailTags"] if t["Name"] == "campaign"))
        if "text/calendar" in types:
            calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
            assert "METHOD:REQUEST" in calendar.get_content()
    assert len(kinds) == 4
    assert any("simulator.amazonses.com" in m.to[0] for m in messages)  # type: ignore[index]


def test_the_pdf_has_a_valid_cross_reference_table() -> None:
    pdf = simple_pdf("Receipt (1)", ["Total: 42.00 EUR"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[xref:].startswith(b"xref\n0 6\n")
    entries = pdf[xref:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_the_logo_is_a_png_that_chromium_would_decode() -> None:
    import struct
    import zlib

    png = logo_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    idat_len = struct.unpack(">I", png[33:37])[0]
    pixels = zlib.decompress(png[41 : 41 + idat_len])
    assert len(pixels) == height * (1 + 3 * width)
