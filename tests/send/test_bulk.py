"""Bulk sends (SES v2 SendBulkEmail) through the Mailer against the emulator over HTTP: calls of at most 50
destinations, one result per destination in the order given, each destination's recipients counted against
the rate, and retries that resend only what SES did not take."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from sesflow import BulkDestination, Mailer, MemoryTransport, RetryPolicy, SESTransport
from sesflow.emulator import Emulator
from sesflow.errors import (
    ConfigError,
    MessageError,
    MessageRejectedError,
    NotFoundError,
    OutcomeUnknownError,
    ThrottlingError,
)
from sesflow.send import NO_RETRY, TemplatedEmail
from tests.send.conftest import PATHS, Private, session
from tests.send.test_mailer import max_in_any_second
from tests.send.test_templated import body, create_templates, stored

Make = Callable[..., SESTransport]
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)
DEFAULTS: dict[str, Any] = {"plan": {"name": "Gold"}, "name": "friend", "items": []}


@pytest.fixture(autouse=True)
def welcome(emulator: Emulator) -> None:
    create_templates(emulator.endpoint_url)


def bulk_sends(endpoint_url: str) -> list[dict[str, Any]]:
    """Every destination of every SendBulkEmail the emulator logged, in arrival order."""
    found = Private(endpoint_url)("GET", "/_sesflow/sends?since=0")["sends"]
    return [s for s in found if s["operation"] == "SendBulkEmail"]


def calls(sends: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The logged destinations grouped by call (one call's destinations share its arrival time)."""
    return [list(group) for _, group in itertools.groupby(sends, key=lambda s: s["t"])]


def readers(count: int) -> list[BulkDestination]:
    return [BulkDestination(f"r{i}@example.org", data={"name": f"R{i}"}) for i in range(count)]


@pytest.mark.parametrize("path", PATHS)
def test_120_destinations_go_in_three_calls_with_one_result_each(
    path: str, ses: Private, transport: Make
) -> None:
    destinations = readers(120)
    with Mailer(transport(path=path), max_connections=1) as mailer:
        results = mailer.send_bulk(
            destinations, from_="Shop <shop@example.com>", template="welcome", default_data=DEFAULTS
        )
    assert [r.status for r in results] == ["sent"] * 120
    assert [r.message for r in results] == destinations  # in the order given
    assert [r.envelope.to for r in results if r.envelope] == [(f"r{i}@example.org",) for i in range(120)]
    assert all(r.attempts == 1 and r.message_id == f"<{r.response}@email.amazonses.com>" for r in results)
    assert [len(call) for call in calls(bulk_sends(ses.url))] == [50, 50, 20]
    seventh = stored(ses, str(results[7].response))
    assert seventh["Subject"] == "Welcome, R7"
    assert seventh["From"] == "Shop <shop@example.com>"
    assert "your plan is Gold" in body(seventh, "plain")  # default data, merged under the destination's
    assert len({r.response for r in results}) == 120 == len(ses.messages())


def test_a_destination_ses_refuses_fails_alone_and_the_others_are_sent(emulator: Emulator) -> None:
    region = "ap-south-1"  # in the sandbox: unverified recipients are refused
    create_templates(emulator.endpoint_url, region)
    client = session(region).client("sesv2", endpoint_url=emulator.endpoint_url)
    client.put_account_details(
        MailType="TRANSACTIONAL", WebsiteURL="https://example.com", ProductionAccessEnabled=False
    )
    client.create_email_identity(EmailIdentity="verified@example.org")
    destinations = [
        BulkDestination("success@simulator.amazonses.com"),
        BulkDestination("stranger@example.org"),
        BulkDestination("not an address"),
        BulkDestination("verified@example.org", cc="stranger2@example.org"),
        BulkDestination("verified@example.org", data={"name": "Vera"}),
    ]
    sender = SESTransport(session=session(region), endpoint_url=emulator.endpoint_url)
    with Mailer(sender, retry=FAST_RETRY) as mailer:
        results = mailer.send_bulk(
            destinations, from_="shop@example.com", template="welcome", default_data=DEFAULTS
        )
    sender.close()
    client.close()
    assert [r.status for r in results] == ["sent", "failed", "failed", "failed", "sent"]
    assert isinstance(results[1].error, MessageRejectedError)
    assert results[1].error.code == "MESSAGE_REJECTED"
    assert "stranger@example.org" in results[1].error.message
    assert results[1].attempts == 1  # a permanent refusal is not retried
    assert isinstance(results[2].error, MessageError) and "destinations[2].to" in results[2].error.message
    assert results[2].attempts == 0  # refused before anything was sent
    assert isinstance(results[3].error, MessageRejectedError)


def test_a_missing_template_fails_every_destination_without_a_retry(ses: Private, transport: Make) -> None:
    with Mailer(transport(), retry=FAST_RETRY) as mailer:
        results = mailer.send_bulk(readers(3), from_="shop@example.com", template="no-such-template")
    assert [(r.status, r.attempts) for r in results] == [("failed", 1)] * 3
    assert all(isinstance(r.error, NotFoundError) for r in results)
    assert ses.messages() == []


@pytest.mark.parametrize("path", PATHS)
def test_a_call_ses_did_not_take_is_retried_whole(path: str, ses: Private, transport: Make) -> None:
    ses.fault(operation="SendBulkEmail", status=503, count=1)
    with Mailer(transport(path=path), retry=FAST_RETRY) as mailer:
        results = mailer.send_bulk(
            readers(4), from_="shop@example.com", template="welcome", default_data=DEFAULTS
        )
    assert [(r.status, r.attempts) for r in results] == [("sent", 2)] * 4
    assert len(ses.messages()) == 4


def test_a_call_whose_answer_was_lost_leaves_its_destinations_unknown(ses: Private, transport: Make) -> None:
    ses.fault(operation="SendBulkEmail", drop_connection="after", count=1)
    with Mailer(transport(), retry=FAST_RETRY) as mailer:
        results = mailer.send_bulk(
            readers(3), from_="shop@example.com", template="welcome", default_data=DEFAULTS
        )
    assert [(r.status, r.attempts) for r in results] == [("unknown", 1)] * 3
    assert all(isinstance(r.error, OutcomeUnknownError) for r in results)
    assert len(ses.messages()) == 3  # SES took them: a resend would have sent each twice


def test_throttled_destinations_are_retried_alone_until_they_fit() -> None:
    # No client-side limit against an account of 4 recipients per second: SES throttles part of the call.
    with Emulator(port=0, max_send_rate=4) as limited:
        create_templates(limited.endpoint_url)
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url)
        policy = RetryPolicy(base_delay=0.2, max_delay=1.0, deadline=30.0, max_attempts=20)
        with Mailer(sender, rate=None, retry=policy) as mailer:
            results = mailer.send_bulk(
                readers(10), from_="shop@example.com", template="welcome", default_data=DEFAULTS
            )
        sender.close()
        sends = bulk_sends(limited.endpoint_url)
    assert [r.status for r in results] == ["sent"] * 10
    assert [r.attempts for r in results[:4]] == [1] * 4  # SES took the first four of the first call
    assert all(r.attempts > 1 for r in results[4:])
    assert [s["status"] for s in sends].count(200) == 10
    assert len(calls(sends)[0]) == 10 and len(calls(sends)[1]) == 6  # only the throttled went again


def test_the_limiter_counts_every_recipient_of_every_destination() -> None:
    rate = 10
    # 20 destinations of 1 to 3 recipients: 39 recipients, about four seconds at 10 per second.
    destinations = [
        BulkDestination(
            f"r{i}@example.org",
            cc=[f"c{i}@example.org"] if i % 3 else None,
            bcc=[f"b{i}@example.org"] if i % 3 == 2 else None,
        )
        for i in range(20)
    ]
    recipients = sum(1 + bool(i % 3) + (i % 3 == 2) for i in range(20))
    with Emulator(port=0, max_send_rate=rate) as limited:
        create_templates(limited.endpoint_url)
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url)
        with Mailer(sender, rate=rate, max_connections=4, retry=NO_RETRY) as mailer:
            results = mailer.send_bulk(
                destinations, from_="shop@example.com", template="welcome", default_data=DEFAULTS
            )
        sender.close()
        sends = bulk_sends(limited.endpoint_url)
    assert [r.status for r in results] == ["sent"] * 20
    assert [s["status"] for s in sends] == [200] * 20  # not one destination throttled
    assert sum(s["recipients"] for s in sends) == recipients == 39
    assert max(sum(s["recipients"] for s in call) for call in calls(sends)) <= rate
    assert max_in_any_second(sends) <= rate


def test_destinations_replace_the_default_data_tags_and_headers(ses: Private, transport: Make) -> None:
    destinations = [
        BulkDestination(
            "a@example.org", data={"name": "Ann"}, tags={"kind": "vip"}, headers={"X-Tier": "gold"}
        ),
        BulkDestination("b@example.org"),
    ]
    with Mailer(transport()) as mailer:
        first, second = mailer.send_bulk(
            destinations,
            from_="shop@example.com",
            template="welcome",
            default_data=DEFAULTS,
            default_tags={"campaign": "autumn", "kind": "plain"},
            default_headers={"X-Tier": "basic"},
            reply_to="help@example.com",
        )
    by_id = {m["MessageId"]: m for m in ses.messages()}
    assert by_id[first.response]["Tags"] == {"campaign": "autumn", "kind": "vip"}
    assert by_id[second.response]["Tags"] == {"campaign": "autumn", "kind": "plain"}
    ann, bob = stored(ses, str(first.response)), stored(ses, str(second.response))
    assert (ann["Subject"], ann["X-Tier"], ann["Reply-To"]) == ("Welcome, Ann", "gold", "help@example.com")
    assert (bob["Subject"], bob["X-Tier"]) == ("Welcome, friend", "basic")


def test_asend_bulk_and_an_empty_list(ses: Private, transport: Make) -> None:
    async def main() -> tuple[list[str], int]:
        async with Mailer(transport()) as mailer:
            sent = await mailer.asend_bulk(
                readers(3), from_="shop@example.com", template="welcome", default_data=DEFAULTS
            )
            empty = await mailer.asend_bulk([], from_="shop@example.com", template="welcome")
        return [r.status for r in sent], len(empty)

    assert asyncio.run(main()) == (["sent"] * 3, 0)
    assert len(bulk_sends(ses.url)) == 3


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"from_": "nobody"}, "from_"),
        ({"template": 7}, "template must be"),
        ({"default_data": {"when": {1, 2}}}, "default_data is not JSON-able"),
        ({"ses": {"ListManagementOptions": {"ContactListName": "x"}}}, "not an SES option of SendBulkEmail"),
        ({"ses": {"TenantName": 5}}, "TenantName"),
    ],
)
def test_a_shared_part_ses_would_refuse_is_refused_before_sending(
    options: dict[str, Any], problem: str, ses: Private, transport: Make
) -> None:
    call: dict[str, Any] = {"from_": "shop@example.com", "template": "welcome", **options}
    with Mailer(transport()) as mailer, pytest.raises(MessageError, match=problem):
        mailer.send_bulk(readers(2), **call)
    assert bulk_sends(ses.url) == []


def test_a_v1_mailer_refuses_bulk_sends(transport: Make) -> None:
    with Mailer(transport(api="v1")) as mailer, pytest.raises(ConfigError, match="v2"):
        mailer.send_bulk(readers(1), from_="shop@example.com", template="welcome")


def test_memory_transport_keeps_each_destination_and_plays_per_destination_failures() -> None:
    throttled_once: set[str] = set()

    def answer(email: TemplatedEmail) -> None:
        (recipient,) = email.recipients
        if recipient == "r1@example.org" and recipient not in throttled_once:
            throttled_once.add(recipient)
            raise ThrottlingError("Maximum sending rate exceeded.")
        if recipient == "r2@example.org":
            raise MessageRejectedError("Email address is not verified.")

    memory = MemoryTransport(template_handler=answer)
    with Mailer(memory, retry=FAST_RETRY) as mailer:
        results = mailer.send_bulk(
            readers(3),
            from_="shop@example.com",
            template="welcome",
            default_data=DEFAULTS,
            default_tags={"c": "x"},
        )
    assert [(r.status, r.attempts) for r in results] == [("sent", 1), ("sent", 2), ("failed", 1)]
    assert results[2].error is not None and results[2].error.code == "MESSAGE_REJECTED"
    kept = {k.email.recipients[0]: k.email for k in memory.templated}
    assert sorted(kept) == ["r0@example.org", "r1@example.org"]
    assert kept["r1@example.org"].data == {**DEFAULTS, "name": "R1"}
    assert kept["r1@example.org"].tags == {"c": "x"}
