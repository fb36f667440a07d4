"""No rate given is not "no limit": against SES the Mailer's rate is the account's, read once; and throttling
answers teach the limiter (the rate steps down, then climbs back toward its ceiling, shared through Redis when
there is one), so a missing or too-high rate slows sending but never fails a message."""

from __future__ import annotations

import logging

import pytest

from sesflow import GCRALimiter, Mailer, RedisLimiter
from sesflow.emulator import Emulator
from sesflow.send.learning import CLIMB, STEP_DOWN, cut_after_throttle, learned_rate
from tests.send.conftest import Private, Spawn, lines, message, session


def test_with_no_rate_given_300_messages_to_a_14_per_second_account_are_all_sent() -> None:
    # Before: a Mailer with no rate sent without a limit; against the emulator's default 14/s, 25 of these
    # 300 messages ended "failed" with "Maximum sending rate exceeded" after 8 attempts.
    with Emulator(port=0, event_delay_scale=0.0) as ses:  # the emulator's default account: 14/s
        with Mailer(endpoint_url=ses.endpoint_url, session=session()) as mailer:
            results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(300)))
            assert mailer.rate == 14
        sends = Private(ses.endpoint_url).sends()
    assert [r.status for r in results].count("sent") == 300
    assert [s["status"] for s in sends].count(200) == 300
    assert len(sends) == 300  # not one throttled attempt


def test_a_rate_too_high_is_learned_down_and_every_message_is_sent() -> None:
    with Emulator(port=0, max_send_rate=14, event_delay_scale=0.0) as ses:
        with Mailer(endpoint_url=ses.endpoint_url, session=session(), rate=100, max_connections=8) as mailer:
            results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(150)))
            learned = mailer.rate
        sends = Private(ses.endpoint_url).sends()
    assert [r.status for r in results].count("sent") == 150
    assert len(sends) > 150  # SES did throttle at first ...
    assert learned is not None and learned < 100  # ... and the limiter learned from it


def test_without_permission_to_read_the_quota_the_rate_is_learned_from_throttling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Emulator(port=0, max_send_rate=14, event_delay_scale=0.0) as ses:
        private = Private(ses.endpoint_url)
        private.fault(operation="GetAccount", error_code="AccessDeniedException", status=403, count=100)
        with (
            caplog.at_level(logging.WARNING, logger="sesflow"),
            Mailer(endpoint_url=ses.endpoint_url, session=session(), max_connections=8) as mailer,
        ):
            results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(120)))
            learned = mailer.rate
        sends = private.sends()
    assert [r.status for r in results].count("sent") == 120
    assert len(sends) > 120  # it had to be throttled to learn
    assert learned is not None and learned < 100
    assert "ses:GetAccount" in caplog.text


def test_throttling_learned_by_one_process_slows_the_others_through_redis(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    with Emulator(port=0, max_send_rate=14, max_24h_send=10**9, event_delay_scale=0.0) as ses:
        task = {"do": "mail", "key": key, "rate": 100, "endpoint": ses.endpoint_url, "count": 60}
        workers = [spawn({**task, "prefix": f"p{n}", "connections": 4}) for n in range(2)]
        outcomes = [lines(worker)[-1] for worker in workers]
        sends = Private(ses.endpoint_url).sends()
    shared = RedisLimiter(redis_url, key=key, rate=100)
    learned = shared.rate
    shared.close()
    assert [o["statuses"] for o in outcomes] == [{"sent": 60}] * 2
    assert len(sends) > 120
    assert learned < 100  # what the two processes learned is in Redis, for any process on that key


# -- the arithmetic ---------------------------------------------------------------------------------------


def test_a_throttle_cuts_to_a_share_of_what_the_window_held() -> None:
    assert cut_after_throttle(rate=100, in_window=20) == pytest.approx(STEP_DOWN * 20)
    assert cut_after_throttle(rate=10, in_window=20) == pytest.approx(STEP_DOWN * 10)
    assert cut_after_throttle(rate=float("inf"), in_window=0) >= 1.0


def test_the_rate_climbs_back_to_its_ceiling_and_no_further() -> None:
    assert learned_rate(50, None, 0.0, 123.0) == 50
    assert learned_rate(50, 10.0, 100.0, 101.0) == pytest.approx(10 * CLIMB)
    assert learned_rate(50, 10.0, 100.0, 1000.0) == 50


def test_throttles_of_one_round_of_requests_step_the_rate_down_once() -> None:
    limiter = GCRALimiter(40)
    permits = [limiter.acquire(1) for _ in range(4)]  # admitted together, before any answer
    for permit in permits:
        permit.release(throttled=True)
    once = limiter.rate
    assert once == pytest.approx(cut_after_throttle(40, 4), rel=0.1)  # it climbs back as time passes
    limiter.acquire(1).release(throttled=True)  # a request admitted after the step: a new lesson
    assert limiter.rate < once
