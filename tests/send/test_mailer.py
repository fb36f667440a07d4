"""The Mailer against the emulator over HTTP: rate limits that SES never has to enforce, retries that only
resend what SES did not take, checks that send nothing, bounded memory, and the async faces."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from sesflow import Attachment, Mailer, Message, RetryPolicy, SESTransport
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, ConnectionFailedError, MessageError, ServiceUnavailableError
from sesflow.send import NO_RETRY
from tests.send.conftest import PATHS, Private, message, session

Make = Callable[..., SESTransport]
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)


def max_in_any_second(sends: list[dict[str, object]]) -> int:
    """Most recipients accepted in any window (t - 1, t] on the emulator's clock."""
    best = 0
    for i, last in enumerate(sends):
        window = [s for s in sends[: i + 1] if float(last["t"]) - float(s["t"]) < 1.0]  # type: ignore[arg-type]
        best = max(best, sum(int(s["recipients"]) for s in window))  # type: ignore[call-overload]
    return best


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_at_the_accounts_rate_ses_never_throttles(api: str) -> None:
    rate = 12
    mixed = [message(*(f"r{i}-{j}@example.org" for j in range(1 + 2 * (i % 2)))) for i in range(18)]
    with Emulator(port=0, max_send_rate=rate) as limited:
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url, api=api)
        with Mailer(sender, rate=rate, max_connections=8, retry=NO_RETRY) as mailer:
            results = list(mailer.send_many(mixed))
        sender.close()
        sends = Private(limited.endpoint_url).sends()
    assert [r.status for r in results] == ["sent"] * len(mixed)
    assert [s["status"] for s in sends] == [200] * len(mixed)  # zero throttled attempts
    assert max_in_any_second(sends) <= rate


def test_recipients_are_counted_one_by_one(ses: Private, transport: Make) -> None:
    with Mailer(transport()) as mailer:
        mailer.send(message("a@example.org", cc=["b@example.org"], bcc=["c@example.org"]))
        mailer.send(message("d@example.org"))
    assert [s["recipients"] for s in ses.sends()] == [3, 1]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("api", "operation"), [("v2", "SendEmail"), ("v1", "SendRawEmail")])
def test_server_errors_are_retried_until_ses_accepts(
    api: str, operation: str, path: str, ses: Private, transport: Make
) -> None:
    ses.fault(operation=operation, status=500, count=2)
    with Mailer(transport(api=api, path=path), retry=FAST_RETRY) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.status == "sent"
    assert result.attempts == 3
    assert [s["status"] for s in ses.sends()] == [500, 500, 200]
    assert [m["MessageId"] for m in ses.messages()] == [result.response]


def test_throttled_sends_are_retried_until_they_fit() -> None:
    # No client-side limit (rate=None) against an account of 2 recipients/s: SES throttles, the Mailer
    # backs off.
    with Emulator(port=0, max_send_rate=2) as limited:
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url)
        policy = RetryPolicy(base_delay=0.2, max_delay=1.0, deadline=30.0, max_attempts=20)
        with Mailer(sender, rate=None, max_connections=4, retry=policy) as mailer:
            results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(4)))
        sender.close()
        sends = Private(limited.endpoint_url).sends()
    assert [r.status for r in results] == ["sent"] * 4
    assert sum(r.attempts for r in results) == len(sends) > 4
    assert [s["status"] for s in sends].count(200) == 4


@pytest.mark.parametrize("path", PATHS)
def test_an_unreachable_endpoint_is_retried_then_reported(path: str, transport: Make) -> None:
    url = "http://127.0.0.1:1"  # nothing listens on port 1
    retry = RetryPolicy(max_attempts=3, base_delay=0.01)
    with Mailer(transport(endpoint_url=url, path=path), rate=None, retry=retry) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.status == "failed"
    assert isinstance(result.error, ConnectionFailedError)
    assert result.attempts == 3


def test_retries_stop_at_max_attempts(ses: Private, transport: Make) -> None:
    ses.fault(operation="SendEmail", status=503, count=10)
    with Mailer(transport(), retry=RetryPolicy(max_attempts=3, base_delay=0.01)) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert result.status == "failed"
    assert isinstance(result.error, ServiceUnavailableError)
    assert result.attempts == 3
    assert ses.messages() == []


def test_retries_wait_for_the_rate_limiter_too() -> None:
    # Two 503s then success, at 4 recipients/s with 4-recipient messages: every attempt, retries included,
    # takes a full second's worth, so SES never sees more than 4 recipients in a second.
    with Emulator(port=0, max_send_rate=4) as limited:
        private = Private(limited.endpoint_url)
        private.fault(operation="SendEmail", status=503, count=2)
        sender = SESTransport(session=session(), endpoint_url=limited.endpoint_url)
        with Mailer(sender, rate=4, max_connections=4, retry=FAST_RETRY) as mailer:
            results = list(
                mailer.send_many(message(*(f"r{i}-{j}@example.org" for j in range(4))) for i in range(2))
            )
        sender.close()
        sends = private.sends()
    assert sorted(r.attempts for r in results) == [1, 3] or sorted(r.attempts for r in results) == [2, 2]
    assert [s["status"] for s in sends].count(200) == 2
    assert max_in_any_second(sends) <= 4


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: message(*(f"r{i}@example.org" for i in range(51))), "51 recipients"),
        (lambda: Message(from_="shop@example.com", subject="x", text="y"), "recipient"),
    ],
)
def test_unsendable_messages_raise_and_nothing_is_sent(
    build: Callable[[], Message], problem: str, ses: Private, transport: Make
) -> None:
    with Mailer(transport()) as mailer, pytest.raises(MessageError, match=problem):
        mailer.send(build())
    assert ses.sends() == []


def test_a_message_over_the_v1_size_is_refused_before_sending(ses: Private, transport: Make) -> None:
    big = Attachment(filename="big.bin", content=b"\0" * (8 * 1024 * 1024))
    with Mailer(transport(api="v1")) as mailer, pytest.raises(MessageError, match="too large"):
        mailer.send(message("ann@example.org", attachments=[big]))
    assert ses.sends() == []


def test_send_many_reports_a_bad_message_and_sends_the_rest(ses: Private, transport: Make) -> None:
    batch = [
        message("a@example.org"),
        message(*(f"r{i}@example.org" for i in range(51))),
        message("b@example.org"),
    ]
    with Mailer(transport(), max_connections=2) as mailer:
        results = list(mailer.send_many(batch))
    assert sorted(r.status for r in results) == ["failed", "sent", "sent"]
    failed = next(r for r in results if r.status == "failed")
    assert isinstance(failed.error, MessageError)
    assert failed.message is batch[1]
    assert len(ses.sends()) == 2


def test_send_many_holds_a_bounded_number_of_messages(ses: Private, transport: Make) -> None:
    pulled = yielded = most_in_hand = 0

    def messages() -> Iterator[Message]:
        nonlocal pulled
        for i in itertools.count():
            if i == 120:
                return
            pulled += 1
            yield message(f"r{i}@example.org")

    with Mailer(transport(), max_connections=3) as mailer:
        for result in mailer.send_many(messages()):
            assert result.status == "sent"
            yielded += 1
            most_in_hand = max(most_in_hand, pulled - yielded)
    assert yielded == 120
    assert most_in_hand <= 2 * 3


def test_submit_returns_futures_and_flush_waits_for_them(ses: Private, transport: Make) -> None:
    with Mailer(transport(), max_connections=4) as mailer:
        futures = [mailer.submit(message(f"r{i}@example.org")) for i in range(10)]
        mailer.flush()
        assert all(f.done() for f in futures)
    assert {f.result().response for f in futures} == {m["MessageId"] for m in ses.messages()}


def test_close_finishes_queued_sends(ses: Private, transport: Make) -> None:
    mailer = Mailer(transport(), max_connections=2)
    futures = [mailer.submit(message(f"r{i}@example.org")) for i in range(6)]
    mailer.close()
    assert [f.result().status for f in futures] == ["sent"] * 6
    with pytest.raises(RuntimeError, match="closed"):
        mailer.submit(message("late@example.org"))


def test_async_faces_send_too(ses: Private, transport: Make) -> None:
    async def source() -> AsyncIterator[Message]:
        for i in range(5):
            yield message(f"r{i}@example.org")

    async def main(mailer: Mailer) -> list[str]:
        first = await mailer.asend(message("first@example.org"))
        rest = [r.status async for r in mailer.asend_many(source())]
        return [first.status, *rest]

    with Mailer(transport(), max_connections=3) as mailer:
        assert asyncio.run(main(mailer)) == ["sent"] * 6
    assert len(ses.messages()) == 6


@pytest.mark.parametrize(
    ("option", "value"), [("max_connections", 0), ("rate", -1), ("rate", 0), ("rate", "x")]
)
def test_bad_settings_are_config_errors_naming_them(option: str, value: object, transport: Make) -> None:
    with pytest.raises(ConfigError, match=option):
        Mailer(transport(), **{option: value})  # type: ignore[arg-type]
