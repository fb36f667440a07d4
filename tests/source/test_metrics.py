"""ses_metrics: the VDM metrics export read into one row per (day, dimension, value, metric), through a plain
dlt pipeline against the emulator, with the lookback rerun and the VDM-disabled case."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, DownloadError
from sesflow.source import ses_source
from sesflow.source.metrics import METRICS, parse_metrics
from tests.source.conftest import DAY, pipeline, rows, sesv2, source_args

STREAM = "ses_metrics"


def _sends_per_day(ses: Emulator) -> Counter[date]:
    """Messages sent per day, from the emulator's own record (every seeded message is sent once)."""
    messages = httpx.get(f"{ses.endpoint_url}/_sesflow/messages", params={"limit": 1000}).json()["messages"]
    return Counter(datetime.fromisoformat(m["SendTimestamp"]).astimezone(UTC).date() for m in messages)


def _metric_starts(ses: Emulator) -> list[datetime]:
    client = sesv2(ses)
    jobs = sorted(client.list_export_jobs()["ExportJobs"], key=lambda job: job["CreatedTimestamp"])
    sources = [client.get_export_job(JobId=job["JobId"])["ExportDataSource"] for job in jobs]
    return [s["MetricsDataSource"]["StartDate"].astimezone(UTC) for s in sources if "MetricsDataSource" in s]


def test_a_wide_export_becomes_one_row_per_day_value_and_metric() -> None:
    data = (
        b'{"Timestamp": "2026-10-01T00:00:00.000Z", "ISP": "Gmail", "SEND_VOLUME": 7, "OPEN_VOLUME": 2}\n'
        b'{"Timestamp": "2026-10-02T00:00:00.000Z", "ISP": "Yahoo", "SEND_VOLUME": 1, "OPEN_VOLUME": 0}\n'
    )
    table = parse_metrics(data, "JSON", "ISP")
    assert table.to_pylist() == [
        {
            "day": date(2026, 10, 1),
            "dimension": "ISP",
            "dimension_value": "Gmail",
            "metric": "SEND",
            "volume": 7,
        },
        {
            "day": date(2026, 10, 1),
            "dimension": "ISP",
            "dimension_value": "Gmail",
            "metric": "OPEN",
            "volume": 2,
        },
        {
            "day": date(2026, 10, 2),
            "dimension": "ISP",
            "dimension_value": "Yahoo",
            "metric": "SEND",
            "volume": 1,
        },
        {
            "day": date(2026, 10, 2),
            "dimension": "ISP",
            "dimension_value": "Yahoo",
            "metric": "OPEN",
            "volume": 0,
        },
    ]


def test_a_long_csv_export_with_other_key_spellings_reads_the_same() -> None:
    data = b"date,email_identity,metric_name,value\r\n2026-10-01,example.com,DELIVERY_OPEN,3\r\n"
    assert parse_metrics(data, "CSV", "EMAIL_IDENTITY").to_pylist() == [
        {
            "day": date(2026, 10, 1),
            "dimension": "EMAIL_IDENTITY",
            "dimension_value": "example.com",
            "metric": "DELIVERY_OPEN",
            "volume": 3,
        }
    ]


def test_a_record_without_a_day_is_an_error_naming_the_keys_it_has() -> None:
    with pytest.raises(DownloadError, match=r"record 1 .* no timestamp .*isp, sendvolume"):
        parse_metrics(b'{"ISP": "Gmail", "SEND_VOLUME": 1}\n', "JSON", "ISP")


def test_daily_volumes_of_all_ten_metrics_land_by_isp_identity_and_configuration_set(
    aws: Path, ses: Emulator
) -> None:
    pipeline(aws).run(ses_source(**source_args(ses)).with_resources(STREAM))
    found = rows(
        aws, f"select dimension, day, metric, sum(volume) as volume from ses_data.{STREAM} group by all"
    )
    sends = {(row["dimension"], row["day"]): row["volume"] for row in found if row["metric"] == "SEND"}
    expected = _sends_per_day(ses)
    for dimension in ("ISP", "EMAIL_IDENTITY"):  # every seeded message has an ISP and a sender identity
        assert {day: volume for (dim, day), volume in sends.items() if dim == dimension} == expected
    assert {row["dimension"] for row in found} >= {"ISP", "EMAIL_IDENTITY"}
    assert {row["metric"] for row in found} == set(METRICS)


def test_a_rerun_reads_the_last_days_again_for_the_lookback(aws: Path, ses: Emulator) -> None:
    pipe = pipeline(aws)
    args = source_args(ses, metrics_lookback_days=2, metrics_dimensions=["ISP"])
    pipe.run(ses_source(**args).with_resources(STREAM))
    first_jobs = len(_metric_starts(ses))
    newest = pipe.state["sources"]["ses"]["resources"][STREAM]["incremental"]["day"]["last_value"]
    pipe.run(ses_source(**args).with_resources(STREAM))
    rerun = _metric_starts(ses)[first_jobs:]
    assert newest == max(_sends_per_day(ses))  # the last day with sends
    assert rerun == [datetime.combine(newest - 2 * DAY, datetime.min.time(), UTC)]
    keys = rows(
        aws, f"select day, dimension_value, metric, count(*) as n from ses_data.{STREAM} group by all"
    )
    assert all(row["n"] == 1 for row in keys)  # merged: the re-read days are not doubled


def test_without_vdm_the_stream_says_which_setting_and_the_other_streams_go_on(
    aws: Path, ses: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    sesv2(ses).put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "DISABLED"})
    with caplog.at_level(logging.WARNING, logger="sesflow.source"):
        pipeline(aws).run(ses_source(**source_args(ses)).with_resources(STREAM, "ses_account"))
    assert "VdmAttributes.VdmEnabled is DISABLED" in caplog.text
    assert rows(aws, "select vdm_enabled from ses_data.ses_account") == [{"vdm_enabled": "DISABLED"}]


def test_an_unknown_dimension_is_a_config_error_naming_it(aws: Path, ses: Emulator) -> None:
    with pytest.raises(ConfigError, match="metrics_dimensions: 'COUNTRY' is not a VDM metrics dimension"):
        ses_source(**source_args(ses, metrics_dimensions=["ISP", "COUNTRY"]))
