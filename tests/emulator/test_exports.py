"""Message Insights and metrics export jobs, end to end with boto3 over HTTP."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from sesflow.emulator import Emulator
from tests.emulator.conftest import client
from tests.emulator.test_sending import error_of, raw

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)


def insights_source(start: Any, end: Any, **extra: Any) -> dict[str, Any]:
    return {"MessageInsightsDataSource": {"StartDate": start, "EndDate": end, **extra}}


def run_job(sesv2: Any, source: dict[str, Any], data_format: str = "JSON") -> dict[str, Any]:
    job_id = sesv2.create_export_job(ExportDataSource=source, ExportDestination={"DataFormat": data_format})[
        "JobId"
    ]
    for _ in range(200):
        job = sesv2.get_export_job(JobId=job_id)
        if job["JobStatus"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("export job did not finish")


def download(job: dict[str, Any]) -> list[dict[str, Any]]:
    answer = httpx.get(job["ExportDestination"]["S3Url"])
    answer.raise_for_status()
    return [json.loads(line) for line in answer.text.splitlines()]


def wait_a_second() -> None:
    time.sleep(1.05)  # CreateExportJob is limited to one per second, like SES


def test_job_moves_created_processing_completed(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(export_delay=3.0))
    job_id = sesv2.create_export_job(
        ExportDataSource=insights_source(DAY0, DAY0 + timedelta(days=1)),
        ExportDestination={"DataFormat": "JSON"},
    )["JobId"]
    seen = []
    for _ in range(200):
        status = sesv2.get_export_job(JobId=job_id)["JobStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "COMPLETED":
            break
        time.sleep(0.05)
    assert seen == ["CREATED", "PROCESSING", "COMPLETED"]
    job = sesv2.get_export_job(JobId=job_id)
    assert job["Statistics"] == {"ProcessedRecordsCount": 0, "ExportedRecordsCount": 0}
    assert job["CompletedTimestamp"] >= job["CreatedTimestamp"]


def test_exported_record_format(sesv2: Any) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    message_id = sesv2.send_email(
        Content={"Raw": {"Data": raw("success@simulator.amazonses.com, bounce@simulator.amazonses.com")}},
        EmailTags=[{"Name": "campaign", "Value": "welcome"}],
    )["MessageId"]
    records = download(run_job(sesv2, insights_source(start, datetime.now(UTC))))
    assert len(records) == 1
    record = records[0]
    assert list(record) == [
        "MessageId", "FromEmailAddress", "Destination", "Subject", "Isp", "SendTimestamp",
        "LastDeliveryEvent", "LastEngagementEvent", "EmailTags", "Events",
    ]  # fmt: skip
    assert record["MessageId"] == message_id
    assert record["FromEmailAddress"] == "app@example.com"
    assert record["Destination"] == "success@simulator.amazonses.com, bounce@simulator.amazonses.com"
    assert record["Subject"] == "Hello there"
    assert record["SendTimestamp"].endswith("Z")
    assert record["EmailTags"] == [{"Name": "campaign", "Value": "welcome"}]
    assert {(e["Type"], e["Destination"]) for e in record["Events"]} >= {
        ("DELIVERY", "success@simulator.amazonses.com"),
        ("BOUNCE", "bounce@simulator.amazonses.com"),
    }
    stamps = [e["Timestamp"] for e in record["Events"]]
    assert stamps == sorted(stamps)


def test_window_is_inclusive_ordered_and_cut_at_max_results(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=500, start=DAY0, end=DAY0 + timedelta(days=10), seed=1)
    job = run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(days=10), MaxResults=100))
    records = download(job)
    assert job["Statistics"] == {"ProcessedRecordsCount": 500, "ExportedRecordsCount": 100}
    assert len(records) == 100
    stamps = [r["SendTimestamp"] for r in records]
    assert stamps == sorted(stamps)


def test_window_includes_both_ends(emulator: Emulator, sesv2: Any) -> None:
    at = DAY0 + timedelta(days=20)
    emulator.seed(count=2, start=at, end=at, seed=1)
    emulator.seed(count=1, start=at + timedelta(seconds=1), end=at + timedelta(seconds=1), seed=2)
    records = download(run_job(sesv2, insights_source(at, at)))
    assert [r["SendTimestamp"] for r in records] == ["2026-10-21T00:00:00.000Z"] * 2


def test_include_and_exclude_filters(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=300, start=DAY0, end=DAY0 + timedelta(days=3), seed=2)
    end = DAY0 + timedelta(days=3)
    gmail = download(run_job(sesv2, insights_source(DAY0, end, Include={"Isp": ["Gmail"]})))
    assert gmail and {r["Isp"] for r in gmail} == {"Gmail"}
    wait_a_second()
    bounced = download(
        run_job(sesv2, insights_source(DAY0, end, Include={"LastDeliveryEvent": ["PERMANENT_BOUNCE"]}))
    )
    assert {r["LastDeliveryEvent"] for r in bounced} == {"PERMANENT_BOUNCE"}
    wait_a_second()
    rest = download(run_job(sesv2, insights_source(DAY0, end, Exclude={"Isp": ["Gmail"]})))
    assert len(rest) + len(gmail) == 300 and "Gmail" not in {r["Isp"] for r in rest}


def test_export_only_has_events_up_to_job_creation(make_emulator: Any) -> None:
    emulator = make_emulator(event_delay_scale=1.0)
    sesv2 = client("sesv2", emulator)
    start = datetime.now(UTC) - timedelta(minutes=1)
    sesv2.send_email(Content={"Raw": {"Data": raw("complaint@simulator.amazonses.com")}})
    (record,) = download(run_job(sesv2, insights_source(start, datetime.now(UTC) + timedelta(days=1))))
    # The complaint comes a minute or more after delivery: after the job was created, so not in the file.
    assert [e["Type"] for e in record["Events"]] in (["SEND"], ["SEND", "DELIVERY"])
    assert record["LastDeliveryEvent"] in ("SEND", "DELIVERY")


def test_late_event_shows_in_a_later_export(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=3, start=DAY0, end=DAY0 + timedelta(hours=1), seed=5)
    (first, *_) = download(run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1))))
    late = DAY0 + timedelta(days=2)
    httpx.post(
        f"{emulator.endpoint_url}/_sesflow/messages/{first['MessageId']}/events",
        json={"type": "COMPLAINT", "timestamp": late.isoformat()},
    ).raise_for_status()
    wait_a_second()
    (again, *_) = download(run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1))))
    assert again["Events"][-1]["Type"] == "COMPLAINT" and again["LastDeliveryEvent"] == "COMPLAINT"


def test_csv_has_the_scalar_columns_and_json_text(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=5, start=DAY0, end=DAY0 + timedelta(hours=1), seed=3)
    job = run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1)), "CSV")
    rows = list(csv.DictReader(io.StringIO(httpx.get(job["ExportDestination"]["S3Url"]).text)))
    assert len(rows) == 5
    assert list(rows[0])[:8] == [
        "MessageId", "FromEmailAddress", "Destination", "Subject", "Isp", "SendTimestamp",
        "LastDeliveryEvent", "LastEngagementEvent",
    ]  # fmt: skip
    assert json.loads(rows[0]["Events"])[0]["Type"] == "SEND"
    assert isinstance(json.loads(rows[0]["EmailTags"]), list)


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        (insights_source(DAY0 + timedelta(days=1), DAY0), {"DataFormat": "JSON"}),
        (insights_source(DAY0, DAY0, MaxResults=10001), {"DataFormat": "JSON"}),
        (insights_source(DAY0, DAY0, MaxResults=0), {"DataFormat": "JSON"}),
        (insights_source(DAY0, DAY0), {"DataFormat": "XML"}),
        (
            {
                **insights_source(DAY0, DAY0),
                "MetricsDataSource": {
                    "Namespace": "VDM",
                    "Dimensions": {"ISP": ["Gmail"]},
                    "Metrics": [{"Name": "SEND"}],
                    "StartDate": DAY0,
                    "EndDate": DAY0,
                },
            },
            {"DataFormat": "JSON"},
        ),
    ],
    ids=["start-after-end", "max-results-too-big", "max-results-zero", "bad-format", "two-sources"],
)
def test_create_export_job_validation(
    sesv2: Any, source: dict[str, Any], destination: dict[str, str]
) -> None:
    try:
        sesv2.create_export_job(ExportDataSource=source, ExportDestination=destination)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "BadRequestException"
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    except Exception as exc:  # botocore's own parameter validation also rejects some of these
        assert "Invalid" in type(exc).__name__ or "Validation" in type(exc).__name__
    else:
        raise AssertionError("accepted an invalid CreateExportJob")


def test_unvalidated_client_still_gets_bad_request(emulator: Emulator) -> None:
    from botocore.config import Config

    unchecked = boto3.client(
        "sesv2",
        endpoint_url=emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    code, status, _ = error_of(
        unchecked.create_export_job,
        ExportDataSource=insights_source(DAY0, DAY0, MaxResults=20000),
        ExportDestination={"DataFormat": "JSON"},
    )
    assert (code, status) == ("BadRequestException", 400)


def test_too_many_running_jobs_and_rate(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(export_delay=60, max_export_jobs=1))
    args = {"ExportDataSource": insights_source(DAY0, DAY0), "ExportDestination": {"DataFormat": "JSON"}}
    sesv2.create_export_job(**args)
    assert error_of(sesv2.create_export_job, **args)[:2] == ("LimitExceededException", 400)
    sesv2_b = client("sesv2", make_emulator(export_delay=60))
    sesv2_b.create_export_job(**args)
    assert error_of(sesv2_b.create_export_job, **args)[:2] == ("TooManyRequestsException", 429)


def test_list_export_jobs_pages_and_cancel(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(export_delay=60))
    args = {"ExportDataSource": insights_source(DAY0, DAY0), "ExportDestination": {"DataFormat": "JSON"}}
    ids = []
    for _ in range(3):
        ids.append(sesv2.create_export_job(**args)["JobId"])
        wait_a_second()
    first = sesv2.list_export_jobs(PageSize=2)
    second = sesv2.list_export_jobs(PageSize=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert [j["JobId"] for j in first["ExportJobs"] + second["ExportJobs"]] == ids[::-1]
    sesv2.cancel_export_job(JobId=ids[0])
    assert sesv2.get_export_job(JobId=ids[0])["JobStatus"] == "CANCELLED"
    assert [j["JobId"] for j in sesv2.list_export_jobs(JobStatus="CANCELLED")["ExportJobs"]] == [ids[0]]
    assert error_of(sesv2.cancel_export_job, JobId=ids[0])[0] == "BadRequestException"
    assert error_of(sesv2.cancel_export_job, JobId="missing")[:2] == ("NotFoundException", 404)


def test_download_url_expired_or_tampered_is_access_denied(make_emulator: Any) -> None:
    emulator = make_emulator(url_ttl=1)
    sesv2 = client("sesv2", emulator)
    url = run_job(sesv2, insights_source(DAY0, DAY0))["ExportDestination"]["S3Url"]
    assert url.startswith(f"{emulator.endpoint_url}/_sesflow/exports/") and "X-Amz-Signature=" in url
    tampered = url.replace("X-Amz-Expires=1", "X-Amz-Expires=9999")
    answer = httpx.get(tampered)
    assert answer.status_code == 403 and "<Code>AccessDenied</Code>" in answer.text
    time.sleep(2.1)
    answer = httpx.get(url)
    assert answer.status_code == 403 and "expired" in answer.text


def test_metrics_export_gives_daily_aggregates(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=400, start=DAY0, end=DAY0 + timedelta(days=2) - timedelta(seconds=1), seed=9)
    source = {
        "MetricsDataSource": {
            "Namespace": "VDM",
            "Dimensions": {"EMAIL_IDENTITY": ["news@example.com"]},
            "Metrics": [
                {"Name": "SEND", "Aggregation": "VOLUME"},
                {"Name": "DELIVERY", "Aggregation": "RATE"},
            ],
            "StartDate": DAY0,
            "EndDate": DAY0 + timedelta(days=2),
        }
    }
    job = run_job(sesv2, source)
    assert job["ExportSourceType"] == "METRICS_DATA"
    rows = download(job)
    assert [r["Timestamp"][:10] for r in rows] == ["2026-10-01", "2026-10-02"]
    assert sum(r["SEND_VOLUME"] for r in rows) == 400
    assert all(0.8 < r["DELIVERY_RATE"] <= 1.0 for r in rows)


def test_get_message_insights_unknown_id(sesv2: Any) -> None:
    assert error_of(sesv2.get_message_insights, MessageId="0100-nope")[:2] == ("NotFoundException", 404)


def test_get_message_insights_of_seeded_message(emulator: Emulator, sesv2: Any) -> None:
    emulator.seed(count=2, start=DAY0, end=DAY0 + timedelta(hours=1), seed=4)
    (record, _) = download(run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1))))
    answer = sesv2.get_message_insights(MessageId=record["MessageId"])
    assert answer["Insights"][0]["Destination"] == record["Destination"]
    assert [e["Type"] for e in answer["Insights"][0]["Events"]] == [e["Type"] for e in record["Events"]]
