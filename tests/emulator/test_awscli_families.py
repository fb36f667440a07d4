"""The AWS CLI (a client nobody here wrote) runs a scenario per family against the emulator: identities,
configuration sets, templates and templated/bulk sends, list management, account resources, regions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sesflow.emulator import Emulator

AWS = str(Path(sys.executable).with_name("aws"))


def run(emulator: Emulator, *args: str, region: str = "us-east-1") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDCLI",
        "AWS_SECRET_ACCESS_KEY": "cli-secret",
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [AWS, *args, "--endpoint-url", emulator.endpoint_url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def aws(emulator: Emulator, *args: str, region: str = "us-east-1") -> Any:
    done = run(emulator, *args, region=region)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def fails(emulator: Emulator, *args: str) -> str:
    done = run(emulator, *args)
    assert done.returncode != 0, done.stdout
    return done.stderr


@pytest.fixture
def cli_emulator(make_emulator: Any) -> Emulator:
    emulator: Emulator = make_emulator(auth="strict", credentials=[("AKIDCLI", "cli-secret")])
    return emulator


def test_identities(cli_emulator: Emulator) -> None:
    e = cli_emulator
    created = aws(e, "sesv2", "create-email-identity", "--email-identity", "example.com")
    assert created["IdentityType"] == "DOMAIN" and len(created["DkimAttributes"]["Tokens"]) == 3
    aws(e, "ses", "verify-email-identity", "--email-address", "ann@example.org")
    assert sorted(aws(e, "ses", "list-identities")["Identities"]) == ["ann@example.org", "example.com"]
    aws(
        e,
        "sesv2",
        "put-email-identity-mail-from-attributes",
        "--email-identity",
        "example.com",
        "--mail-from-domain",
        "bounce.example.com",
    )
    mail_from = aws(e, "ses", "get-identity-mail-from-domain-attributes", "--identities", "example.com")
    assert mail_from["MailFromDomainAttributes"]["example.com"]["MailFromDomain"] == "bounce.example.com"
    assert "AlreadyExistsException" in fails(
        e, "sesv2", "create-email-identity", "--email-identity", "example.com"
    )


def test_configuration_sets(cli_emulator: Emulator) -> None:
    e = cli_emulator
    aws(e, "ses", "create-configuration-set", "--configuration-set", "Name=news")
    aws(
        e,
        "sesv2",
        "create-configuration-set-event-destination",
        "--configuration-set-name",
        "news",
        "--event-destination-name",
        "sns",
        "--event-destination",
        json.dumps(
            {
                "Enabled": True,
                "MatchingEventTypes": ["BOUNCE"],
                "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:b"},
            }
        ),
    )
    described = aws(
        e,
        "ses",
        "describe-configuration-set",
        "--configuration-set-name",
        "news",
        "--configuration-set-attribute-names",
        "eventDestinations",
    )
    assert described["EventDestinations"][0]["MatchingEventTypes"] == ["bounce"]
    aws(
        e,
        "sesv2",
        "put-configuration-set-sending-options",
        "--configuration-set-name",
        "news",
        "--no-sending-enabled",
    )
    raw = "From: a@example.com\r\nTo: b@example.org\r\nSubject: s\r\n\r\nhi\r\n"
    refused = fails(
        e,
        "sesv2",
        "send-email",
        "--content",
        json.dumps({"Raw": {"Data": raw}}),
        "--configuration-set-name",
        "news",
    )
    assert "SendingPausedException" in refused


def test_templates_and_templated_sends(cli_emulator: Emulator) -> None:
    e = cli_emulator
    aws(
        e,
        "sesv2",
        "create-email-template",
        "--template-name",
        "hi",
        "--template-content",
        json.dumps({"Subject": "Hi {{name}}", "Text": "{{#each items}}{{this}} {{/each}}"}),
    )
    rendered = aws(
        e,
        "ses",
        "test-render-template",
        "--template-name",
        "hi",
        "--template-data",
        json.dumps({"name": "Ann", "items": ["a", "b"]}),
    )["RenderedTemplate"]
    assert "Subject: Hi Ann" in rendered and "a b" in rendered
    assert "MissingRenderingAttribute" in fails(
        e, "ses", "test-render-template", "--template-name", "hi", "--template-data", "{}"
    )
    sent = aws(
        e,
        "ses",
        "send-templated-email",
        "--source",
        "a@example.com",
        "--destination",
        "ToAddresses=b@example.org",
        "--template",
        "hi",
        "--template-data",
        json.dumps({"name": "B", "items": []}),
    )
    assert sent["MessageId"].endswith("-000000")
    bulk = aws(
        e,
        "sesv2",
        "send-bulk-email",
        "--from-email-address",
        "a@example.com",
        "--default-content",
        json.dumps({"Template": {"TemplateName": "hi", "TemplateData": '{"name": "x", "items": []}'}}),
        "--bulk-email-entries",
        json.dumps([{"Destination": {"ToAddresses": [f"u{i}@example.org"]}} for i in range(3)]),
    )
    assert [r["Status"] for r in bulk["BulkEmailEntryResults"]] == ["SUCCESS"] * 3


def test_list_management(cli_emulator: Emulator) -> None:
    e = cli_emulator
    aws(
        e,
        "sesv2",
        "create-contact-list",
        "--contact-list-name",
        "news",
        "--topics",
        json.dumps([{"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"}]),
    )
    aws(
        e,
        "sesv2",
        "create-contact",
        "--contact-list-name",
        "news",
        "--email-address",
        "ann@example.org",
        "--topic-preferences",
        "TopicName=weekly,SubscriptionStatus=OPT_OUT",
    )
    assert "LimitExceededException" in fails(e, "sesv2", "create-contact-list", "--contact-list-name", "two")
    listed = aws(
        e,
        "sesv2",
        "list-contacts",
        "--contact-list-name",
        "news",
        "--filter",
        json.dumps({"FilteredStatus": "OPT_OUT", "TopicFilter": {"TopicName": "weekly"}}),
    )
    assert [c["EmailAddress"] for c in listed["Contacts"]] == ["ann@example.org"]
    sent = aws(
        e,
        "sesv2",
        "send-email",
        "--from-email-address",
        "news@example.com",
        "--destination",
        "ToAddresses=ann@example.org",
        "--content",
        json.dumps({"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}),
        "--list-management-options",
        "ContactListName=news,TopicName=weekly",
    )
    events = aws(e, "sesv2", "get-message-insights", "--message-id", sent["MessageId"])["Insights"][0][
        "Events"
    ]
    assert [ev["Type"] for ev in events] == ["SEND", "BOUNCE"]


def test_account_resources_and_regions(cli_emulator: Emulator) -> None:
    e = cli_emulator
    aws(e, "sesv2", "put-suppressed-destination", "--email-address", "gone@example.org", "--reason", "BOUNCE")
    listed = aws(e, "sesv2", "list-suppressed-destinations", "--reasons", "BOUNCE")
    assert [d["EmailAddress"] for d in listed["SuppressedDestinationSummaries"]] == ["gone@example.org"]
    aws(e, "sesv2", "put-account-vdm-attributes", "--vdm-attributes", "VdmEnabled=ENABLED")
    assert aws(e, "sesv2", "get-account")["VdmAttributes"]["VdmEnabled"] == "ENABLED"
    aws(e, "sesv2", "create-dedicated-ip-pool", "--pool-name", "marketing", "--tags", "Key=team,Value=growth")
    tags = aws(
        e,
        "sesv2",
        "list-tags-for-resource",
        "--resource-arn",
        "arn:aws:ses:us-east-1:123456789012:dedicated-ip-pool/marketing",
    )
    assert tags["Tags"] == [{"Key": "team", "Value": "growth"}]
    aws(e, "ses", "create-receipt-rule-set", "--rule-set-name", "inbound")
    aws(e, "ses", "set-active-receipt-rule-set", "--rule-set-name", "inbound")
    assert aws(e, "ses", "describe-active-receipt-rule-set")["Metadata"]["Name"] == "inbound"
    west = aws(e, "sesv2", "list-suppressed-destinations", region="eu-west-1")
    assert west["SuppressedDestinationSummaries"] == []  # state is per region
