"""Several prefork workers share one account rate through Redis: the emulator, enforcing R recipients per
second, throttles none of their sends (four pool processes each limited to R alone would send up to 4R)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from sesflow import Message
from sesflow.celery import queue_message
from tests.celery.conftest import Broker
from tests.emulator_process import EmulatorProcess, emulator_process

RATE = 20
TIMEOUT = 300


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    """An emulator that throttles above RATE recipients in any one-second window."""
    with emulator_process("--max-send-rate", str(RATE), "--max-24h-send", "1000000") as ses:
        yield ses


def test_workers_sharing_the_redis_limiter_are_never_throttled(
    app: Celery, worker_starter: Any, broker: Broker, ses: EmulatorProcess, redis_url: str
) -> None:
    queue = broker.queue("shared-rate")
    shared = {
        "SESFLOW_RATE": str(RATE),
        "SESFLOW_REDIS_URL": redis_url,
        "SESFLOW_REDIS_KEY": f"{broker.prefix}account",
    }
    for _ in range(2):
        worker_starter([queue], concurrency=2, **shared)  # 2 workers x 2 pool processes
    results = [
        queue_message(
            Message(
                from_="shop@example.com",
                to=[f"r{n}-{k}@example.com" for k in range(1 + 2 * (n % 2))],  # 1 and 3 recipients
                subject=f"shared {n}",
                text="x",
            ),
            queue=queue,
        )
        for n in range(60)
    ]
    outcomes = [r.get(timeout=TIMEOUT) for r in results]

    assert [o["status"] for o in outcomes] == ["sent"] * 60
    sends = ses.sends()
    assert sum(s["recipients"] for s in sends) == 120
    assert [s["status"] for s in sends if s["status"] != 200] == []  # not one throttled attempt
    assert len({r.worker for r in results}) == 2
