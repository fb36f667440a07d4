"""ses_source is configured by name, as every dlt source: SOURCES__SES__* environment variables and the
.dlt/config.toml + .dlt/secrets.toml files of the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from sesflow.source import ses_source
from tests.source.conftest import ANCHOR, DAY, TODAY, pipeline, rows

ROOT = Path(__file__).resolve().parents[2]


def test_settings_and_credentials_come_from_sources_ses_environment_variables(
    aws: Path, ses: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("SOURCES__SES__REGION", "eu-west-1")
    monkeypatch.setenv("SOURCES__SES__ENDPOINT_URL", ses.endpoint_url)
    monkeypatch.setenv("SOURCES__SES__ANCHOR_DATE", ANCHOR.isoformat())
    monkeypatch.setenv("SOURCES__SES__RANGE_INTERVAL", "7d")
    monkeypatch.setenv("SOURCES__SES__POLL_INTERVAL", "0.2")
    monkeypatch.setenv("SOURCES__SES__CREDENTIALS__AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("SOURCES__SES__CREDENTIALS__AWS_SECRET_ACCESS_KEY", "from-env")
    # SES keeps messages per region: history in the region the settings name, beside the fixture's us-east-1.
    seeded = ses.seed(count=120, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=11, region="eu-west-1")
    pipeline(aws).run(ses_source().with_resources("ses_emails", "ses_account"))
    assert rows(aws, "select region from ses_data.ses_account") == [{"region": "eu-west-1"}]
    emails = rows(aws, "select count(*) as n from ses_data.ses_emails")
    assert emails == [{"n": seeded}]


def test_settings_and_credentials_come_from_the_dlt_folder_of_the_working_directory(
    tmp_path: Path, ses: Emulator
) -> None:
    seeded = ses.seed(count=90, start=TODAY - 4 * DAY, end=TODAY - 2 * DAY, seed=12, region="ap-southeast-2")
    folder = tmp_path / ".dlt"
    folder.mkdir()
    (folder / "config.toml").write_text(
        textwrap.dedent(
            f"""
            [runtime]
            dlthub_telemetry = false

            [sources.ses]
            region = "ap-southeast-2"
            endpoint_url = "{ses.endpoint_url}"
            anchor_date = "{ANCHOR.isoformat()}"
            range_interval = "7d"
            poll_interval = 0.2
            metrics_dimensions = ["ISP"]
            """
        )
    )
    (folder / "secrets.toml").write_text(
        '[sources.ses.credentials]\naws_access_key_id = "AKIDFROMFILE"\naws_secret_access_key = "from-file"\n'
    )
    script = textwrap.dedent(
        """
        import dlt, duckdb
        from sesflow.source import ses_source
        pipeline = dlt.pipeline("from_files", destination=dlt.destinations.duckdb("sesflow.duckdb"),
                                dataset_name="ses_data", pipelines_dir="pipelines")
        pipeline.run(ses_source().with_resources("ses_emails", "ses_account"))
        with duckdb.connect("sesflow.duckdb") as db:
            print(db.sql("select region from ses_data.ses_account").fetchall()[0][0])
            print(db.sql("select count(*) from ses_data.ses_emails").fetchall()[0][0])
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SOURCES__", "DESTINATION__"))}
    env.update(HOME=str(tmp_path), DLT_DATA_DIR=str(tmp_path / "dlt-data"), PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["ap-southeast-2", str(seeded)]
