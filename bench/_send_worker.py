"""One sending process of ``bench/send_distributed.py``: ``python bench/_send_worker.py JSON``.

``{"limiter": "redis"|"gcra", "endpoint", "rate", "redis_url", "key", "connections", "start_at" (epoch s),
"duration", "index", "connect_timeout", "read_timeout"}``. Builds its Mailer, prints ``{"ready": pid}``,
sleeps until ``start_at``, then sends mixed 1- and 3-recipient messages until ``start_at + duration`` and
prints its counts. ``"gcra"`` is what a user without a shared limiter has: one in-process GCRALimiter at the
full rate in every process, as it was before it learned from throttling (the wrapper drops that lesson).
Either way a wrapper records how long each permit was held (admission to answer), which is what the
one-second window rule costs once per second.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any


class Timed:
    """A RateLimiter in front of another that records how long each permit was held (from admission to the
    answer: the request's round trip as the limiter sees it) and, with ``learn=False``, never passes on a
    throttled answer."""

    def __init__(self, inner: Any, *, learn: bool) -> None:
        self._inner = inner
        self._learn = learn
        self.held: list[float] = []

    @property
    def rate(self) -> float:
        return float(self._inner.rate)

    def acquire(self, cost: int) -> Any:
        return _Permit(self, self._inner.acquire(cost))

    async def aacquire(self, cost: int) -> Any:
        return _Permit(self, await self._inner.aacquire(cost))


class _Permit:
    def __init__(self, owner: Timed, inner: Any) -> None:
        self._owner = owner
        self._inner = inner
        self._start = time.perf_counter()

    def release(self, *, sent: bool = True, throttled: bool = False) -> None:
        self._owner.held.append(time.perf_counter() - self._start)
        if self._owner._learn:
            self._inner.release(sent=sent, throttled=throttled)
        else:
            self._inner.release(sent=sent and not throttled)


def messages(index: int, until: float) -> Iterator[Any]:
    from sesflow import Message

    i = 0
    while time.time() < until:
        yield Message(
            from_="bench@example.com",
            to=[f"w{index}-{i}-{j}@example.org" for j in range(1 if i % 2 == 0 else 3)],
            subject=f"Distributed {i}",
            text="Hello from the distributed benchmark.",
        )
        i += 1


def main(task: dict[str, Any]) -> None:
    import boto3

    from sesflow import GCRALimiter, Mailer, Message, RedisLimiter

    session = boto3.Session(aws_access_key_id="AKIDBENCH", aws_secret_access_key="x", region_name="us-east-1")
    common = {
        "endpoint_url": task["endpoint"],
        "session": session,
        "max_connections": task["connections"],
        "connect_timeout": task.get("connect_timeout", 5.0),
        "read_timeout": task.get("read_timeout", 30.0),
    }
    if task["limiter"] == "redis":
        # What Mailer(rate=R, redis_url=..., redis_key=...) builds, behind the timing wrapper.
        lease = common["connect_timeout"] + common["read_timeout"] + 1.0
        shared = RedisLimiter(task["redis_url"], key=task["key"], rate=task["rate"], lease=lease)
        limiter = Timed(shared, learn=True)
    else:
        limiter = Timed(GCRALimiter(task["rate"]), learn=False)
    mailer = Mailer(limiter=limiter, **common)
    # Warm-up, well before the measured window: one message per connection, so that the window measures
    # steady sending rather than TCP connections being opened (a long-running sender opens them once).
    warmup = [
        Message(from_="bench@example.com", to=[f"warmup-{task['index']}-{i}@example.org"], subject="Warm-up",
                text="Warm-up.")
        for i in range(task["connections"])
    ]  # fmt: skip
    for _ in mailer.send_many(warmup):
        pass
    limiter.held.clear()
    print(json.dumps({"ready": task["index"]}), flush=True)
    time.sleep(max(0.0, task["start_at"] - time.time()))
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    with mailer:
        for result in mailer.send_many(messages(task["index"], task["start_at"] + task["duration"])):
            statuses[result.status] += 1
            if result.error is not None:
                errors[type(result.error).__name__] += 1
    held = sorted(limiter.held) or [0.0]
    print(
        json.dumps(
            {
                "statuses": statuses,
                "errors": errors,
                "held_ms_mean": 1000 * sum(held) / len(held),
                "held_ms_p90": 1000 * held[int(0.9 * (len(held) - 1))],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
