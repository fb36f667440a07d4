"""MemoryTransport: a Mailer in front of it behaves as in front of SES (composition, checks, retries, ids),
and a test can read what would have been sent or make a send fail on purpose."""

from __future__ import annotations

import pytest

from sesflow import Attachment, Mailer, MemoryTransport, RetryPolicy
from sesflow.errors import ConfigError, MessageError, MessageRejectedError, ThrottlingError
from sesflow.send import RawEmail
from tests.send.conftest import message


def test_messages_are_kept_with_their_envelope_and_parsed_headers() -> None:
    memory = MemoryTransport(region="eu-west-1")
    with Mailer(memory) as mailer:
        result = mailer.send(message("ann@example.org", bcc=["audit@example.com"], subject="Your order"))
    kept = memory.messages
    assert [m.message_id for m in kept] == [result.response]
    assert result.message_id == f"<{result.response}@eu-west-1.amazonses.com>"
    assert kept[0].recipients == ("ann@example.org", "audit@example.com")
    assert kept[0].message["Subject"] == "Your order"
    assert "Bcc" not in kept[0].message


def test_a_mailer_in_front_of_memory_has_no_rate_unless_given_one() -> None:
    with Mailer(MemoryTransport()) as unlimited, Mailer(MemoryTransport(), rate=50) as limited:
        assert unlimited.rate is None
        assert limited.rate == 50


def test_auto_rate_needs_a_transport_that_can_ask_ses() -> None:
    with pytest.raises(ConfigError, match="auto"):
        Mailer(MemoryTransport(), rate="auto")


def test_the_checks_follow_the_api_it_plays() -> None:
    big = Attachment(filename="big.bin", content=b"\0" * (8 * 1024 * 1024))
    memory = MemoryTransport(api="v1")
    with Mailer(memory) as mailer, pytest.raises(MessageError, match="too large"):
        mailer.send(message("ann@example.org", attachments=[big]))
    assert memory.messages == []


def test_a_handler_can_answer_as_ses_would_and_the_mailer_retries() -> None:
    answers = iter([ThrottlingError("Maximum sending rate exceeded.", code="Throttling")])

    def handler(email: RawEmail) -> None:
        for error in answers:
            raise error

    memory = MemoryTransport(handler=handler)
    with Mailer(memory, retry=RetryPolicy(base_delay=0.01)) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert (result.status, result.attempts) == ("sent", 2)
    assert len(memory.messages) == 1


def test_a_rejected_message_is_reported_and_not_kept() -> None:
    def reject(email: RawEmail) -> None:
        raise MessageRejectedError("Email address is not verified.", code="MessageRejected")

    memory = MemoryTransport(handler=reject)
    with Mailer(memory) as mailer:
        result = mailer.send(message("ann@example.org"))
    assert isinstance(result.error, MessageRejectedError)
    assert memory.messages == []


def test_it_is_thread_safe_and_clear_forgets() -> None:
    memory = MemoryTransport()
    with Mailer(memory, max_connections=8) as mailer:
        results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(200)))
    assert len({r.response for r in results}) == len(memory.messages) == 200
    memory.clear()
    assert memory.messages == []
