"""Sending through the emulator with boto3 (v1 and v2): acceptance, the mailbox simulator, limits."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from sesflow.emulator import Emulator
from tests.emulator.conftest import client

SES_ID = re.compile(r"^0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$")


def raw(
    to: str = "success@simulator.amazonses.com", sender: str = "app@example.com", extra: str = ""
) -> bytes:
    return (
        f"From: App <{sender}>\r\nTo: {to}\r\n{extra}Subject: Hello there\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHello!\r\n"
    ).encode()


def insights(sesv2: Any, message_id: str) -> dict[str, list[str]]:
    answer = sesv2.get_message_insights(MessageId=message_id)
    return {i["Destination"]: [e["Type"] for e in i["Events"]] for i in answer["Insights"]}


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    err = caught.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def test_v2_raw_send_returns_an_ses_style_message_id(sesv2: Any) -> None:
    answer = sesv2.send_email(Content={"Raw": {"Data": raw()}})
    assert SES_ID.match(answer["MessageId"])


def test_v1_send_raw_email_answers_in_query_xml(ses: Any) -> None:
    answer = ses.send_raw_email(RawMessage={"Data": raw()}, Source="app@example.com")
    assert SES_ID.match(answer["MessageId"])


def test_v2_simple_send_builds_a_viewable_message(sesv2: Any, emulator: Emulator) -> None:
    answer = sesv2.send_email(
        FromEmailAddress="app@example.com",
        Destination={"ToAddresses": ["ann@example.org"], "CcAddresses": ["bob@example.org"]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Html": {"Data": "<b>hi</b>"}}}},
    )
    eml = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{answer['MessageId']}/raw").content
    assert b"Subject: Hi" in eml and b"Cc: bob@example.org" in eml


def test_v1_send_email_and_quota(ses: Any) -> None:
    ses.send_email(
        Source="app@example.com",
        Destination={"ToAddresses": ["a@example.org", "b@example.org"]},
        Message={"Subject": {"Data": "S"}, "Body": {"Text": {"Data": "T"}}},
    )
    quota = ses.get_send_quota()
    assert quota["SentLast24Hours"] == 2.0 and quota["MaxSendRate"] == 1000.0


def test_get_account_reports_the_configured_quota(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(max_send_rate=20, max_24h_send=777))
    quota = sesv2.get_account()["SendQuota"]
    assert quota == {"Max24HourSend": 777.0, "MaxSendRate": 20.0, "SentLast24Hours": 0.0}


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ("success", ["SEND", "DELIVERY"]),
        ("bounce", ["SEND", "BOUNCE"]),
        ("ooto", ["SEND", "DELIVERY"]),
        ("complaint", ["SEND", "DELIVERY", "COMPLAINT"]),
        ("suppressionlist", ["SEND", "BOUNCE"]),
        ("bounce+label-1", ["SEND", "BOUNCE"]),
    ],
)
def test_mailbox_simulator_outcomes(make_emulator: Any, box: str, expected: list[str]) -> None:
    sesv2 = client("sesv2", make_emulator(open_probability=0.0, click_probability=0.0))
    to = f"{box}@simulator.amazonses.com"
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(to)}})["MessageId"]
    assert insights(sesv2, message_id)[to] == expected


def test_hard_bounce_has_diagnostic_5_1_1(sesv2: Any) -> None:
    to = "bounce@simulator.amazonses.com"
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(to)}})["MessageId"]
    events = sesv2.get_message_insights(MessageId=message_id)["Insights"][0]["Events"]
    bounce = events[-1]["Details"]["Bounce"]
    assert bounce["BounceType"] == "PERMANENT" and "5.1.1" in bounce["DiagnosticCode"]


def test_suppressed_address_bounces(sesv2: Any) -> None:
    sesv2.put_suppressed_destination(EmailAddress="gone@example.org", Reason="BOUNCE")
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw("gone@example.org")}})["MessageId"]
    assert insights(sesv2, message_id)["gone@example.org"] == ["SEND", "BOUNCE"]


def test_opens_and_clicks_follow_probabilities(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(open_probability=1.0, click_probability=1.0))
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw("ann@example.org")}})["MessageId"]
    assert insights(sesv2, message_id)["ann@example.org"] == ["SEND", "DELIVERY", "OPEN", "CLICK"]


def test_realistic_delays_hide_future_events(make_emulator: Any) -> None:
    sesv2 = client("sesv2", make_emulator(event_delay_scale=1.0))
    to = "complaint@simulator.amazonses.com"
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(to)}})["MessageId"]
    assert insights(sesv2, message_id)[to] in (
        ["SEND"],
        ["SEND", "DELIVERY"],
    )  # the complaint is >= 1 min away


def test_seed_makes_the_simulator_deterministic(make_emulator: Any) -> None:
    def outcomes() -> list[list[str]]:
        sesv2 = client("sesv2", make_emulator(seed=42, open_probability=0.5, click_probability=0.5))
        ids = [
            sesv2.send_email(Content={"Raw": {"Data": raw(f"u{i}@example.org")}})["MessageId"]
            for i in range(8)
        ]
        return [insights(sesv2, m)[f"u{i}@example.org"] for i, m in enumerate(ids)]

    assert outcomes() == outcomes()


def test_rate_limit_counts_recipients_v2(make_emulator: Any) -> None:
    ses = make_emulator(max_send_rate=3)
    sesv2 = client("sesv2", ses)
    two = raw("a@example.org, b@example.org")
    sesv2.send_email(Content={"Raw": {"Data": two}})
    code, status, message = error_of(sesv2.send_email, Content={"Raw": {"Data": two}})
    assert (code, status, message) == ("TooManyRequestsException", 429, "Maximum sending rate exceeded.")
    sesv2.send_email(Content={"Raw": {"Data": raw("c@example.org")}})


def test_rate_limit_v1_is_throttling_400(make_emulator: Any) -> None:
    ses = client("ses", make_emulator(max_send_rate=1))
    ses.send_raw_email(RawMessage={"Data": raw()})
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()}) == (
        "Throttling",
        400,
        "Maximum sending rate exceeded.",
    )


def test_rate_window_slides(make_emulator: Any) -> None:
    ses = client("ses", make_emulator(max_send_rate=1))
    ses.send_raw_email(RawMessage={"Data": raw()})
    time.sleep(1.05)
    ses.send_raw_email(RawMessage={"Data": raw()})


def test_daily_quota(make_emulator: Any) -> None:
    emulator = make_emulator(max_24h_send=2)
    ses, sesv2 = client("ses", emulator), client("sesv2", emulator)
    ses.send_raw_email(RawMessage={"Data": raw("a@example.org, b@example.org")})
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()})[::2] == (
        "Throttling",
        "Daily message quota exceeded.",
    )
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}})[2] == "Daily message quota exceeded."


def test_more_than_50_recipients_is_rejected(sesv2: Any) -> None:
    to = [f"u{i}@example.org" for i in range(51)]
    code, status, _ = error_of(
        sesv2.send_email, Destination={"ToAddresses": to}, Content={"Raw": {"Data": raw()}}
    )
    assert (code, status) == ("MessageRejected", 400)


def test_message_size_limits(ses: Any, sesv2: Any) -> None:
    big = raw() + b"x" * (10 * 1024 * 1024)
    assert error_of(ses.send_raw_email, RawMessage={"Data": big})[0] == "MessageRejected"
    sesv2.send_email(Content={"Raw": {"Data": big}})


def test_unverified_sender_rejected_only_with_verify_identities(make_emulator: Any) -> None:
    ses = client("ses", make_emulator(verify_identities=True))
    code, _, message = error_of(ses.send_raw_email, RawMessage={"Data": raw()})
    assert code == "MessageRejected" and "not verified" in message
    ses.verify_domain_identity(Domain="example.com")
    ses.send_raw_email(RawMessage={"Data": raw()})


def test_missing_fields_rejected_as_ses_does(ses: Any, sesv2: Any) -> None:
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": b"Subject: x\r\n\r\nno from"}})[:2] == (
        "BadRequestException",
        400,
    )
    no_to = b"From: a@example.com\r\nSubject: x\r\n\r\nbody"
    assert error_of(ses.send_raw_email, RawMessage={"Data": no_to})[0] == "InvalidParameterValue"
    code, _, _ = error_of(
        sesv2.send_email, Destination={"ToAddresses": ["not-an-address"]}, Content={"Raw": {"Data": raw()}}
    )
    assert code == "BadRequestException"


def test_unknown_configuration_set(ses: Any, sesv2: Any) -> None:
    assert error_of(ses.send_raw_email, RawMessage={"Data": raw()}, ConfigurationSetName="nope")[0] == (
        "ConfigurationSetDoesNotExist"
    )
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": raw()}}, ConfigurationSetName="nope")[:2] == (
        "NotFoundException",
        404,
    )


def test_every_attempt_is_in_the_sends_log(make_emulator: Any) -> None:
    emulator = make_emulator(max_send_rate=2)
    sesv2 = client("sesv2", emulator)
    start = time.time() - 1
    sesv2.send_email(Content={"Raw": {"Data": raw("a@example.org, b@example.org")}})
    with pytest.raises(ClientError):
        sesv2.send_email(Content={"Raw": {"Data": raw()}})
    sends = httpx.get(f"{emulator.endpoint_url}/_sesflow/sends", params={"since": start}).json()["sends"]
    assert [(s["recipients"], s["status"], s["operation"]) for s in sends] == [
        (2, 200, "SendEmail"),
        (1, 429, "SendEmail"),
    ]
    assert all(start <= s["t"] <= time.time() for s in sends)


def test_x_ses_headers_of_a_raw_message_are_honoured(sesv2: Any, emulator: Emulator) -> None:
    sesv2.create_configuration_set(ConfigurationSetName="news")
    extra = "X-SES-CONFIGURATION-SET: news\r\nX-SES-MESSAGE-TAGS: campaign=fall, kind=promo\r\n"
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(extra=extra)}})["MessageId"]
    tags = sesv2.get_message_insights(MessageId=message_id)["EmailTags"]
    assert tags == [{"Name": "campaign", "Value": "fall"}, {"Name": "kind", "Value": "promo"}]
    missing = raw(extra="X-SES-CONFIGURATION-SET: nope\r\n")
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": missing}})[0] == "NotFoundException"
