"""Bad input to ses_source: a stream the credentials may not read fails alone, naming the IAM action; an
unknown stream, dimension or setting is a clear error naming it; secrets stay out of errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from dlt.extract.exceptions import ResourcesNotFoundError
from dlt.pipeline.exceptions import PipelineStepFailed

from sesflow.emulator import Emulator
from sesflow.errors import AccessDeniedError, ConfigError
from sesflow.source import ses_source, stream_info
from sesflow.source.api import AwsSettings, make_client
from tests.source.conftest import pipeline, sesv2, source_args, tables


def _deny(ses: Emulator, operation: str) -> None:
    ses.faults(operation=operation, error_code="AccessDeniedException", status=403, probability=1.0)


def test_a_denied_stream_is_skipped_naming_the_iam_action_and_the_others_load(
    aws: Path, ses: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    sesv2(ses).put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    _deny(ses, "ListSuppressedDestinations")
    with caplog.at_level(logging.ERROR, logger="sesflow.source"):
        pipeline(aws).run(
            ses_source(**source_args(ses)).with_resources(
                "ses_suppressed_destinations", "ses_emails", "ses_account"
            )
        )
    (record,) = [r for r in caplog.records if r.name == "sesflow.source"]
    assert record.levelno == logging.ERROR
    assert "ses_suppressed_destinations" in record.getMessage()
    assert "Grant the IAM action ses:ListSuppressedDestinations" in record.getMessage()
    assert {"ses_emails", "ses_account"} <= tables(aws)
    assert "ses_suppressed_destinations" not in tables(aws)


def test_a_denied_export_names_create_export_job_and_moves_no_cursor(
    aws: Path, ses: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    _deny(ses, "CreateExportJob")
    pipe = pipeline(aws)
    with caplog.at_level(logging.ERROR, logger="sesflow.source"):
        pipe.run(ses_source(**source_args(ses)).with_resources("ses_emails", "ses_account"))
    assert "ses:CreateExportJob" in caplog.text
    assert "ses_emails" not in tables(aws)
    cursor = pipe.state["sources"]["ses"]["resources"].get("ses_messages", {}).get("incremental", {})
    assert cursor.get("sendtimestamp", {}).get("last_value") in (
        None,
        cursor.get("sendtimestamp", {}).get("initial_value"),
    )


def test_on_denied_raise_fails_the_run_with_the_stream_and_the_action(aws: Path, ses: Emulator) -> None:
    _deny(ses, "GetAccount")
    with pytest.raises(PipelineStepFailed) as failed:
        pipeline(aws).run(ses_source(**source_args(ses, on_denied="raise")).with_resources("ses_account"))
    error: Any = failed.value.__cause__
    while error is not None and not isinstance(error, AccessDeniedError):
        error = error.__cause__
    assert isinstance(error, AccessDeniedError)
    assert (error.stream, error.action) == ("ses_account", "ses:GetAccount")
    assert "ses_account: the credentials may not call GetAccount (AccessDeniedException" in str(error)


def test_an_unknown_stream_is_named_by_the_catalogue_and_by_dlt(ses: Emulator, aws: Path) -> None:
    with pytest.raises(ConfigError, match="stream 'ses_bounces': the SES source has no stream of that name"):
        stream_info("ses_bounces")
    with pytest.raises(ResourcesNotFoundError, match="ses_bounces"):
        ses_source(**source_args(ses)).with_resources("ses_bounces")


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("range_interval", "5q", "range_interval: '5q' is not an interval"),
        ("range_interval", "0d", "range_interval: must be longer than zero"),
        ("lookback_interval", "1 week", "lookback_interval: '1 week' is not an interval"),
        ("anchor_date", "2026-02-30", "anchor_date: '2026-02-30' is not a date"),
        ("anchor_date", "2999-01-01", "anchor_date: 2999-01-01 is in the future"),
        ("data_format", "XML", "data_format: 'XML' is not one of JSON, CSV"),
        ("on_limit", "ignore", "on_limit: 'ignore' is not one of split, fail"),
        ("on_denied", "ignore", "on_denied: 'ignore' is not one of skip, raise"),
        ("max_concurrent_jobs", 0, "max_concurrent_jobs: 0 is not a positive number"),
        ("max_concurrent_jobs", 51, "max_concurrent_jobs: 51 is more than 50"),
        ("poll_interval", -1, "poll_interval: -1 is not a positive number"),
        ("metrics_lookback_days", -1, "metrics_lookback_days: -1 is negative"),
        (
            "metrics_dimensions",
            ["isp", "BROWSER"],
            "metrics_dimensions: 'BROWSER' is not a VDM metrics dimension",
        ),
        ("endpoint_url", "localhost:8005", "endpoint_url: 'localhost:8005' is not a URL"),
        ("region", "us east 1", "region: 'us east 1' is not an AWS region name"),
    ],
)
def test_a_bad_setting_is_a_config_error_naming_it(
    aws: Path, ses: Emulator, setting: str, value: Any, named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        ses_source(**source_args(ses, **{setting: value}))
    assert str(raised.value).startswith(named)
    assert raised.value.exit_code == 2


def test_no_region_anywhere_is_a_config_error_saying_where_to_set_one(
    aws: Path, ses: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "no-config"))
    with pytest.raises(ConfigError, match="region: no AWS region is configured") as raised:
        ses_source(**source_args(ses, region=None))
    assert "SOURCES__SES__REGION" in str(raised.value)


def test_secrets_stay_out_of_settings_reprs_and_errors() -> None:
    settings = AwsSettings(region="us east 1", access_key_id="AKIDX", secret_access_key="s3cr3t-key")
    assert "s3cr3t-key" not in repr(settings)
    with pytest.raises(ConfigError) as raised:
        make_client(settings)
    assert "s3cr3t-key" not in str(raised.value)
