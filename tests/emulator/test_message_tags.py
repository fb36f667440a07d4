"""Message tags on sends follow SES's rules: names and values of ASCII letters, digits, ``_`` and ``-``, at
most 256 characters; refused as SES refuses them (v1 ``InvalidParameterValue``, v2 ``BadRequestException``),
whether they come as API parameters or in an ``X-SES-MESSAGE-TAGS`` header.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sesflow.emulator import Emulator
from tests.emulator.test_sending import error_of, raw


def stored(emulator: Emulator) -> int:
    return int(httpx.get(f"{emulator.endpoint_url}/_sesflow/messages").json()["total"])


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("camp aign", "x", "camp aign"),
        ("campaign", "fall:2026", "fall:2026"),
        ("", "x", ""),
        ("c" * 257, "x", "c" * 257),
        ("campaign", "v" * 257, "v" * 257),
        ("kampagne-ä", "x", "kampagne-ä"),
    ],
)
def test_v2_send_refuses_a_tag_ses_refuses(
    name: str, value: str, named: str, sesv2: Any, emulator: Emulator
) -> None:
    code, status, message = error_of(
        sesv2.send_email, Content={"Raw": {"Data": raw()}}, EmailTags=[{"Name": name, "Value": value}]
    )
    assert (code, status) == ("BadRequestException", 400)
    assert f"<{named}>" in message and "only alphanumeric ASCII characters" in message
    assert stored(emulator) == 0


def test_v1_send_email_refuses_a_tag_name_with_a_space(ses: Any, emulator: Emulator) -> None:
    code, status, message = error_of(
        ses.send_email,
        Source="app@example.com",
        Destination={"ToAddresses": ["ann@example.org"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
        Tags=[{"Name": "camp aign", "Value": "x"}],
    )
    assert (code, status) == ("InvalidParameterValue", 400) and "<camp aign>" in message
    assert stored(emulator) == 0


def test_a_refused_header_tag_refuses_the_raw_send(ses: Any, sesv2: Any, emulator: Emulator) -> None:
    bad = raw(extra="X-SES-MESSAGE-TAGS: camp aign=x\r\n")
    assert error_of(ses.send_raw_email, RawMessage={"Data": bad})[:2] == ("InvalidParameterValue", 400)
    assert error_of(sesv2.send_email, Content={"Raw": {"Data": bad}})[:2] == ("BadRequestException", 400)
    no_value = raw(extra="X-SES-MESSAGE-TAGS: campaign\r\n")
    assert "name=value" in error_of(sesv2.send_email, Content={"Raw": {"Data": no_value}})[2]
    assert stored(emulator) == 0


def test_longest_allowed_tags_are_kept(sesv2: Any) -> None:
    tags = [{"Name": "n" * 256, "Value": "v" * 256}, {"Name": "A-z_0", "Value": ""}]
    sent = sesv2.send_email(Content={"Raw": {"Data": raw()}}, EmailTags=tags)
    assert sesv2.get_message_insights(MessageId=sent["MessageId"])["EmailTags"] == tags


def test_api_tags_replace_the_header_tags(sesv2: Any) -> None:
    message = raw(extra="X-SES-MESSAGE-TAGS: campaign=fall\r\n")
    sent = sesv2.send_email(
        Content={"Raw": {"Data": message}}, EmailTags=[{"Name": "kind", "Value": "promo"}]
    )
    assert sesv2.get_message_insights(MessageId=sent["MessageId"])["EmailTags"] == [
        {"Name": "kind", "Value": "promo"}
    ]
