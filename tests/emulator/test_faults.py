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


def test_stray_seconds_and_repeat_records_make_exports_overlap_and_repeat(
    emulator: Emulator, sesv2: Any
) -> None:
    emulator.seed(count=40, start=DAY0, end=DAY0 + timedelta(hours=2), seed=1)
    hour = DAY0 + timedelta(hours=1)
    plain = download(run_job(sesv2, insights_source(hour, hour + timedelta(hours=1))))
    fault(emulator, stray_seconds=3600, repeat_records=1)
    time.sleep(1.05)
    job = run_job(sesv2, insights_source(hour, hour + timedelta(hours=1)))
    both = download(job)
    ids = [record["MessageId"] for record in both]
    assert len(set(ids)) == 40 > len(plain)
    assert job["Statistics"]["ExportedRecordsCount"] == len(ids)  # as the file holds
    assert len(ids) == 41 and ids[-1] == ids[0]  # the first record, listed again at the end
    time.sleep(1.05)
    again = download(run_job(sesv2, insights_source(hour, hour + timedelta(hours=1))))
    assert len(again) == 40  # repeat_records was used up; stray_seconds stays until cleared
    httpx.delete(f"{emulator.endpoint_url}/_sesflow/faults").raise_for_status()
    time.sleep(1.05)
    assert len(download(run_job(sesv2, insights_source(hour, hour + timedelta(hours=1))))) == len(plain)


def test_expire_all_urls_now(emulator: Emulator, sesv2: Any) -> None:
    job = run_job(sesv2, insights_source(DAY0, DAY0))
    fault(emulator, expire_urls=True)
    answer = httpx.get(job["ExportDestination"]["S3Url"])
    assert answer.status_code == 403 and "AccessDenied" in answer.text
    fresh = sesv2.get_export_job(JobId=job["JobId"])["ExportDestination"]["S3Url"]
    assert httpx.get(fresh).status_code == 200


AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/ses/aws4_request, "
        "SignedHeaders=host, Signature=00"}  # fmt: skip


def sends(emulator: Emulator) -> list[dict[str, Any]]:
    return list(httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"])


def test_v2_answers_any_ses_error_as_json_with_the_error_type_header(emulator: Emulator, sesv2: Any) -> None:
    fault(
        emulator,
        operation="SendEmail",
        error_code="MailFromDomainNotVerifiedException",
        status=400,
        message="The MAIL FROM domain is not verified.",
        count=2,
    )
    code, status, message = error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}})
    assert (code, status, message) == (
        "MailFromDomainNotVerifiedException",
        400,
        "The MAIL FROM domain is not verified.",
    )
    answer = httpx.post(
        f"{emulator.endpoint_url}/v2/email/outbound-emails",
        json={"Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
              "FromEmailAddress": "app@example.com",
              "Destination": {"ToAddresses": ["a@example.com", "b@example.com"]}},
        headers=AUTH,
    )  # fmt: skip
    assert answer.status_code == 400
    assert answer.headers["x-amzn-errortype"] == "MailFromDomainNotVerifiedException"
    assert answer.json()["message"] == "The MAIL FROM domain is not verified."
    sesv2.send_email(Content={"Raw": {"Data": raw()}})  # the fault was for the next 2 calls only
    assert [(s["status"], s["recipients"], s["operation"]) for s in sends(emulator)] == [
        (400, 1, "SendEmail"),  # recipients from the raw message's To header
        (400, 2, "SendEmail"),
        (200, 1, "SendEmail"),
    ]


@pytest.mark.parametrize(
    "code",
    ["MailFromDomainNotVerifiedException", "AccountSendingPausedException", "MailFromDomainNotVerified"],
)
def test_v1_answers_any_ses_error_as_an_xml_error_response(code: str, emulator: Emulator, ses: Any) -> None:
    fault(emulator, operation="SendRawEmail", error_code=code, status=400, message="Sending is off.")
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()}) == (code, 400, "Sending is off.")
    fault(emulator, operation="SendRawEmail", error_code=code, status=400)
    answer = httpx.post(
        f"{emulator.endpoint_url}/",
        data={"Action": "SendRawEmail", "Version": "2010-12-01", "RawMessage.Data": "RnJvbTogYUBiLmM="},
        headers=AUTH,
    )
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/xml")
    assert answer.text.startswith("<ErrorResponse") and f"<Code>{code}</Code>" in answer.text
    assert "<Type>Sender</Type>" in answer.text and "(injected by the sesflow emulator)" in answer.text
    assert [s["status"] for s in sends(emulator)] == [400, 400]


def test_status_defaults_to_the_models_status_and_5xx_codes_are_receiver_faults(
    emulator: Emulator, sesv2: Any, ses: Any
) -> None:
    fault(emulator, operation="SendEmail", error_code="TooManyRequestsException")
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}})[:2] == (
        "TooManyRequestsException",
        429,
    )
    fault(emulator, operation="GetSendQuota", error_code="InternalError", status=502, probability=1.0)
    assert error_of(ses.get_send_quota)[:2] == ("InternalError", 502)
    assert error_of(ses.get_send_quota)[:2] == ("InternalError", 502)  # probability 1: every call
    assert [s["status"] for s in sends(emulator)] == [429]  # only sends go to the sends log


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"operation": "SendEmail", "error_code": "MessageRejected", "status": 399}, "400..599"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "status": 600}, "400..599"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "status": "400"}, "'status'"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "colour": "red"}, "colour"),
        ({"operation": "SendEmail", "status": 418}, "error_code"),
        ({"operation": "SendMail", "error_code": "MessageRejected"}, "SendMail"),
        ({"error_code": "MessageRejected"}, "'operation'"),
        ({"operation": "SendEmail", "error_code": "Not a code!"}, "'error_code'"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "count": 0}, "'count'"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "probability": 2}, "'probability'"),
        ({"operation": "SendEmail", "error_code": "MessageRejected", "latency_ms": 5}, "latency_ms"),
        ({"operation": "SendEmail"}, "No fault given"),
        ({"stray_seconds": -1}, "'stray_seconds'"),
        ({"stray_seconds": True}, "'stray_seconds'"),
        ({"repeat_records": -2}, "'repeat_records'"),
    ],
)
def test_bad_fault_bodies_are_refused_with_a_clear_message(
    body: dict[str, Any], named: str, emulator: Emulator, sesv2: Any
) -> None:
    answer = httpx.post(f"{emulator.endpoint_url}/_sesflow/faults", json=body)
    assert answer.status_code == 400
    assert named in answer.json()["error"]
    sesv2.send_email(Content={"Raw": {"Data": raw()}})  # nothing was injected
