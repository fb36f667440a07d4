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


def test_target_may_name_a_connection(tmp_path: Path) -> None:
    import os

    write_duckdb(str(tmp_path / "stats.duckdb"), make_mails(count=30))
    env = {**os.environ, "HOME": str(tmp_path), "MY_DUCK": "{type: duckdb, instance: ./stats.duckdb}"}
    done = subprocess.run(
        [sys.executable, "-m", "sesflow", "report", "--target", "MY_DUCK", "-o", "named.html"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "30 messages" in done.stdout
    assert "MY_DUCK" in (tmp_path / "named.html").read_text(encoding="utf-8")


def test_a_postgres_connection_is_read_too(tmp_path: Path, pg_url: str) -> None:
    import os

    from tests.report.tables import write_postgres

    write_postgres(pg_url, make_mails(count=25), schema="ses_cli_test")
    env = {**os.environ, "HOME": str(tmp_path), "MY_PG": f'{{"type": "postgres", "url": "{pg_url}"}}'}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sesflow",
            "report",
            "-t",
            "MY_PG",
            "--schema",
            "ses_cli_test",
            "-o",
            "pg.html",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "25 messages" in done.stdout
