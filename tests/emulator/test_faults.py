"""Fault injection: failing export jobs, 5xx answers, latency, truncated downloads, expired URLs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sesflow.emulator import Emulator
from tests.emulator.test_exports import download, insights_source, run_job
from tests.emulator.test_sending import error_of, raw

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)


def fault(emulator: Emulator, **body: Any) -> None:
    httpx.post(f"{emulator.endpoint_url}/_sesflow/faults", json=body).raise_for_status()


def test_fail_next_export_jobs(emulator: Emulator, sesv2: Any) -> None:
    fault(emulator, fail_export_jobs=1, error_message="disk on fire")
    job = run_job(sesv2, insights_source(DAY0, DAY0))
    assert job["JobStatus"] == "FAILED" and job["FailureInfo"]["ErrorMessage"] == "disk on fire"
    time.sleep(1.05)
    assert run_job(sesv2, insights_source(DAY0, DAY0))["JobStatus"] == "COMPLETED"


def test_next_n_calls_answer_500_or_503(emulator: Emulator, sesv2: Any, ses: Any) -> None:
    fault(emulator, operation="SendEmail", status=503, count=2)
    for _ in range(2):
        assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}})[:2] == ("ServiceUnavailable", 503)
    sesv2.send_email(Content={"Raw": {"Data": raw()}})
    fault(emulator, operation="SendRawEmail", status=500)
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()})[:2] == ("InternalFailure", 500)
    sends = httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"]
    assert [s["status"] for s in sends] == [503, 503, 200, 500]


def test_probability_fault_and_clear(emulator: Emulator, sesv2: Any) -> None:
    fault(emulator, operation="GetAccount", status=500, probability=1.0)
    assert error_of(sesv2.get_account)[1] == 500
    httpx.delete(f"{emulator.endpoint_url}/_sesflow/faults").raise_for_status()
    sesv2.get_account()


def test_latency_fault(emulator: Emulator, sesv2: Any) -> None:
    fault(emulator, latency_ms=300, operation="GetAccount")
    started = time.monotonic()
    sesv2.get_account()
    assert time.monotonic() - started >= 0.3


def test_truncate_next_download(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=50, start=DAY0, end=DAY0 + timedelta(hours=1), seed=1)
    job = run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1)))
    fault(emulator, truncate_downloads=1)
    with pytest.raises(httpx.RemoteProtocolError):  # Content-Length promised more than arrived
        httpx.get(job["ExportDestination"]["S3Url"])
    assert len(download(job)) == 50


def test_expire_all_urls_now(emulator: Emulator, sesv2: Any) -> None:
    job = run_job(sesv2, insights_source(DAY0, DAY0))
    fault(emulator, expire_urls=True)
    answer = httpx.get(job["ExportDestination"]["S3Url"])
    assert answer.status_code == 403 and "AccessDenied" in answer.text
    fresh = sesv2.get_export_job(JobId=job["JobId"])["ExportDestination"]["S3Url"]
    assert httpx.get(fresh).status_code == 200
