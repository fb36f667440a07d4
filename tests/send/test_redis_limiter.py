"""RedisLimiter: one rate for several real processes through a real Redis — the same two rules as GCRALimiter,
arrival order across processes, waits that block instead of polling, leases that free a killed process's
recipients, the daily quota, and failing closed when Redis is gone.

Nothing here measures time against a deadline: the assertions are about what the emulator counted, what
Redis decided (its own clock, in each permit's ``started_at``) and in which order.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from sesflow import Mailer, RedisLimiter
from sesflow.connections.redaction import redact_text
from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, DailyQuotaExceededError, LimiterUnavailableError
from sesflow.send import RateLimiter, default_key
from sesflow.send.limiter import PACING_TOLERANCE_S
from sesflow.send.redis_liveness import WAITER_TTL_S
from tests.send.conftest import Private, Spawn, lines, message, session
from tests.services import throwaway_redis

ROOT = Path(__file__).resolve().parents[2]


def max_in_any_second(events: Sequence[tuple[float, int]]) -> int:
    """Most recipients whose time falls in one window [t, t + 1)."""
    ordered = sorted(events)
    return max(sum(c for s, c in ordered[i:] if s < t + 1.0) for i, (t, _) in enumerate(ordered))


def server_max_in_any_second(sends: list[dict[str, Any]]) -> int:
    """Most recipients the emulator accepted in any window (t - 1, t] of its clock."""
    accepted = [(float(s["t"]), int(s["recipients"])) for s in sends if s["status"] == 200]
    best = 0
    for i, (last, _) in enumerate(accepted):
        best = max(best, sum(c for t, c in accepted[: i + 1] if last - t < 1.0))
    return best


def queued(url: str, name: str) -> int:
    """How many waiters the limiter's queue in Redis holds."""
    return int(redis.Redis.from_url(url).zcard(f"{{{name}}}:queue"))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


# -- the rules, across processes ----------------------------------------------------------------------------


def test_redis_limiter_is_a_rate_limiter(redis_url: str, key: str) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=5)
    assert isinstance(limiter, RateLimiter)
    assert limiter.rate == 5
    limiter.close()


def test_three_processes_never_start_more_than_the_rate_in_any_second(key: str, spawn: Spawn) -> None:
    costs = [1, 3, 1, 1, 3, 1, 3, 1] * 2
    workers = [
        spawn({"do": "acquire", "key": key, "rate": 10, "costs": costs, "threads": 3}) for _ in range(3)
    ]
    permits = [line for worker in workers for line in lines(worker)]
    assert len(permits) == 3 * len(costs)
    assert max_in_any_second([(p["started_at"], p["cost"]) for p in permits]) <= 10


def test_a_request_holds_its_place_until_one_second_after_its_answer(redis_url: str, key: str) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=2)
    first = limiter.acquire(2)
    time.sleep(0.3)  # a request in flight
    ended = redis.Redis.from_url(redis_url).time()
    first.release()
    second = limiter.acquire(1)
    second.release()
    limiter.close()
    assert second.started_at >= ended[0] + ended[1] / 1e6 + 1.0


def test_processes_sending_through_one_redis_key_are_never_throttled(
    key: str, spawn: Spawn, redis_url: str
) -> None:
    rate = 12
    with Emulator(port=0, max_send_rate=rate, max_24h_send=10**9, event_delay_scale=0.0) as limited:
        task = {"do": "mail", "key": key, "rate": rate, "endpoint": limited.endpoint_url, "count": 18}
        workers = [spawn({**task, "prefix": f"p{n}", "max_attempts": 1}) for n in range(3)]
        outcomes = [lines(worker)[-1] for worker in workers]
        sends = Private(limited.endpoint_url).sends()
    assert [o["statuses"] for o in outcomes] == [{"sent": 18}] * 3
    assert [s["status"] for s in sends] == [200] * 54  # zero throttled attempts, and no retry needed
    assert server_max_in_any_second(sends) <= rate


def test_a_permit_given_ahead_of_its_start_is_used_only_from_its_start(redis_url: str, key: str) -> None:
    # At 2 recipients/s the second start is half a second after the first: the permit is given up to
    # LOOKAHEAD_S before it, and acquire sleeps until then.
    limiter = RedisLimiter(redis_url, key=key, rate=2)
    client = redis.Redis.from_url(redis_url)
    first = limiter.acquire(1)
    first.release()
    second = limiter.acquire(1)
    seconds, micros = client.time()
    second.release()
    limiter.close()
    assert seconds + micros / 1e6 >= second.started_at  # acquire returned at its start, not before
    # The rule lets a start come PACING_TOLERANCE_S early, and no earlier; starts are kept to the microsecond
    # (on epoch seconds, a difference of exactly 0.49 can come out as 0.4899999).
    assert second.started_at - first.started_at >= 0.5 - PACING_TOLERANCE_S - 1e-6


def test_an_uncontended_permit_costs_two_redis_calls() -> None:
    # acquire and release, one script call each (a throwaway Redis: its command counts are this test's).
    with throwaway_redis() as url:
        client = redis.Redis.from_url(url)
        limiter = RedisLimiter(url, key="lean", rate=100_000)
        limiter.acquire(1).release()  # the script is loaded once
        client.config_resetstat()
        for n in range(50):
            limiter.acquire(1 + n % 3).release()
        stats = client.info("commandstats")
        limiter.close()
    calls = sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval", "blpop"))
    commands = sum(entry["calls"] for entry in stats.values())
    assert calls == 100
    assert commands <= 50 * 20  # every command the two scripts run, with room to spare (about 12 measured)


# -- fairness, and waiting without polling ------------------------------------------------------------------


def test_waiters_from_several_processes_are_served_in_arrival_order(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=3)
    filler = limiter.acquire(3)  # the window is full until one second after this ends
    workers = []
    for n in range(6):
        workers.append(spawn({"do": "acquire", "key": key, "rate": 3, "costs": [1]}))
        wait_until(lambda n=n: queued(redis_url, key) == n + 1, f"waiter {n} to queue")
    filler.release()
    admitted = [lines(worker)[0] for worker in workers]
    limiter.close()
    by_start = sorted(range(6), key=lambda n: admitted[n]["started_at"])
    assert by_start == list(range(6))  # first come, first served, across processes
    assert [a["ticket"] for a in admitted] == sorted(a["ticket"] for a in admitted)


def test_waiting_blocks_on_redis_instead_of_polling() -> None:
    # A throwaway Redis, so that its command counts are this test's alone.
    with throwaway_redis() as url:
        client = redis.Redis.from_url(url)
        limiter = RedisLimiter(url, key="quiet", rate=1)
        filler = limiter.acquire(1)
        waiters = [subprocess.Popen(
            [sys.executable, "-m", "tests.send.limiter_worker",
             json.dumps({"do": "acquire", "url": url, "key": "quiet", "rate": 1, "costs": [1]})],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        ) for _ in range(4)]  # fmt: skip
        wait_until(lambda: queued(url, "quiet") == 4, "four waiters to queue")
        before = client.info("commandstats")
        time.sleep(3.0)  # four processes waiting behind a request in flight
        after = client.info("commandstats")
        filler.release()
        for waiter in waiters:
            lines(waiter)
        limiter.close()
    calls = sum(
        after.get(f"cmdstat_{name}", {}).get("calls", 0) - before.get(f"cmdstat_{name}", {}).get("calls", 0)
        for name in ("evalsha", "eval", "blpop")
    )
    # Each process shows it is alive twice a second (one call) and each waiter asks again every BLOCK_S (a
    # BLPOP and a script call): 4 waiting processes for 3 s make about 4 * 6 + 4 * 2 * 2 = 40 calls; a busy
    # poll would make thousands.
    assert calls <= 48


def test_async_face_waits_its_turn_too(redis_url: str, key: str) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=4)

    async def main() -> list[tuple[float, int]]:
        async def one() -> tuple[float, int]:
            permit = await limiter.aacquire(1)
            permit.release()
            return permit.started_at, 1

        return list(await asyncio.gather(*(one() for _ in range(10))))

    starts = asyncio.run(main())
    limiter.close()
    assert max_in_any_second(starts) <= 4


# -- leases: a process killed mid-request ----------------------------------------------------------------


def test_a_killed_holder_frees_its_recipients_at_the_end_of_its_lease(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    holder = spawn({"do": "hold", "key": key, "rate": 4, "cost": 4, "lease": 2.0})
    assert holder.stdout is not None
    held = json.loads(holder.stdout.readline())
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    limiter = RedisLimiter(redis_url, key=key, rate=4)
    after = limiter.acquire(4)  # would wait forever if the dead process's permit were never freed
    after.release()
    limiter.close()
    assert after.started_at >= held["started_at"] + 2.0  # not before the lease ended: no overshoot


def test_a_waiter_killed_while_first_in_line_does_not_block_the_others(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=1)
    filler = limiter.acquire(1)
    doomed = spawn({"do": "acquire", "key": key, "rate": 1, "costs": [1]})
    wait_until(lambda: queued(redis_url, key) == 1, "the doomed waiter to queue")
    survivor = spawn({"do": "acquire", "key": key, "rate": 1, "costs": [1]})
    wait_until(lambda: queued(redis_url, key) == 2, "the survivor to queue")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    filler.release()
    assert lines(survivor)[0]["cost"] == 1  # served once the dead waiter's place expired
    limiter.close()


def test_killing_a_sending_process_mid_request_never_makes_ses_throttle(
    key: str, spawn: Spawn, redis_url: str
) -> None:
    rate = 10
    with Emulator(port=0, max_send_rate=rate, max_24h_send=10**9, event_delay_scale=0.0) as limited:
        private = Private(limited.endpoint_url)
        private.fault(latency_ms=400, operation="SendEmail")  # every request is in flight for a while
        task = {
            "do": "mail", "key": key, "rate": rate, "endpoint": limited.endpoint_url, "count": 16,
            "connections": 3, "read_timeout": 3.0, "connect_timeout": 1.0, "max_attempts": 1,
        }  # fmt: skip
        victim = spawn({**task, "prefix": "victim", "count": 1000, "progress": True})
        assert victim.stdout is not None
        while json.loads(victim.stdout.readline()).get("progress", 0) < 3:
            pass
        victim.send_signal(signal.SIGKILL)  # with requests in flight
        victim.wait()
        survivors = [spawn({**task, "prefix": f"s{n}"}) for n in range(2)]
        outcomes = [lines(worker)[-1] for worker in survivors]
        sends = private.sends()
    assert [o["statuses"] for o in outcomes] == [{"sent": 16}] * 2
    assert all(s["status"] == 200 for s in sends)
    assert server_max_in_any_second(sends) <= rate


def redis_now(url: str) -> float:
    seconds, micros = redis.Redis.from_url(url).time()
    return float(seconds) + micros / 1e6


def test_a_permit_pushed_to_a_waiter_that_never_reads_it_is_taken_back(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=3)
    filler = limiter.acquire(3)  # in flight: the waiter is blocked until it ends
    stopped = spawn({"do": "acquire", "key": key, "rate": 3, "costs": [3], "lease": 30.0})
    wait_until(lambda: queued(redis_url, key) == 1, "the waiter to queue")
    filler.release()  # the waiter is told to come back in a second, when the window has room ...
    time.sleep(0.3)
    stopped.send_signal(signal.SIGSTOP)  # ... and stops before it does
    try:
        # Its permit (the whole window) is pushed to it when this process looks at the queue, and never
        # read; taken back after WAITER_TTL_S, the room goes to the next one instead of waiting for the
        # 30 s lease.
        mine = limiter.acquire(1)
        mine.release()
    finally:
        stopped.send_signal(signal.SIGCONT)
    late = lines(stopped)[0]  # back, it queues again and is served in its turn
    limiter.close()
    assert mine.started_at < filler.started_at + 20  # not at the end of the unread permit's lease
    assert late["started_at"] > mine.started_at
    starts = [(filler.started_at, 3), (mine.started_at, 1), (late["started_at"], 3)]
    assert max_in_any_second(starts) <= 3


def test_a_permit_read_after_its_lease_ended_is_not_used(redis_url: str, key: str, spawn: Spawn) -> None:
    limiter = RedisLimiter(redis_url, key=key, rate=100)
    other = limiter.acquire(1)  # in flight all along
    window = limiter.acquire(99)  # the window is full
    stopped = spawn({"do": "acquire", "key": key, "rate": 100, "costs": [1], "lease": 2.0})
    wait_until(lambda: queued(redis_url, key) == 1, "the waiter to queue")
    stopped.send_signal(signal.SIGSTOP)  # blocked on its wake list, reading nothing
    try:
        window.release()  # a second later its permit is pushed to it, with a 2 s lease
        limiter.acquire(1).release()  # (served after it: its permit has been given by now)
        time.sleep(3.0)  # the stopped waiter's lease ends
        resumed = redis_now(redis_url)
    finally:
        stopped.send_signal(signal.SIGCONT)
    late = lines(stopped)[0]
    other.release()
    limiter.close()
    assert late["started_at"] >= resumed  # the expired permit was not used: a new one, after it resumed


def test_a_waiter_keeps_its_place_through_a_wait_longer_than_a_heartbeat_timeout(
    redis_url: str, key: str, spawn: Spawn
) -> None:
    # Waiters belong to their process, which shows it is alive every HEARTBEAT_S while they wait.
    limiter = RedisLimiter(redis_url, key=key, rate=1)
    filler = limiter.acquire(1)
    workers = []
    for n in range(2):
        workers.append(spawn({"do": "acquire", "key": key, "rate": 1, "costs": [1]}))
        wait_until(lambda n=n: queued(redis_url, key) == n + 1, f"waiter {n} to queue")
    time.sleep(WAITER_TTL_S + 1.0)  # longer than a silent process keeps its waiters
    alive = redis.Redis.from_url(redis_url).hgetall(f"{{{key}}}:alive")
    now = redis_now(redis_url)
    assert queued(redis_url, key) == 2
    filler.release()
    admitted = [lines(worker)[0] for worker in workers]
    limiter.close()
    assert sum(1 for until in alive.values() if float(until) >= now) >= 2  # both waiting processes
    assert admitted[0]["started_at"] < admitted[1]["started_at"]


# -- the daily quota ------------------------------------------------------------------------------------


def test_the_daily_quota_is_shared_and_refuses_before_sending(key: str, spawn: Spawn) -> None:
    with Emulator(port=0, max_send_rate=1000, max_24h_send=10**9, event_delay_scale=0.0) as ses:
        task = {"do": "mail", "key": key, "rate": 1000, "endpoint": ses.endpoint_url, "daily_quota": 10}
        workers = [spawn({**task, "prefix": f"p{n}", "count": 6}) for n in range(2)]
        outcomes = [lines(worker)[-1] for worker in workers]
        sends = Private(ses.endpoint_url).sends()
    recipients = sum(s["recipients"] for s in sends)
    assert recipients <= 10
    assert recipients >= 8  # the quota was used, not refused from the start
    refused = sum(o["errors"].get("DailyQuotaExceededError", 0) for o in outcomes)
    assert refused == 12 - len(sends)  # each message was either sent or refused before sending


def test_daily_quota_auto_reads_the_accounts_24_hour_quota(redis_url: str, key: str) -> None:
    with Emulator(port=0, max_send_rate=100, max_24h_send=3, event_delay_scale=0.0) as ses:
        with Mailer(
            endpoint_url=ses.endpoint_url, session=session(), redis_url=redis_url, redis_key=key,
            daily_quota="auto",
        ) as mailer:  # fmt: skip
            results = [mailer.send(message(f"r{i}@example.org")) for i in range(5)]
        sends = Private(ses.endpoint_url).sends()
    assert [r.status for r in results] == ["sent"] * 3 + ["failed"] * 2
    assert isinstance(results[3].error, DailyQuotaExceededError)
    assert results[3].attempts == 0
    assert len(sends) == 3  # SES never saw the refused ones


def test_a_send_ses_refused_gives_its_recipients_back_to_the_daily_quota(redis_url: str, key: str) -> None:
    with Emulator(port=0, max_send_rate=100, event_delay_scale=0.0) as ses:
        limiter = RedisLimiter(redis_url, key=key, rate=100, daily_quota=2)
        with Mailer(endpoint_url=ses.endpoint_url, session=session(), limiter=limiter) as mailer:
            refused = mailer.send(message("a@example.org"), ses={"ConfigurationSetName": "missing"})
            sent = [mailer.send(message(f"r{i}@example.org")) for i in range(2)]
        limiter.close()
    assert refused.status == "failed"
    assert [r.status for r in sent] == ["sent", "sent"]


# -- settings and failing closed -------------------------------------------------------------------------


def test_the_mailer_shares_its_rate_under_the_default_key(redis_url: str) -> None:
    with Mailer(endpoint_url="http://127.0.0.1:1", region="eu-west-1", rate=5, redis_url=redis_url) as mailer:
        assert isinstance(mailer.limiter, RedisLimiter)
        assert mailer.limiter.key == default_key("eu-west-1") == "sesflow:eu-west-1:default"


def test_the_environment_variable_gives_the_redis_url(
    redis_url: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESFLOW_REDIS_URL", redis_url)
    with Mailer(endpoint_url="http://127.0.0.1:1", rate=5, redis_key=key) as mailer:
        assert isinstance(mailer.limiter, RedisLimiter)
        assert mailer.limiter.key == key


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://127.0.0.1:1/0", "cannot reach Redis at redis://127.0.0.1:1/0"),
        ("http://127.0.0.1:6379", "redis_url must be a redis://"),
        ("redis://127.0.0.1:port/0", "redis_url"),
        ("redis//127.0.0.1", "redis_url"),
    ],
)
def test_a_bad_or_unreachable_redis_url_is_a_config_error_and_nothing_is_sent(
    url: str, says: str, ses: Private
) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        Mailer(endpoint_url=ses.url, session=session(), rate=5, redis_url=url)
    assert ses.sends() == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2-secret@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
        ("redis://app:hunter2@secret@127.0.0.1:1/0", "redis://app:***@127.0.0.1:1/0"),  # "@" not encoded
        ("rediss://app:hunter2-secret@127.0.0.1:1", "rediss://app:***@127.0.0.1:1"),
    ],
)
def test_a_redis_password_never_appears_in_the_error(url: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RedisLimiter(url, key="k", rate=5)
    text = str(caught.value) + repr(caught.value.__cause__) + repr(caught.value.__context__)
    assert "hunter2" not in text
    assert "secret@" not in text
    assert shown in str(caught.value)
    assert redact_text(f"see {url} there") == f"see {shown} there"  # the connections wing: the same rule


@pytest.mark.parametrize("rate", [0, -3, float("nan"), "fast"])
def test_a_rate_that_is_not_positive_is_refused(redis_url: str, key: str, rate: object) -> None:
    with pytest.raises(ConfigError, match="rate"):
        RedisLimiter(redis_url, key=key, rate=rate)  # type: ignore[arg-type]


def test_when_redis_goes_away_sends_fail_closed(ses: Private) -> None:
    with throwaway_redis() as url:
        limiter = RedisLimiter(url, key="gone", rate=100)
        mailer = Mailer(endpoint_url=ses.url, session=session(), limiter=limiter, max_connections=2)
        assert mailer.send(message("before@example.org")).status == "sent"
        redis.Redis.from_url(url).shutdown(nosave=True)
        time.sleep(0.2)
        after = mailer.send(message("after@example.org"))
        mailer.close()
    assert after.status == "failed"
    assert isinstance(after.error, LimiterUnavailableError)
    assert "cannot reach Redis" in after.error.message
    assert after.attempts == 0
    assert [s["recipients"] for s in ses.sends()] == [1]  # nothing went out without the limiter's word
