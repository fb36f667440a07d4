"""ses_suppressed_destinations through a plain dlt pipeline: the list lands with reasons and update times,
reruns add what changed since, and a full refresh drops what left the list."""

from __future__ import annotations

import time
from pathlib import Path

from sesflow.emulator import Emulator
from sesflow.source import ses_source
from tests.source.conftest import EMPTY_REGION, pipeline, rows, sesv2, source_args

STREAM = "ses_suppressed_destinations"


def _listed(folder: Path) -> list[tuple[str, str]]:
    found = rows(folder, f"select email_address, reason from ses_data.{STREAM} order by 1")
    return [(row["email_address"], row["reason"]) for row in found]


def test_the_suppression_list_lands_with_reason_and_last_update_time(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    client.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    client.put_suppressed_destination(EmailAddress="angry@example.com", Reason="COMPLAINT")
    pipeline(aws).run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    assert _listed(aws) == [("angry@example.com", "COMPLAINT"), ("gone@example.com", "BOUNCE")]
    listed = client.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    times = {item["EmailAddress"]: item["LastUpdateTime"] for item in listed}
    loaded = rows(aws, f"select email_address, last_update_time from ses_data.{STREAM}")
    assert {row["email_address"]: row["last_update_time"] for row in loaded} == times


def test_a_rerun_adds_new_and_updated_addresses_and_moves_the_cursor(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    client.put_suppressed_destination(EmailAddress="first@example.com", Reason="BOUNCE")
    pipe = pipeline(aws)
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    cursor = pipe.state["sources"]["ses"]["resources"][STREAM]["incremental"]["last_update_time"]
    time.sleep(0.01)
    client.put_suppressed_destination(EmailAddress="second@example.com", Reason="COMPLAINT")
    client.put_suppressed_destination(EmailAddress="first@example.com", Reason="COMPLAINT")
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    assert _listed(aws) == [("first@example.com", "COMPLAINT"), ("second@example.com", "COMPLAINT")]
    after = pipe.state["sources"]["ses"]["resources"][STREAM]["incremental"]["last_update_time"]
    assert after["last_value"] > cursor["last_value"]


def test_an_address_removed_from_the_list_stays_until_a_full_refresh(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    for address in ("kept@example.com", "removed@example.com"):
        client.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    pipe = pipeline(aws)
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    client.delete_suppressed_destination(EmailAddress="removed@example.com")
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    assert [address for address, _ in _listed(aws)] == ["kept@example.com", "removed@example.com"]
    pipe.run(
        ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM), refresh="drop_resources"
    )
    assert [address for address, _ in _listed(aws)] == ["kept@example.com"]


def test_details_are_read_per_address_unless_turned_off(aws: Path, ses: Emulator) -> None:
    sesv2(ses, EMPTY_REGION).put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    ses.faults(
        operation="GetSuppressedDestination", error_code="AccessDeniedException", status=403, probability=1.0
    )
    pipe = pipeline(aws)
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources(STREAM))
    assert STREAM not in {row["table_name"] for row in rows(aws, "from information_schema.tables")}
    pipe.run(
        ses_source(**source_args(ses, region=EMPTY_REGION, suppression_details=False)).with_resources(STREAM)
    )
    assert rows(aws, f"select email_address, message_id, feedback_id from ses_data.{STREAM}") == [
        {"email_address": "gone@example.com", "message_id": None, "feedback_id": None}
    ]
