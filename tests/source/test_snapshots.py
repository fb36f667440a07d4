"""The snapshot streams through a plain dlt pipeline: identities, configuration sets (with their event
destinations) and the account land as SES describes them, and each run replaces the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesflow.emulator import Emulator
from sesflow.source import ses_source
from tests.source.conftest import EMPTY_REGION, as_json, pipeline, rows, sesv2, source_args


def test_identities_land_one_row_each_with_their_type_and_dkim(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    client.create_email_identity(EmailIdentity="example.com")
    client.create_email_identity(EmailIdentity="shop@example.org")
    pipeline(aws).run(
        ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources("ses_email_identities")
    )
    found = rows(
        aws,
        "select identity_name, identity_type, verification_status, dkim_attributes "
        "from ses_data.ses_email_identities order by identity_name",
    )
    assert [(row["identity_name"], row["identity_type"], row["verification_status"]) for row in found] == [
        ("example.com", "DOMAIN", "SUCCESS"),
        ("shop@example.org", "EMAIL_ADDRESS", "SUCCESS"),
    ]
    assert as_json(found[0]["dkim_attributes"])["Status"] == "SUCCESS"


def test_a_deleted_identity_is_gone_after_the_next_run(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    for name in ("a.example.com", "b.example.com"):
        client.create_email_identity(EmailIdentity=name)
    pipe = pipeline(aws)
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources("ses_email_identities"))
    client.delete_email_identity(EmailIdentity="a.example.com")
    pipe.run(ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources("ses_email_identities"))
    assert rows(aws, "select identity_name from ses_data.ses_email_identities") == [
        {"identity_name": "b.example.com"}
    ]


def test_configuration_sets_land_with_their_options_and_event_destinations(aws: Path, ses: Emulator) -> None:
    client = sesv2(ses, EMPTY_REGION)
    client.create_configuration_set(
        ConfigurationSetName="marketing",
        SendingOptions={"SendingEnabled": True},
        TrackingOptions={"CustomRedirectDomain": "click.example.com"},
    )
    client.create_configuration_set_event_destination(
        ConfigurationSetName="marketing",
        EventDestinationName="to-sns",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["BOUNCE", "COMPLAINT"],
            "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events"},
        },
    )
    client.create_configuration_set(ConfigurationSetName="transactional")
    pipeline(aws).run(
        ses_source(**source_args(ses, region=EMPTY_REGION)).with_resources("ses_configuration_sets")
    )
    found = rows(
        aws,
        "select configuration_set_name, tracking_options, event_destinations "
        "from ses_data.ses_configuration_sets order by 1",
    )
    assert [row["configuration_set_name"] for row in found] == ["marketing", "transactional"]
    assert as_json(found[0]["tracking_options"]) == {"CustomRedirectDomain": "click.example.com"}
    (destination,) = as_json(found[0]["event_destinations"])
    assert destination["Name"] == "to-sns"
    assert destination["MatchingEventTypes"] == ["BOUNCE", "COMPLAINT"]
    assert as_json(found[1]["event_destinations"]) == []


def test_the_account_lands_as_one_row_with_its_quotas_and_vdm_settings(aws: Path) -> None:
    with Emulator(port=0, max_send_rate=20, max_24h_send=100_000) as ses:
        sesv2(ses).put_account_vdm_attributes(
            VdmAttributes={"VdmEnabled": "ENABLED"}
        )  # off by default, as in SES
        pipeline(aws).run(ses_source(**source_args(ses)).with_resources("ses_account"))
    (account,) = rows(aws, "select * from ses_data.ses_account")
    assert account["region"] == "us-east-1"
    assert (account["max_send_rate"], account["max_24_hour_send"]) == (20, 100_000)
    assert account["sending_enabled"] is True
    assert account["enforcement_status"] == "HEALTHY"
    assert account["vdm_enabled"] == "ENABLED"
    assert as_json(account["suppressed_reasons"]) == ["BOUNCE", "COMPLAINT"]


def test_an_account_that_never_set_up_vdm_still_gets_every_column_typed(
    aws: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Emulator(port=0) as ses:  # VDM off and never configured: SES leaves its details out
        pipeline(aws).run(ses_source(**source_args(ses)).with_resources("ses_account"))
    (account,) = rows(aws, "select * from ses_data.ses_account")
    for column in ("vdm_enabled", "vdm_engagement_metrics", "vdm_optimized_shared_delivery", "details"):
        assert column in account  # a column, even where SES gave no value
    assert "type hints" not in caplog.text
