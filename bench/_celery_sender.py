"""The Celery comparator of ``bench/send_distributed.py``: what a Celery user does today, a task per message
with ``rate_limit`` set to the account's rate (Celery applies it per worker, not across workers).

Configured by the environment: ``BENCH_BROKER`` (the Redis broker URL), ``BENCH_RATE_LIMIT`` (e.g.
``200/s``), ``BENCH_ENDPOINT`` (the emulator), ``BENCH_QUEUE``. Each task composes one message and sends it
once through the worker's own SESTransport, with no limiter of sesflow's and no retry: only Celery paces.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery

app = Celery("bench_sender", broker=os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/15"))
app.conf.update(
    task_default_queue=os.environ.get("BENCH_QUEUE", "bench"),
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=int(os.environ.get("BENCH_PREFETCH", "4")),
)

_lock = threading.Lock()
_transport: Any = None


def _sender() -> Any:
    global _transport
    with _lock:
        if _transport is None:
            import boto3

            from sesflow import SESTransport

            session = boto3.Session(
                aws_access_key_id="AKIDCELERY", aws_secret_access_key="x", region_name="us-east-1"
            )
            _transport = SESTransport(session=session, endpoint_url=os.environ["BENCH_ENDPOINT"])
        return _transport


@app.task(name="send_one", rate_limit=os.environ.get("BENCH_RATE_LIMIT", "200/s"), ignore_result=True)
def send_one(to: list[str], subject: str) -> str:
    """Compose and send one message (one attempt)."""
    from sesflow import Message, compose
    from sesflow.send import RawEmail

    composed = compose(Message(from_="bench@example.com", to=to, subject=subject, text="Hello from Celery."))
    email = RawEmail(raw=composed.raw, from_=composed.envelope.from_, to=tuple(composed.envelope.to))
    return str(_sender().send_raw(email))
