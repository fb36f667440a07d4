"""``sesflow report`` writes the file, prints one summary line and maps bad input to exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.report.tables import make_mails, write_duckdb


def sesflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def test_report_writes_the_html_file_and_a_summary_line(tmp_path: Path) -> None:
    write_duckdb(str(tmp_path / "stats.duckdb"), make_mails(count=120))
    done = sesflow("report", "--target", "stats.duckdb", "--out", "out.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote out.html" in done.stdout
    assert "120 messages" in done.stdout
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'id="chart-volume"' in html


def test_since_limits_the_period(tmp_path: Path) -> None:
    write_duckdb(str(tmp_path / "stats.duckdb"), make_mails(count=100, days=10))
    done = sesflow("report", "-t", "stats.duckdb", "--since", "2026-10-06", "-o", "r.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "50 messages (2026-10-06 to 2026-10-10)" in done.stdout


def test_a_malformed_since_exits_2_naming_the_option(tmp_path: Path) -> None:
    write_duckdb(str(tmp_path / "stats.duckdb"), make_mails(count=10))
    done = sesflow("report", "-t", "stats.duckdb", "--since", "last week", cwd=tmp_path)
    assert done.returncode == 2
    assert "--since" in done.stderr


def test_a_missing_database_exits_2_with_what_to_do(tmp_path: Path) -> None:
    done = sesflow("report", "-t", "nothing-here.duckdb", cwd=tmp_path)
    assert done.returncode == 2
    assert "no DuckDB file at nothing-here.duckdb" in done.stderr
    assert "sync" in done.stderr
