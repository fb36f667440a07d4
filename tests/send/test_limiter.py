"""GCRALimiter: recipients per second, never more in any one-second window, paced, thread-safe, async too."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Sequence

import boto3
import httpx
import pytest

from sesflow.emulator import Emulator
from sesflow.errors import ConfigError, DailyQuotaExceededError
from sesflow.send import GCRALimiter, RateLimiter, SESTransport
from sesflow.send.limiter import GCRAPermit


def max_in_any_second(starts: Sequence[tuple[float, int]]) -> int:
    """Largest number of recipients whose start falls in one half-open window [t, t + 1)."""
    ordered = sorted(starts)
    best = 0
    for i, (t, _) in enumerate(ordered):
        best = max(best, sum(cost for s, cost in ordered[i:] if s < t + 1.0))
    return best


def run_threads(limiter: GCRALimiter, costs: Sequence[int], threads: int) -> list[tuple[float, int]]:
    starts: list[tuple[float, int]] = []
    lock = threading.Lock()
    todo = list(costs)

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                cost = todo.pop()
            permit = limiter.acquire(cost)
            with lock:
                starts.append((permit.started_at, cost))
            permit.release()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return starts


def test_gcra_limiter_is_a_rate_limiter() -> None:
    assert isinstance(GCRALimiter(5), RateLimiter)


def test_single_recipient_starts_never_exceed_the_rate_in_any_second() -> None:
    starts = run_threads(GCRALimiter(50), [1] * 65, threads=6)
    assert len(starts) == 65
    assert max_in_any_second(starts) <= 50


def test_multi_recipient_messages_count_every_recipient() -> None:
    # 3 recipients at 10/s: at most 3 messages (9 recipients) may start in any second.
    starts = run_threads(GCRALimiter(10), [3] * 7, threads=4)
    assert max_in_any_second(starts) <= 10


def test_starts_are_paced_rather_than_burst() -> None:
    limiter = GCRALimiter(20)
    starts = sorted(t for t, _ in run_threads(limiter, [1] * 10, threads=10))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # One start per 1/20 s, less the small wake-up tolerance: never a burst of simultaneous starts.
    assert min(gaps) >= 1 / 20 - 0.011


def test_a_request_in_flight_holds_its_place_until_one_second_after_it_ends() -> None:
    limiter = GCRALimiter(2)
    first = limiter.acquire(2)
    admitted: list[GCRAPermit] = []
    waiter = threading.Thread(target=lambda: admitted.append(limiter.acquire(1)))
    waiter.start()
    waiter.join(timeout=1.1)
    assert admitted == []  # the window is full as long as the first request has no answer
    ended = time.monotonic()
    first.release()
    waiter.join()
    assert admitted[0].started_at >= ended + 1.0


def test_a_message_larger_than_one_seconds_worth_goes_alone() -> None:
    limiter = GCRALimiter(2)
    limiter.acquire(1).release()
    permit = limiter.acquire(5)
    permit.release()
    assert permit.cost == 5


def test_release_is_idempotent() -> None:
    limiter = GCRALimiter(1)
    permit = limiter.acquire(1)
    permit.release()
    permit.release()
    assert limiter._in_flight == 0


def test_async_face_keeps_the_same_limit() -> None:
    limiter = GCRALimiter(30)

    async def one() -> tuple[float, int]:
        permit = await limiter.aacquire(1)
        await asyncio.sleep(0)
        permit.release()
        return permit.started_at, 1

    async def main() -> list[tuple[float, int]]:
        return list(await asyncio.gather(*(one() for _ in range(50))))

    starts = asyncio.run(main())
    assert max_in_any_second(starts) <= 30


def test_async_and_threads_share_one_limit() -> None:
    limiter = GCRALimiter(25)
    thread_starts: list[tuple[float, int]] = []
    worker = threading.Thread(target=lambda: thread_starts.extend(run_threads(limiter, [1] * 20, threads=3)))
    worker.start()

    async def main() -> list[tuple[float, int]]:
        async def one() -> tuple[float, int]:
            permit = await limiter.aacquire(1)
            permit.release()
            return permit.started_at, 1

        return list(await asyncio.gather(*(one() for _ in range(20))))

    async_starts = asyncio.run(main())
    worker.join()
    assert max_in_any_second(thread_starts + async_starts) <= 25


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan"), "fast"])
def test_rate_must_be_a_positive_number(rate: object) -> None:
    with pytest.raises(ConfigError, match="rate"):
        GCRALimiter(rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("cost", [0, -2])
def test_cost_must_be_positive(cost: int) -> None:
    with pytest.raises(ValueError, match="cost"):
        GCRALimiter(5).acquire(cost)


def test_the_daily_quota_refuses_a_request_beyond_it_before_it_starts() -> None:
    limiter = GCRALimiter(100, daily_quota=5)
    limiter.acquire(3).release()
    limiter.acquire(2).release()
    with pytest.raises(DailyQuotaExceededError, match="5 of 5"):
        limiter.acquire(1)


def test_a_request_ses_did_not_take_gives_its_recipients_back_to_the_daily_quota() -> None:
    limiter = GCRALimiter(100, daily_quota=3)
    limiter.acquire(3).release(sent=False)
    limiter.acquire(3).release()
    with pytest.raises(DailyQuotaExceededError):
        limiter.acquire(1)


def test_auto_reads_the_accounts_rate_and_daily_quota_once() -> None:
    session = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    with Emulator(port=0, max_send_rate=23, max_24h_send=4) as ses:
        account = SESTransport(session=session, endpoint_url=ses.endpoint_url)
        limiter = GCRALimiter("auto", account=account, daily_quota="auto")
        assert limiter.rate == 23
        # From now on SES would fail every GetAccount: the limiter must not ask again.
        fault = {"operation": "GetAccount", "status": 500, "count": 100}
        httpx.post(f"{ses.endpoint_url}/_sesflow/faults", json=fault).raise_for_status()
        assert limiter.daily_quota == 4
        limiter.acquire(4).release()
        account.close()
