"""ses_emails and ses_email_events through a plain dlt pipeline: the emulator's messages land whole, reruns
pick up only what is new (plus the lookback), and the nested Arrow hand-over keeps events with messages."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from sesflow.emulator import Emulator
from sesflow.source import ses_source
from sesflow.source.messages import emails_of, events_of, nest_events
from sesflow.source.records import parse_export
from tests.source.conftest import DAY, TODAY, pipeline, rows, sesv2, source_args
from tests.sync.conftest import EMAIL_COLUMNS, EVENT_COLUMNS, as_truth, truth

MESSAGE_STREAMS = ("ses_emails", "ses_email_events")


def _loaded(folder: Path) -> dict[str, dict[str, object]]:
    emails = rows(folder, f"select {', '.join(EMAIL_COLUMNS)} from ses_data.ses_emails")
    events = rows(folder, f"select {', '.join(EVENT_COLUMNS)} from ses_data.ses_email_events order by 1, 2")
    return as_truth(emails, events)


def _send(ses: Emulator, count: int) -> None:
    client = sesv2(ses)
    for number in range(count):
        client.send_email(
            FromEmailAddress="shop@example.com",
            Destination={"ToAddresses": [f"late{number}@example.com"]},
            Content={"Simple": {"Subject": {"Data": f"late {number}"}, "Body": {"Text": {"Data": "hi"}}}},
        )
    time.sleep(1.1)  # a run ends at "now" in whole seconds: let the sends fall before the next run's end


def test_every_message_and_its_events_land_as_the_emulator_holds_them(aws: Path, ses: Emulator) -> None:
    pipeline(aws).run(ses_source(**source_args(ses)).with_resources(*MESSAGE_STREAMS))
    assert _loaded(aws) == truth(ses.endpoint_url)


def test_a_rerun_exports_from_the_newest_send_time_and_adds_only_the_new_messages(
    aws: Path, ses: Emulator
) -> None:
    pipe = pipeline(aws)
    pipe.run(ses_source(**source_args(ses)).with_resources(*MESSAGE_STREAMS))
    first = pipe.state["sources"]["ses"]["resources"]["ses_messages"]["incremental"]["sendtimestamp"]
    _send(ses, 3)
    pipe.run(ses_source(**source_args(ses)).with_resources(*MESSAGE_STREAMS))
    loaded = _loaded(aws)
    assert loaded == truth(ses.endpoint_url)
    assert len(loaded) == 303
    second = pipe.state["sources"]["ses"]["resources"]["ses_messages"]["incremental"]["sendtimestamp"]
    assert second["start_value"] == first["last_value"]  # the rerun started at the newest send time
    assert second["last_value"] > first["last_value"]


def _export_starts(ses: Emulator) -> list[datetime]:
    """The StartDate of every Message Insights export job the emulator was asked for, in order."""
    client = sesv2(ses)
    jobs = sorted(client.list_export_jobs()["ExportJobs"], key=lambda job: job["CreatedTimestamp"])
    sources = [client.get_export_job(JobId=job["JobId"])["ExportDataSource"] for job in jobs]
    return [
        source["MessageInsightsDataSource"]["StartDate"].astimezone(UTC)
        for source in sources
        if "MessageInsightsDataSource" in source
    ]


def test_a_lookback_starts_the_rerun_that_much_before_the_newest_send_time(aws: Path, ses: Emulator) -> None:
    pipe = pipeline(aws)
    args = source_args(ses, lookback_interval="1d")
    pipe.run(ses_source(**args).with_resources(*MESSAGE_STREAMS))
    newest = pipe.state["sources"]["ses"]["resources"]["ses_messages"]["incremental"]["sendtimestamp"]
    first_run_jobs = len(_export_starts(ses))
    pipe.run(ses_source(**args).with_resources(*MESSAGE_STREAMS))
    rerun = _export_starts(ses)[first_run_jobs:]
    assert rerun[0] == (newest["last_value"] - DAY).replace(microsecond=0)
    assert _loaded(aws) == truth(ses.endpoint_url)  # merged: the re-exported day is not doubled


def test_the_events_table_alone_can_be_selected(aws: Path, ses: Emulator) -> None:
    pipeline(aws).run(ses_source(**source_args(ses)).with_resources("ses_email_events"))
    events = rows(aws, "select count(distinct messageid) as messages from ses_data.ses_email_events")
    assert events == [{"messages": len(truth(ses.endpoint_url))}]


def test_windows_are_cut_on_the_anchor_grid(aws: Path, ses: Emulator) -> None:
    pipeline(aws).run(ses_source(**source_args(ses, range_interval="2d")).with_resources("ses_emails"))
    anchor = TODAY - 6 * DAY
    assert _export_starts(ses) == [anchor, anchor + 2 * DAY, anchor + 4 * DAY, anchor + 6 * DAY]


def test_nested_events_come_apart_into_the_tables_the_parser_made() -> None:
    export = b"\n".join(
        [
            b'{"MessageId": "m1", "SendTimestamp": "2026-10-01T00:00:00Z", "Events": '
            b'[{"Type": "SEND", "Timestamp": "2026-10-01T00:00:00Z"}, '
            b'{"Type": "DELIVERY", "Timestamp": "2026-10-01T00:00:01Z"}]}',
            b'{"MessageId": "m2", "SendTimestamp": "2026-10-01T00:00:02Z", "Events": []}',
            b'{"MessageId": "m3", "SendTimestamp": "2026-10-01T00:00:03Z", "Events": '
            b'[{"Type": "SEND", "Timestamp": "2026-10-01T00:00:03Z"}]}',
        ]
    )
    tables = parse_export(export, "JSON")
    nested = nest_events(tables)
    assert nested["events"].to_pylist()[1] == []
    assert emails_of(nested).equals(tables.emails)
    assert events_of(nested).equals(tables.events)


def test_a_filtered_nested_table_keeps_each_message_with_its_own_events() -> None:
    export = b"\n".join(
        b'{"MessageId": "m%d", "SendTimestamp": "2026-10-01T00:00:0%dZ", "Events": [{"Type": "SEND"}, '
        b'{"Type": "DELIVERY"}]}' % (n, n)
        for n in range(4)
    )
    nested = nest_events(parse_export(export, "JSON"))
    kept = nested.filter(pa.array([False, True, False, True]))  # as dlt's cursor filter drops rows
    events = events_of(kept)
    assert events["messageid"].to_pylist() == ["m1", "m1", "m3", "m3"]
    assert events["position"].to_pylist() == [0, 1, 0, 1]
