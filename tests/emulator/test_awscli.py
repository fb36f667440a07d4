"""The AWS CLI (``awscli`` from PyPI, a client nobody here wrote) against the emulator: send, export, get."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sesflow.emulator import Emulator

AWS = str(Path(sys.executable).with_name("aws"))


def aws(emulator: Emulator, *args: str) -> Any:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "cli-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [AWS, *args, "--endpoint-url", emulator.endpoint_url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_aws_cli_sends_exports_and_downloads(make_emulator: Any) -> None:
    emulator = make_emulator(auth="strict", credentials=[("AKIDCLI", "cli-secret")])
    raw = (
        "From: cli@example.com\r\nTo: success@simulator.amazonses.com\r\nSubject: From the CLI\r\n\r\nhi\r\n"
    )
    sent = aws(emulator, "sesv2", "send-email", "--content", json.dumps({"Raw": {"Data": raw}}))
    v1 = aws(emulator, "ses", "send-raw-email", "--raw-message", json.dumps({"Data": raw}))
    assert v1["MessageId"].endswith("-000000")
    assert aws(emulator, "sesv2", "get-account")["SendQuota"]["SentLast24Hours"] == 2.0
    now = datetime.now(UTC)
    source = {
        "MessageInsightsDataSource": {
            "StartDate": (now - timedelta(minutes=5)).isoformat(),
            "EndDate": (now + timedelta(minutes=5)).isoformat(),
        }
    }
    job_id = aws(
        emulator, "sesv2", "create-export-job", "--export-data-source", json.dumps(source),
        "--export-destination", json.dumps({"DataFormat": "JSON"}),
    )["JobId"]  # fmt: skip
    for _ in range(50):
        job = aws(emulator, "sesv2", "get-export-job", "--job-id", job_id)
        if job["JobStatus"] == "COMPLETED":
            break
        time.sleep(0.1)
    assert job["JobStatus"] == "COMPLETED"
    lines = httpx.get(job["ExportDestination"]["S3Url"]).text.splitlines()
    assert sent["MessageId"] in {json.loads(line)["MessageId"] for line in lines}
    listed = aws(emulator, "sesv2", "list-export-jobs")
    assert [j["JobId"] for j in listed["ExportJobs"]] == [job_id]
