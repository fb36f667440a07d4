"""--data-dir: state survives a restart (SQLite, WAL)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.emulator.conftest import client
from tests.emulator.test_exports import DAY0, download, insights_source, run_job
from tests.emulator.test_sending import raw


def test_messages_events_jobs_and_lists_survive_a_restart(make_emulator: Any, tmp_path: Path) -> None:
    first = make_emulator(data_dir=tmp_path)
    sesv2 = client("sesv2", first)
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw("ann@example.org")}})["MessageId"]
    first.seed(count=20, start=DAY0, end=DAY0 + timedelta(hours=1), seed=1)
    sesv2.put_suppressed_destination(EmailAddress="gone@example.org", Reason="COMPLAINT")
    sesv2.create_email_identity(EmailIdentity="example.org")
    sesv2.create_configuration_set(ConfigurationSetName="marketing")
    sesv2.create_contact_list(
        ContactListName="news",
        Topics=[{"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"}],
    )
    sesv2.create_email_template(TemplateName="hello", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "DISABLED"})
    sesv2.tag_resource(
        ResourceArn="arn:aws:ses:us-east-1:123456789012:configuration-set/marketing",
        Tags=[{"Key": "team", "Value": "growth"}],
    )
    job = run_job(sesv2, insights_source(DAY0, DAY0 + timedelta(hours=1)))
    seeded = download(job)
    httpx.post(
        f"{first.endpoint_url}/_sesflow/messages/{seeded[0]['MessageId']}/events",
        json={"type": "OPEN", "timestamp": "2026-10-02T00:00:00Z"},
    ).raise_for_status()
    first.seed(count=5, start=DAY0, end=DAY0 + timedelta(hours=1), seed=2, region="eu-west-1")
    west = client("sesv2", first, region="eu-west-1")
    west.create_email_template(TemplateName="west", TemplateContent={"Subject": "s", "Text": "t"})
    first.stop()
    assert (tmp_path / "emulator.sqlite3").exists()
    with sqlite3.connect(tmp_path / "emulator.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    second = make_emulator(data_dir=tmp_path)
    again = client("sesv2", second)
    assert again.get_message_insights(MessageId=message_id)["Insights"][0]["Destination"] == "ann@example.org"
    assert again.get_suppressed_destination(EmailAddress="gone@example.org")["SuppressedDestination"][
        "Reason"
    ] == ("COMPLAINT")
    assert again.get_email_identity(EmailIdentity="example.org")["IdentityType"] == "DOMAIN"
    assert again.get_email_identity(EmailIdentity="example.com")["IdentityType"] == "DOMAIN"  # seeded
    assert "marketing" in again.list_configuration_sets()["ConfigurationSets"]
    assert again.get_contact_list(ContactListName="news")["Topics"][0]["TopicName"] == "weekly"
    assert again.get_email_template(TemplateName="hello")["TemplateContent"]["Subject"] == "Hi {{name}}"
    assert again.get_account()["VdmAttributes"]["VdmEnabled"] == "DISABLED"
    assert again.list_tags_for_resource(
        ResourceArn="arn:aws:ses:us-east-1:123456789012:configuration-set/marketing"
    )["Tags"] == [{"Key": "team", "Value": "growth"}]
    old = again.get_export_job(JobId=job["JobId"])
    assert old["JobStatus"] == "COMPLETED" and old["Statistics"]["ExportedRecordsCount"] == 20
    insights = again.get_message_insights(MessageId=seeded[0]["MessageId"])["Insights"][0]["Events"]
    assert insights[-1]["Type"] == "OPEN"
    raw_answer = httpx.get(f"{second.endpoint_url}/_sesflow/messages/{message_id}/raw")
    assert raw_answer.content == raw("ann@example.org")
    assert again.get_account()["SendQuota"]["SentLast24Hours"] == 1.0
    west = client("sesv2", second, region="eu-west-1")
    assert [t["TemplateName"] for t in west.list_email_templates()["TemplatesMetadata"]] == ["west"]
    assert again.list_email_templates()["TemplatesMetadata"][0]["TemplateName"] == "hello"  # not "west"
    assert west.get_account()["VdmAttributes"]["VdmEnabled"] == "ENABLED"  # seeded in eu-west-1 only


def test_memory_mode_forgets(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator())
    sesv2.send_email(Content={"Raw": {"Data": raw()}})
    assert client("sesv2", make_emulator()).list_export_jobs()["ExportJobs"] == []
