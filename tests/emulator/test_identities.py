"""Identities: v1 and v2 see the same ones, per region; verification (instant or --verification-delay),
Easy DKIM and BYODKIM, MAIL FROM, feedback forwarding, notification topics, policies, default configuration
set."""

from __future__ import annotations

import time
from typing import Any

from tests.emulator.conftest import client
from tests.emulator.test_sending import error_of, raw

POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ses:SendEmail"}]}'


def test_v1_and_v2_see_the_same_identities(ses: Any, sesv2: Any) -> None:
    ses.verify_domain_identity(Domain="example.com")
    sesv2.create_email_identity(EmailIdentity="ann@example.org")
    assert sorted(ses.list_identities()["Identities"]) == ["ann@example.org", "example.com"]
    assert [i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]] == [
        "ann@example.org",
        "example.com",
    ]
    attributes = ses.get_identity_verification_attributes(Identities=["ann@example.org", "nobody@x.org"])
    assert attributes["VerificationAttributes"] == {"ann@example.org": {"VerificationStatus": "Success"}}
    sesv2.delete_email_identity(EmailIdentity="example.com")
    assert ses.list_identities()["Identities"] == ["ann@example.org"]


def test_identities_are_kept_per_region_and_account(emulator: Any) -> None:
    east = client("sesv2", emulator)
    west = client("sesv2", emulator, region="us-west-2")
    other_account = client("sesv2", emulator, key="210987654321")
    east.create_email_identity(EmailIdentity="example.com")
    assert west.list_email_identities()["EmailIdentities"] == []
    assert other_account.list_email_identities()["EmailIdentities"] == []
    west.create_email_identity(EmailIdentity="example.com")  # no AlreadyExists: another region
    assert error_of(east.create_email_identity, EmailIdentity="example.com")[0] == "AlreadyExistsException"


def test_verification_delay_keeps_an_identity_pending_then_verifies_it(make_emulator: Any) -> None:
    emulator = make_emulator(verification_delay=0.6, verify_identities=True)
    sesv2, ses = client("sesv2", emulator), client("ses", emulator)
    created = sesv2.create_email_identity(EmailIdentity="example.com")
    assert created["VerifiedForSendingStatus"] is False and created["DkimAttributes"]["Status"] == "PENDING"
    assert sesv2.get_email_identity(EmailIdentity="example.com")["VerificationStatus"] == "PENDING"
    assert (
        ses.get_identity_verification_attributes(Identities=["example.com"])["VerificationAttributes"][
            "example.com"
        ]["VerificationStatus"]
        == "Pending"
    )
    code, _, message = error_of(sesv2.send_email, Content={"Raw": {"Data": raw(sender="app@example.com")}})
    assert code == "MessageRejected" and "not verified" in message
    time.sleep(0.7)
    identity = sesv2.get_email_identity(EmailIdentity="example.com")
    assert identity["VerificationStatus"] == "SUCCESS" and identity["DkimAttributes"]["Status"] == "SUCCESS"
    sesv2.send_email(Content={"Raw": {"Data": raw(sender="app@example.com")}})  # the domain covers it


def test_easy_dkim_tokens_and_byodkim(ses: Any, sesv2: Any) -> None:
    tokens = ses.verify_domain_dkim(Domain="example.com")["DkimTokens"]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    dkim = ses.get_identity_dkim_attributes(Identities=["example.com"])["DkimAttributes"]["example.com"]
    assert dkim == {"DkimEnabled": True, "DkimVerificationStatus": "Success", "DkimTokens": tokens}
    answer = sesv2.put_email_identity_dkim_signing_attributes(
        EmailIdentity="example.com",
        SigningAttributesOrigin="EXTERNAL",
        SigningAttributes={"DomainSigningSelector": "sel1", "DomainSigningPrivateKey": "QUJDRA=="},
    )
    assert answer["DkimStatus"] == "SUCCESS"
    attributes = sesv2.get_email_identity(EmailIdentity="example.com")["DkimAttributes"]
    assert attributes["SigningAttributesOrigin"] == "EXTERNAL" and attributes["Tokens"] == ["sel1"]
    sesv2.put_email_identity_dkim_attributes(EmailIdentity="example.com", SigningEnabled=False)
    assert sesv2.get_email_identity(EmailIdentity="example.com")["DkimAttributes"]["SigningEnabled"] is False
    sesv2.create_email_identity(EmailIdentity="ann@example.org")
    assert error_of(
        sesv2.put_email_identity_dkim_signing_attributes,
        EmailIdentity="ann@example.org",
        SigningAttributesOrigin="AWS_SES",
    )[:2] == ("BadRequestException", 400)


def test_mail_from_domain_must_be_a_subdomain(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity="example.com")
    assert (
        error_of(
            sesv2.put_email_identity_mail_from_attributes,
            EmailIdentity="example.com",
            MailFromDomain="other.org",
        )[0]
        == "BadRequestException"
    )
    ses.set_identity_mail_from_domain(
        Identity="example.com", MailFromDomain="bounce.example.com", BehaviorOnMXFailure="RejectMessage"
    )
    mail_from = sesv2.get_email_identity(EmailIdentity="example.com")["MailFromAttributes"]
    assert mail_from == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": "REJECT_MESSAGE",
    }
    v1 = ses.get_identity_mail_from_domain_attributes(Identities=["example.com"])["MailFromDomainAttributes"]
    assert v1["example.com"]["BehaviorOnMXFailure"] == "RejectMessage"


def test_feedback_forwarding_goes_off_only_with_bounce_and_complaint_topics(ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="ann@example.org")
    code, _, message = error_of(
        ses.set_identity_feedback_forwarding_enabled, Identity="ann@example.org", ForwardingEnabled=False
    )
    assert code == "InvalidParameterValue" and "SNS topics" in message
    for kind in ("Bounce", "Complaint"):
        ses.set_identity_notification_topic(
            Identity="ann@example.org", NotificationType=kind, SnsTopic=f"arn:aws:sns:us-east-1:1:{kind}"
        )
    ses.set_identity_feedback_forwarding_enabled(Identity="ann@example.org", ForwardingEnabled=False)
    ses.set_identity_headers_in_notifications_enabled(
        Identity="ann@example.org", NotificationType="Bounce", Enabled=True
    )
    notes = ses.get_identity_notification_attributes(Identities=["ann@example.org"])["NotificationAttributes"]
    assert notes["ann@example.org"]["ForwardingEnabled"] is False
    assert notes["ann@example.org"]["BounceTopic"] == "arn:aws:sns:us-east-1:1:Bounce"
    assert notes["ann@example.org"]["HeadersInBounceNotificationsEnabled"] is True


def test_policies_v1_and_v2(ses: Any, sesv2: Any) -> None:
    sesv2.create_email_identity(EmailIdentity="example.com")
    sesv2.create_email_identity_policy(EmailIdentity="example.com", PolicyName="senders", Policy=POLICY)
    assert (
        error_of(
            sesv2.create_email_identity_policy,
            EmailIdentity="example.com",
            PolicyName="senders",
            Policy=POLICY,
        )[0]
        == "AlreadyExistsException"
    )
    assert ses.list_identity_policies(Identity="example.com")["PolicyNames"] == ["senders"]
    assert ses.get_identity_policies(Identity="example.com", PolicyNames=["senders"])["Policies"] == {
        "senders": POLICY
    }
    assert error_of(ses.put_identity_policy, Identity="example.com", PolicyName="bad", Policy="{no")[0] == (
        "InvalidPolicy"
    )
    ses.delete_identity_policy(Identity="example.com", PolicyName="senders")
    assert sesv2.get_email_identity_policies(EmailIdentity="example.com")["Policies"] == {}


def test_default_configuration_set_of_an_identity_is_used_when_a_send_names_none(
    sesv2: Any, emulator: Any
) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="tx")
    sesv2.create_email_identity(EmailIdentity="example.com", ConfigurationSetName="tx")
    sent = sesv2.send_email(Content={"Raw": {"Data": raw(sender="app@example.com")}})["MessageId"]
    import httpx

    detail = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{sent}").json()
    assert detail["ConfigurationSet"] == "tx"
    assert error_of(
        sesv2.put_email_identity_configuration_set_attributes,
        EmailIdentity="example.com",
        ConfigurationSetName="nope",
    )[:2] == ("NotFoundException", 404)
