"""Identities, configuration sets and the suppression list (v1 and v2), with their SES errors."""

from __future__ import annotations

import time
from typing import Any

from tests.emulator.conftest import client
from tests.emulator.test_sending import error_of, raw


def test_v1_identities(ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="ann@example.org")
    token = ses.verify_domain_identity(Domain="example.com")["VerificationToken"]
    assert token
    assert ses.list_identities()["Identities"] == ["ann@example.org", "example.com"]
    assert ses.list_identities(IdentityType="Domain")["Identities"] == ["example.com"]
    page = ses.list_identities(MaxItems=1)
    assert len(page["Identities"]) == 1 and ses.list_identities(NextToken=page["NextToken"])["Identities"]
    ses.delete_identity(Identity="ann@example.org")
    assert ses.list_identities()["Identities"] == ["example.com"]


def test_v1_send_statistics(ses: Any) -> None:
    ses.send_raw_email(RawMessage={"Data": raw("bounce@simulator.amazonses.com, a@example.org")})
    (point,) = ses.get_send_statistics()["SendDataPoints"]
    assert point["DeliveryAttempts"] == 2 and point["Bounces"] == 1


def test_v2_email_identities(sesv2: Any) -> None:
    assert sesv2.create_email_identity(EmailIdentity="example.com")["IdentityType"] == "DOMAIN"
    sesv2.create_email_identity(EmailIdentity="ann@example.org")
    assert error_of(sesv2.create_email_identity, EmailIdentity="example.com")[0] == "AlreadyExistsException"
    assert sesv2.get_email_identity(EmailIdentity="ann@example.org")["VerifiedForSendingStatus"] is True
    names = [i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]]
    assert names == ["ann@example.org", "example.com"]
    sesv2.delete_email_identity(EmailIdentity="ann@example.org")
    assert error_of(sesv2.get_email_identity, EmailIdentity="ann@example.org")[:2] == (
        "NotFoundException",
        404,
    )


def test_v2_configuration_sets(sesv2: Any) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="marketing")
    assert (
        error_of(sesv2.create_configuration_set, ConfigurationSetName="marketing")[0]
        == "AlreadyExistsException"
    )
    assert (
        sesv2.get_configuration_set(ConfigurationSetName="marketing")["ConfigurationSetName"] == "marketing"
    )
    assert sesv2.list_configuration_sets()["ConfigurationSets"] == ["marketing"]
    sesv2.send_email(Content={"Raw": {"Data": raw()}}, ConfigurationSetName="marketing")
    sesv2.delete_configuration_set(ConfigurationSetName="marketing")
    assert error_of(sesv2.delete_configuration_set, ConfigurationSetName="marketing")[:2] == (
        "NotFoundException",
        404,
    )


def test_v2_suppression_list(sesv2: Any) -> None:
    sesv2.put_suppressed_destination(EmailAddress="a@example.org", Reason="BOUNCE")
    sesv2.put_suppressed_destination(EmailAddress="b@example.org", Reason="COMPLAINT")
    got = sesv2.get_suppressed_destination(EmailAddress="a@example.org")["SuppressedDestination"]
    assert got["Reason"] == "BOUNCE"
    listed = sesv2.list_suppressed_destinations(Reasons=["COMPLAINT"])["SuppressedDestinationSummaries"]
    assert [s["EmailAddress"] for s in listed] == ["b@example.org"]
    page = sesv2.list_suppressed_destinations(PageSize=1)
    assert len(page["SuppressedDestinationSummaries"]) == 1 and page["NextToken"]
    sesv2.delete_suppressed_destination(EmailAddress="a@example.org")
    assert error_of(sesv2.get_suppressed_destination, EmailAddress="a@example.org")[:2] == (
        "NotFoundException",
        404,
    )


def test_latency_ms_slows_every_call(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(latency_ms=250))
    started = time.monotonic()
    sesv2.get_account()
    assert time.monotonic() - started >= 0.25
