"""Configuration sets v1 and v2 over one store: options, event destinations, and a set whose sending is
disabled refusing sends as SES does."""

from __future__ import annotations

from typing import Any

from tests.emulator.test_sending import error_of, raw

SNS = {"TopicArn": "arn:aws:sns:us-east-1:123456789012:events"}


def test_v1_and_v2_share_sets_and_event_destinations(ses: Any, sesv2: Any) -> None:
    ses.create_configuration_set(ConfigurationSet={"Name": "news"})
    assert sesv2.list_configuration_sets()["ConfigurationSets"] == ["news"]
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="news",
        EventDestination={
            "Name": "sns",
            "Enabled": True,
            "MatchingEventTypes": ["send", "renderingFailure"],
            "SNSDestination": {"TopicARN": SNS["TopicArn"]},
        },
    )
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="news",
        EventDestinationName="bus",
        EventDestination={
            "MatchingEventTypes": ["DELIVERY_DELAY"],
            "EventBridgeDestination": {"EventBusArn": "arn:aws:events:us-east-1:1:event-bus/default"},
        },
    )
    v2 = sesv2.get_configuration_set_event_destinations(ConfigurationSetName="news")["EventDestinations"]
    assert [(d["Name"], d["MatchingEventTypes"]) for d in v2] == [
        ("bus", ["DELIVERY_DELAY"]),
        ("sns", ["SEND", "RENDERING_FAILURE"]),
    ]
    assert v2[1]["SnsDestination"] == SNS and v2[1]["Enabled"] is True
    described = ses.describe_configuration_set(
        ConfigurationSetName="news", ConfigurationSetAttributeNames=["eventDestinations", "reputationOptions"]
    )
    names = {d["Name"]: d["MatchingEventTypes"] for d in described["EventDestinations"]}
    assert names == {"bus": [], "sns": ["send", "renderingFailure"]}  # v2-only types are not shown to v1
    assert described["ReputationOptions"]["SendingEnabled"] is True


def test_event_destination_errors(ses: Any, sesv2: Any) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="news")
    assert error_of(
        sesv2.create_configuration_set_event_destination,
        ConfigurationSetName="news",
        EventDestinationName="x",
        EventDestination={"MatchingEventTypes": ["SEND"]},
    )[0] == ("BadRequestException")
    for i in range(10):
        sesv2.create_configuration_set_event_destination(
            ConfigurationSetName="news",
            EventDestinationName=f"d{i}",
            EventDestination={"MatchingEventTypes": ["SEND"], "SnsDestination": SNS},
        )
    assert error_of(
        sesv2.create_configuration_set_event_destination,
        ConfigurationSetName="news",
        EventDestinationName="d10",
        EventDestination={"MatchingEventTypes": ["SEND"], "SnsDestination": SNS},
    )[0] == ("LimitExceededException")
    assert (
        error_of(
            ses.delete_configuration_set_event_destination,
            ConfigurationSetName="news",
            EventDestinationName="nope",
        )[0]
        == "EventDestinationDoesNotExist"
    )
    assert error_of(ses.describe_configuration_set, ConfigurationSetName="nope")[0] == (
        "ConfigurationSetDoesNotExist"
    )


def test_options_are_stored_and_returned(ses: Any, sesv2: Any) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="news", Tags=[{"Key": "team", "Value": "growth"}])
    sesv2.put_configuration_set_tracking_options(
        ConfigurationSetName="news", CustomRedirectDomain="t.example.com", HttpsPolicy="REQUIRE"
    )
    sesv2.put_configuration_set_delivery_options(ConfigurationSetName="news", TlsPolicy="REQUIRE")
    sesv2.put_configuration_set_reputation_options(ConfigurationSetName="news", ReputationMetricsEnabled=True)
    sesv2.put_configuration_set_vdm_options(
        ConfigurationSetName="news", VdmOptions={"DashboardOptions": {"EngagementMetrics": "DISABLED"}}
    )
    got = sesv2.get_configuration_set(ConfigurationSetName="news")
    assert got["TrackingOptions"] == {"CustomRedirectDomain": "t.example.com", "HttpsPolicy": "REQUIRE"}
    assert got["DeliveryOptions"]["TlsPolicy"] == "REQUIRE"
    assert got["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert got["VdmOptions"] == {"DashboardOptions": {"EngagementMetrics": "DISABLED"}}
    assert got["Tags"] == [{"Key": "team", "Value": "growth"}]
    described = ses.describe_configuration_set(
        ConfigurationSetName="news", ConfigurationSetAttributeNames=["trackingOptions", "deliveryOptions"]
    )
    assert described["TrackingOptions"] == {"CustomRedirectDomain": "t.example.com"}
    assert described["DeliveryOptions"] == {"TlsPolicy": "Require"}
    assert error_of(
        ses.create_configuration_set_tracking_options,
        ConfigurationSetName="news",
        TrackingOptions={"CustomRedirectDomain": "x.example.com"},
    )[0] == ("TrackingOptionsAlreadyExistsException")
    assert error_of(
        sesv2.put_configuration_set_delivery_options, ConfigurationSetName="news", SendingPoolName="nope"
    )[:2] == ("NotFoundException", 404)


def test_a_set_with_sending_disabled_refuses_sends_on_v1_and_v2(ses: Any, sesv2: Any) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="news")
    sesv2.put_configuration_set_sending_options(ConfigurationSetName="news", SendingEnabled=False)
    code, status, message = error_of(
        sesv2.send_email, Content={"Raw": {"Data": raw()}}, ConfigurationSetName="news"
    )
    assert (code, status) == ("SendingPausedException", 400) and "news" in message
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()}, ConfigurationSetName="news")[:2] == (
        "ConfigurationSetSendingPausedException",
        400,
    )
    header = raw(extra="X-SES-CONFIGURATION-SET: news\r\n")
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": header}})[0] == "SendingPausedException"
    sesv2.send_email(Content={"Raw": {"Data": raw()}})  # other sends go on
    ses.update_configuration_set_sending_enabled(ConfigurationSetName="news", Enabled=True)
    sesv2.send_email(Content={"Raw": {"Data": raw()}}, ConfigurationSetName="news")
    reputation = sesv2.get_configuration_set(ConfigurationSetName="news")["ReputationOptions"]
    assert "LastFreshStart" in reputation  # re-enabling gave the set a fresh start


def test_account_sending_paused_refuses_every_send(ses: Any, sesv2: Any) -> None:
    ses.update_account_sending_enabled(Enabled=False)
    assert ses.get_account_sending_enabled()["Enabled"] is False
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()})[0] == "AccountSendingPausedException"
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}})[0] == "SendingPausedException"
    sesv2.put_account_sending_attributes(SendingEnabled=True)
    sesv2.send_email(Content={"Raw": {"Data": raw()}})


def test_configuration_set_suppression_options_override_the_account(sesv2: Any) -> None:
    from tests.emulator.test_sending import insights

    sesv2.put_suppressed_destination(EmailAddress="gone@example.org", Reason="BOUNCE")
    bounced = sesv2.send_email(Content={"Raw": {"Data": raw("gone@example.org")}})["MessageId"]
    assert insights(sesv2, bounced)["gone@example.org"][-1] == "BOUNCE"
    sesv2.create_configuration_set(ConfigurationSetName="override")
    sesv2.put_configuration_set_suppression_options(ConfigurationSetName="override", SuppressedReasons=[])
    delivered = sesv2.send_email(
        Content={"Raw": {"Data": raw("gone@example.org")}}, ConfigurationSetName="override"
    )["MessageId"]
    assert "DELIVERY" in insights(sesv2, delivered)["gone@example.org"]
