"""The mailbox simulator's ooto@ mailbox: the message is delivered AND answered with an automatic reply,
which the emulator keeps as an inbound message (``AutoReplyTo`` = the answered MessageId) at
``GET /_sesflow/messages``; the reply is not a send of the account (no export, no insights, no sends log)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sesflow.emulator import Emulator
from tests.emulator.conftest import client
from tests.emulator.test_exports import download, insights_source, run_job
from tests.emulator.test_sending import error_of, insights, raw

OOTO = "ooto@simulator.amazonses.com"


def listed(emulator: Emulator, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages", params=params)
    answer.raise_for_status()
    return list(answer.json()["messages"])


def replies(emulator: Emulator, **params: str) -> list[dict[str, Any]]:
    return [m for m in listed(emulator, **params) if m["AutoReplyTo"] is not None]


def test_ooto_delivers_and_answers_the_sender(emulator: Emulator, sesv2: Any) -> None:
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(f"{OOTO}, success@simulator.amazonses.com")}})[
        "MessageId"
    ]
    assert insights(sesv2, message_id)[OOTO][:2] == ["SEND", "DELIVERY"]  # delivered, as before
    (reply,) = replies(emulator)
    assert reply["AutoReplyTo"] == message_id
    assert reply["From"] == OOTO and reply["Destination"] == ["app@example.com"]  # the envelope sender
    assert reply["Subject"] == "Automatic reply: Hello there"
    assert reply["Events"] == [] and reply["Seeded"] is False
    sent = [m for m in listed(emulator) if m["AutoReplyTo"] is None]
    assert [m["MessageId"] for m in sent] == [message_id]  # one reply: success@ does not answer

    eml = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{reply['MessageId']}/raw")
    parsed = email.message_from_bytes(eml.content, policy=email.policy.default)
    assert parsed["In-Reply-To"] == f"<{message_id}@email.amazonses.com>"  # SES's Message-ID of the original
    assert parsed["References"] == parsed["In-Reply-To"]
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["From"] == OOTO and parsed["To"] == "app@example.com"
    detail = httpx.get(f"{emulator.endpoint_url}/_sesflow/messages/{reply['MessageId']}").json()
    assert detail["AutoReplyTo"] == message_id and "out of the office" in detail["Text"]


def test_listing_filters_by_kind_and_recipient(emulator: Emulator, sesv2: Any) -> None:
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(OOTO)}})["MessageId"]
    assert [m["MessageId"] for m in listed(emulator, kind="sent")] == [message_id]
    assert [m["AutoReplyTo"] for m in listed(emulator, kind="auto_reply")] == [message_id]
    assert [m["AutoReplyTo"] for m in listed(emulator, recipient="app@example.com")] == [message_id]
    assert [m["MessageId"] for m in listed(emulator, recipient=OOTO)] == [message_id]
    assert httpx.get(f"{emulator.endpoint_url}/_sesflow/messages", params={"kind": "x"}).status_code == 400


def test_the_reply_goes_to_the_return_path_and_each_labelled_mailbox_answers(
    emulator: Emulator, sesv2: Any, ses: Any
) -> None:
    boxes = "ooto+a@simulator.amazonses.com, ooto+b@simulator.amazonses.com"
    data = raw(boxes, extra="Return-Path: <bounces@example.com>\r\n")
    first = sesv2.send_email(Content={"Raw": {"Data": data}})["MessageId"]
    second = ses.send_email(
        Source="v1@example.com",
        Destination={"ToAddresses": [OOTO]},
        Message={"Subject": {"Data": "Quarterly"}, "Body": {"Text": {"Data": "Numbers."}}},
    )["MessageId"]
    found = {(m["AutoReplyTo"], m["From"], m["Destination"][0], m["Subject"]) for m in replies(emulator)}
    assert found == {
        (first, "ooto+a@simulator.amazonses.com", "bounces@example.com", "Automatic reply: Hello there"),
        (first, "ooto+b@simulator.amazonses.com", "bounces@example.com", "Automatic reply: Hello there"),
        (second, OOTO, "v1@example.com", "Automatic reply: Quarterly"),
    }


def test_the_reply_is_not_a_send_of_the_account(emulator: Emulator, sesv2: Any) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    message_id = sesv2.send_email(Content={"Raw": {"Data": raw(OOTO)}})["MessageId"]
    (reply,) = replies(emulator)
    assert error_of(sesv2.get_message_insights, MessageId=reply["MessageId"])[:2] == (
        "NotFoundException",
        404,
    )
    sends = httpx.get(f"{emulator.endpoint_url}/_sesflow/sends").json()["sends"]
    assert [(s["operation"], s["recipients"]) for s in sends] == [("SendEmail", 1)]
    exported = download(run_job(sesv2, insights_source(start, datetime.now(UTC) + timedelta(minutes=1))))
    assert [r["MessageId"] for r in exported] == [message_id]
    assert sesv2.get_account()["SendQuota"]["SentLast24Hours"] == 1.0


def test_a_reply_is_listed_only_once_it_has_arrived(make_emulator: Any) -> None:
    slow = make_emulator(event_delay_scale=100.0)  # delivery, then the reply, minutes after the send
    client("sesv2", slow).send_email(Content={"Raw": {"Data": raw(OOTO)}})
    assert replies(slow) == [] and len(listed(slow)) == 1


def test_replies_survive_a_restart_and_delete_forgets_them(make_emulator: Any, tmp_path: Path) -> None:
    first = make_emulator(data_dir=tmp_path)
    message_id = client("sesv2", first).send_email(Content={"Raw": {"Data": raw(OOTO)}})["MessageId"]
    before = replies(first)
    first.stop()
    second = make_emulator(data_dir=tmp_path)
    assert replies(second) == before and before[0]["AutoReplyTo"] == message_id
    reply_raw = httpx.get(f"{second.endpoint_url}/_sesflow/messages/{before[0]['MessageId']}/raw")
    assert reply_raw.status_code == 200 and b"Auto-Submitted: auto-replied" in reply_raw.content
    httpx.delete(f"{second.endpoint_url}/_sesflow/messages").raise_for_status()
    assert listed(second) == []
