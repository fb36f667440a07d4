"""A separate process sharing a RedisLimiter, for the tests that need several real processes.

``python -m tests.send.limiter_worker JSON`` where JSON says what to do:

- ``{"do": "acquire", "url", "key", "rate", "costs": [..], "threads": N, "hold": seconds}``: acquire a permit
  for each cost (N threads), hold it, release it; print one JSON line per permit (ticket, started_at, cost).
- ``{"do": "hold", "url", "key", "rate", "cost", "lease"}``: acquire one permit, print it, then sleep until
  killed (a process that dies mid-request).
- ``{"do": "mail", "url", "key", "rate", "endpoint", "prefix", "count", "connections", ...}``: send ``count``
  messages (1 and 3 recipients, alternating) through a Mailer sharing the limiter; print the statuses.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from typing import Any


def acquire(task: dict[str, Any]) -> None:
    from sesflow.send import RedisLimiter

    limiter = RedisLimiter(task["url"], key=task["key"], rate=task["rate"], lease=task.get("lease", 36.0))
    todo = list(task["costs"])
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo:
                    return
                cost = todo.pop(0)
            permit = limiter.acquire(cost)
            time.sleep(task.get("hold", 0.0))
            permit.release()
            line = {"ticket": permit.ticket, "started_at": permit.started_at, "cost": cost}
            with lock:
                print(json.dumps(line), flush=True)

    threads = [threading.Thread(target=work) for _ in range(task.get("threads", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hold(task: dict[str, Any]) -> None:
    from sesflow.send import RedisLimiter

    limiter = RedisLimiter(task["url"], key=task["key"], rate=task["rate"], lease=task["lease"])
    permit = limiter.acquire(task["cost"])
    print(json.dumps({"ticket": permit.ticket, "started_at": permit.started_at}), flush=True)
    time.sleep(3600)


def mail(task: dict[str, Any]) -> None:
    import boto3

    from sesflow import Mailer, Message, RetryPolicy

    session = boto3.Session(
        aws_access_key_id="AKIDWORKER", aws_secret_access_key="x", region_name="us-east-1"
    )
    prefix, count = task["prefix"], task["count"]
    messages = (
        Message(
            from_="shop@example.com",
            to=[f"{prefix}-{i}-{j}@example.org" for j in range(1 if i % 2 == 0 else 3)],
            subject="Shared rate",
            text="Hello.",
        )
        for i in range(count)
    )
    retry = RetryPolicy(max_attempts=task.get("max_attempts", 8))
    with Mailer(
        endpoint_url=task["endpoint"],
        session=session,
        rate=task["rate"],
        redis_url=task["url"],
        redis_key=task["key"],
        daily_quota=task.get("daily_quota"),
        max_connections=task.get("connections", 4),
        read_timeout=task.get("read_timeout", 30.0),
        connect_timeout=task.get("connect_timeout", 5.0),
        retry=retry,
    ) as mailer:
        statuses: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for result in mailer.send_many(messages):
            statuses[result.status] += 1
            if result.error is not None:
                errors[type(result.error).__name__] += 1
            if task.get("progress"):
                print(json.dumps({"progress": sum(statuses.values())}), flush=True)
    print(json.dumps({"statuses": statuses, "errors": errors}), flush=True)


if __name__ == "__main__":
    job = json.loads(sys.argv[1])
    {"acquire": acquire, "hold": hold, "mail": mail}[job["do"]](job)
