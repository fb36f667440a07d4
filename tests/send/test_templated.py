"""Templated sends through the Mailer against the emulator over HTTP: SES renders the stored (or inline)
template with the data, the recipients count against the rate, retries resend only what SES did not take,
and what SES would refuse for its shape is refused before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

import sesflow
from sesflow import (
    Mailer,
    MemoryTransport,
    RetryPolicy,
    SESTransport,
    TemplateContent,
    TemplatedMessage,
)
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, MessageError, NotFoundError
from sesflow.send import NO_RETRY
from tests.send.conftest import PATHS, Private, message, session
from tests.send.test_mailer import max_in_any_second

Make = Callable[..., SESTransport]
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)
WELCOME = {
    "Subject": "Welcome, {{name}}",
    "Text": "Hello {{name}}, your plan is {{plan.name}}.{{#if vip}} VIP!{{/if}}",
    "Html": "<h1>Hello {{name}}</h1><ul>{{#each items}}<li>{{this}}</li>{{/each}}</ul>",
}


def create_templates(endpoint_url: str, region: str = "us-east-1") -> None:
    """The templates these tests send, created with boto3 (once per emulator and region)."""
    client = session(region).client("sesv2", endpoint_url=endpoint_url)
    names = {t["TemplateName"] for t in client.list_email_templates(PageSize=100)["TemplatesMetadata"]}
    if "welcome" not in names:
        client.create_email_template(TemplateName="welcome", TemplateContent=WELCOME)
    client.close()


@pytest.fixture
def welcome(emulator: Emulator) -> Iterator[None]:
    create_templates(emulator.endpoint_url)
    yield


def stored(ses: Private, message_id: str) -> EmailMessage:
    parsed = message_from_bytes(ses.raw(message_id), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(parsed: EmailMessage, kind: str) -> str:
    part = parsed.get_body((kind,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def welcome_message(**fields: Any) -> TemplatedMessage:
    fields.setdefault("to", "Ann <ann@example.org>")
    fields.setdefault("data", {"name": "Ann", "plan": {"name": "Gold"}, "vip": True, "items": ["a", "b"]})
    fields.setdefault("template", "welcome")
    return TemplatedMessage(from_="Shop <shop@example.com>", **fields)


@pytest.mark.usefixtures("welcome")
@pytest.mark.parametrize("path", PATHS)
def test_a_stored_template_is_rendered_by_ses_with_the_data(path: str, ses: Private, transport: Make) -> None:
    with Mailer(transport(path=path)) as mailer:
        result = mailer.send(
            welcome_message(
                cc="Cy <cy@example.org>",
                bcc="audit@example.com",
                reply_to="help@example.com",
                headers={"X-Order": "42"},
                tags={"campaign": "welcome"},
            )
        )
    assert result.status == "sent", result.error
    assert result.envelope is not None
    assert result.envelope.to == ("ann@example.org", "cy@example.org", "audit@example.com")
    assert result.message_id == f"<{result.response}@email.amazonses.com>"
    (kept,) = ses.messages()
    assert kept["MessageId"] == result.response
    assert kept["Tags"] == {"campaign": "welcome"}
    assert sorted(kept["Destination"]) == ["ann@example.org", "audit@example.com", "cy@example.org"]
    parsed = stored(ses, kept["MessageId"])
    assert parsed["Subject"] == "Welcome, Ann"
    assert parsed["To"] == "Ann <ann@example.org>"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["X-Order"] == "42"
    assert "Bcc" not in parsed
    assert body(parsed, "plain").strip() == "Hello Ann, your plan is Gold. VIP!"
    assert "<li>a</li><li>b</li>" in body(parsed, "html")
    assert [s["recipients"] for s in ses.sends()] == [3]


def test_inline_content_is_rendered_without_a_stored_template(ses: Private, transport: Make) -> None:
    inline = TemplateContent(subject="Order {{id}}", text="Order {{id}} ships {{when}}.")
    with Mailer(transport()) as mailer:
        result = mailer.send(
            TemplatedMessage(
                from_="shop@example.com",
                to="bob@example.org",
                template=inline,
                data={"id": 7, "when": "today"},
            )
        )
    assert result.status == "sent", result.error
    parsed = stored(ses, str(result.response))
    assert parsed["Subject"] == "Order 7"
    assert body(parsed, "plain").strip() == "Order 7 ships today."


@pytest.mark.usefixtures("welcome")
def test_non_ascii_display_names_reach_ses_encoded_and_read_back(ses: Private, transport: Make) -> None:
    with Mailer(transport()) as mailer:
        result = mailer.send(welcome_message(to=("Zoë Ångström", "zoe@example.org")))
    assert result.status == "sent", result.error
    assert stored(ses, str(result.response))["To"] == "Zoë Ångström <zoe@example.org>"


def test_a_missing_template_fails_and_is_not_retried(ses: Private, transport: Make) -> None:
    with Mailer(transport(), retry=FAST_RETRY) as mailer:
        result = mailer.send(TemplatedMessage(from_="shop@example.com", to="a@example.org", template="nope"))
    assert result.status == "failed"
    assert isinstance(result.error, NotFoundError)
    assert result.attempts == 1
    assert ses.messages() == []


@pytest.mark.usefixtures("welcome")
def test_data_lacking_a_variable_is_accepted_then_fails_rendering_as_on_ses(
    ses: Private, transport: Make
) -> None:
    # SES takes the send and then drops the message with a Rendering Failure event; Templates.render is the
    # way to find out before sending.
    with Mailer(transport()) as mailer:
        result = mailer.send(welcome_message(data={"plan": {"name": "Gold"}}))
    assert result.status == "sent"
    (kept,) = ses.messages()
    failures = [e for e in kept["Events"] if e["Type"] == "RENDERING_FAILURE"]
    assert failures and "name" in str(failures[0]["Details"])


@pytest.mark.usefixtures("welcome")
@pytest.mark.parametrize("path", PATHS)
def test_server_errors_are_retried_until_ses_accepts(path: str, ses: Private, transport: Make) -> None:
    ses.fault(operation="SendEmail", status=503, count=2)
    with Mailer(transport(path=path), retry=FAST_RETRY) as mailer:
        result = mailer.send(welcome_message())
    assert (result.status, result.attempts) == ("sent", 3)
    assert [s["status"] for s in ses.sends()] == [503, 503, 200]
    assert [m["MessageId"] for m in ses.messages()] == [result.response]


@pytest.mark.usefixtures("welcome")
def test_a_send_whose_answer_was_lost_is_unknown_and_never_resent(ses: Private, transport: Make) -> None:
    ses.fault(operation="SendEmail", drop_connection="after", count=1)
    with Mailer(transport(), retry=FAST_RETRY) as mailer:
        result = mailer.send(welcome_message())
    assert (result.status, result.attempts) == ("unknown", 1)
    assert len(ses.messages()) == 1  # SES took it; a resend would have sent it twice


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"to": None}, "no recipient"),
        ({"to": [f"r{i}@example.org" for i in range(51)]}, "at most 50"),
        ({"data": {"when": object()}}, "data is not JSON-able"),
        (
            {"tags": {"a": "b"}, "ses": {"EmailTags": [{"Name": "a", "Value": "b"}]}},
            "EmailTags is given twice",
        ),
        ({"ses": {"Bogus": 1}}, "Unknown SES send option 'Bogus'"),
        ({"headers": {f"X-H{i}": "v" for i in range(16)}}, "at most 15 headers"),
        ({"to": "not an address"}, "to: 'not an address'"),
        ({"template": ""}, "template must be"),
        ({"ses": {"ConfigurationSetName": 5}}, "ConfigurationSetName"),
    ],
)
def test_what_ses_would_refuse_is_refused_before_sending(
    fields: dict[str, Any], problem: str, ses: Private, transport: Make
) -> None:
    with Mailer(transport()) as mailer, pytest.raises(MessageError, match=problem):
        mailer.send(welcome_message(**fields))
    assert ses.sends() == []


@pytest.mark.usefixtures("welcome")
def test_send_many_takes_raw_and_templated_messages_together(ses: Private, transport: Make) -> None:
    mixed = [welcome_message(to=f"t{i}@example.org") for i in range(5)] + [
        message(f"m{i}@example.org") for i in range(5)
    ]
    broken = welcome_message(to=None)
    with Mailer(transport(), max_connections=4) as mailer:
        results = list(mailer.send_many([*mixed, broken]))
    assert sorted(r.status for r in results) == ["failed"] + ["sent"] * 10
    assert next(r for r in results if r.status == "failed").message is broken
    subjects = sorted(m["Subject"] for m in ses.messages())
    assert subjects == ["Welcome, Ann"] * 5 + ["Your order"] * 5


@pytest.mark.usefixtures("welcome")
def test_asend_sends_a_templated_message(ses: Private, transport: Make) -> None:
    async def main() -> str:
        async with Mailer(transport()) as mailer:
            return (await mailer.asend(welcome_message())).status

    assert asyncio.run(main()) == "sent"
    assert [m["Subject"] for m in ses.messages()] == ["Welcome, Ann"]


def test_at_the_accounts_rate_templated_sends_are_never_throttled() -> None:
    rate = 10
    with Emulator(port=0, max_send_rate=rate) as limited:
        create_templates(limited.endpoint_url)
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url)
        # 16 messages of 1 or 3 recipients: 32 recipients, about three seconds at 10 per second.
        batch = [
            welcome_message(
                to=f"r{i}@example.org", cc=[f"c{i}@example.org", f"d{i}@example.org"] if i % 2 else None
            )
            for i in range(16)
        ]
        with Mailer(sender, rate=rate, max_connections=8, retry=NO_RETRY) as mailer:
            results = list(mailer.send_many(batch))
        sender.close()
        sends = Private(limited.endpoint_url).sends()
    assert [r.status for r in results] == ["sent"] * 16
    assert [s["status"] for s in sends] == [200] * 16  # not one throttled attempt
    assert sum(s["recipients"] for s in sends) == 32
    assert max_in_any_second(sends) <= rate


@pytest.mark.usefixtures("welcome")
def test_the_one_call_send_takes_a_templated_message(ses: Private) -> None:
    result = sesflow.send(welcome_message(), endpoint_url=ses.url, session=session())
    assert result.status == "sent", result.error
    assert [m["Subject"] for m in ses.messages()] == ["Welcome, Ann"]


def test_a_v1_mailer_refuses_templated_sends(transport: Make) -> None:
    with Mailer(transport(api="v1")) as mailer, pytest.raises(ConfigError, match="v2"):
        mailer.send(welcome_message())


def test_memory_transport_keeps_templated_messages_unrendered() -> None:
    memory = MemoryTransport()
    with Mailer(memory) as mailer:
        result = mailer.send(welcome_message(bcc="audit@example.com", tags={"kind": "welcome"}))
    (kept,) = memory.templated
    assert kept.message_id == result.response
    assert kept.email.template == "welcome"
    assert kept.email.data["name"] == "Ann"
    assert kept.email.recipients == ("ann@example.org", "audit@example.com")
    assert kept.email.tags == {"kind": "welcome"}
    assert memory.messages == []
