"""The export record parser: normalised keys, JSON Lines / array / CSV, unknown keys kept, ``_raw``."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from sesflow.errors import DownloadError
from sesflow.source.records import normalise_key, parse_export, unique_messages

RECORD = {
    "MessageId": "0100-abc",
    "FromEmailAddress": "shop@example.com",
    "Destination": "a@example.com, b@example.com",
    "Subject": "Ünïcødé ✉ 注文",
    "Isp": "Gmail",
    "SendTimestamp": "2026-10-01T12:00:00.5Z",
    "LastDeliveryEvent": "DELIVERY",
    "LastEngagementEvent": "CLICK",
    "EmailTags": [{"Name": "campaign", "Value": "fall"}],
    "Events": [
        {
            "Timestamp": "2026-10-01T12:00:01Z",
            "Type": "DELIVERY",
            "Details": {},
            "Destination": "a@example.com",
        },
        {"Timestamp": "2026-10-01T13:00:00Z", "Type": "CLICK", "Details": {"Link": "https://x"}},
    ],
}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("MessageId", "messageid"),
        ("messageId", "messageid"),
        ("message_id", "messageid"),
        ("Message ID", "messageid"),
    ],
)
def test_keys_are_lowercased_without_non_alphanumerics(key: str, expected: str) -> None:
    assert normalise_key(key) == expected


def test_json_lines_give_one_email_row_and_one_row_per_event() -> None:
    tables = parse_export((json.dumps(RECORD) + "\n").encode())
    (email,) = tables.emails.to_pylist()
    assert email["messageid"] == "0100-abc"
    assert email["subject"] == "Ünïcødé ✉ 注文"
    assert email["sendtimestamp"] == datetime(2026, 10, 1, 12, 0, 0, 500000, tzinfo=UTC)
    assert json.loads(email["emailtags"]) == [{"Name": "campaign", "Value": "fall"}]
    assert json.loads(email["_raw"]) == RECORD
    events = tables.events.to_pylist()
    assert [(e["messageid"], e["position"], e["type"]) for e in events] == [
        ("0100-abc", 0, "DELIVERY"),
        ("0100-abc", 1, "CLICK"),
    ]
    assert events[0]["destination"] == "a@example.com"
    assert json.loads(events[1]["details"]) == {"Link": "https://x"}


def test_a_json_array_gives_the_same_tables_as_json_lines() -> None:
    lines = parse_export((json.dumps(RECORD) + "\n").encode())
    array = parse_export(json.dumps([RECORD]).encode())
    assert array.emails.equals(lines.emails)
    assert array.events.equals(lines.events)


def test_other_spellings_of_the_keys_land_in_the_same_columns() -> None:
    other = {"message_id": "m1", "Send Timestamp": "2026-10-01T00:00:00+02:00", "SUBJECT": "hi"}
    (email,) = parse_export(json.dumps(other).encode()).emails.to_pylist()
    assert (email["messageid"], email["subject"]) == ("m1", "hi")
    assert email["sendtimestamp"] == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)


def test_unknown_keys_are_kept_as_columns() -> None:
    record = {"MessageId": "m1", "TenantName": "acme", "Extra": {"a": 1}}
    (email,) = parse_export(json.dumps(record).encode()).emails.to_pylist()
    assert email["tenantname"] == "acme"
    assert json.loads(email["extra"]) == {"a": 1}


def test_csv_gives_the_same_tables_as_json() -> None:
    second = dict(RECORD, MessageId="0100-def", LastEngagementEvent=None, Events=[], EmailTags=[])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(RECORD))
    writer.writeheader()
    for record in (RECORD, second):
        row = {
            k: (json.dumps(v) if isinstance(v, list) else ("" if v is None else v)) for k, v in record.items()
        }
        writer.writerow(row)
    from_csv = parse_export(buffer.getvalue().encode(), "CSV")
    from_json = parse_export("\n".join(json.dumps(r) for r in (RECORD, second)).encode())
    assert from_csv.emails.to_pylist() == from_json.emails.to_pylist()
    assert from_csv.events.to_pylist() == from_json.events.to_pylist()


def test_an_empty_file_gives_empty_tables() -> None:
    tables = parse_export(b"")
    assert tables.rows == 0
    assert tables.events.num_rows == 0


def test_a_line_cut_in_the_middle_is_a_download_error() -> None:
    data = (json.dumps(RECORD) + "\n" + json.dumps(RECORD)[:40]).encode()
    with pytest.raises(DownloadError, match="line 2"):
        parse_export(data)


def test_unique_messages_keeps_the_last_copy_of_a_repeated_record_and_its_events() -> None:
    other = {**RECORD, "MessageId": "0100-other", "Events": []}
    later = {
        **RECORD,
        "LastEngagementEvent": "OPEN",
        "Events": [*RECORD["Events"], {"Timestamp": "2026-10-02T08:00:00Z", "Type": "OPEN"}],
    }
    text = "\n".join(json.dumps(record) for record in (RECORD, other, later)) + "\n"
    tables = unique_messages(parse_export(text.encode()))
    emails = {row["messageid"]: row for row in tables.emails.to_pylist()}
    assert sorted(emails) == ["0100-abc", "0100-other"]
    assert emails["0100-abc"]["lastengagementevent"] == "OPEN"
    events = sorted((e["messageid"], e["position"], e["type"]) for e in tables.events.to_pylist())
    assert events == [("0100-abc", 0, "DELIVERY"), ("0100-abc", 1, "CLICK"), ("0100-abc", 2, "OPEN")]


def test_unique_messages_returns_tables_without_repeats_unchanged() -> None:
    tables = parse_export((json.dumps(RECORD) + "\n").encode())
    assert unique_messages(tables) is tables
