"""The Celery app of the Celery tests, for the ``celery worker`` processes and for the test that queues.

``celery -A tests.celery.app worker ...`` builds it from the ``SESFLOW_TEST_*`` environment variables the
fixtures set (broker URL, key prefix, emulator URL); the tests build theirs with ``make_app``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_init

from sesflow import Message
from sesflow.celery import worker_settings
from sesflow.process_mailer import process_mailer


def make_app(broker: str, prefix: str, **conf: Any) -> Celery:
    """A Celery app on the Redis ``broker`` whose keys all start with ``prefix``, with the sesflow task."""
    app = Celery("sesflow-tests", broker=broker, backend=broker, include=["sesflow.celery"])
    app.conf.update(
        broker_transport_options={"global_keyprefix": prefix},
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_extended=True,
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        **conf,
    )
    return app


def _worker_app() -> Celery | None:
    broker = os.environ.get("SESFLOW_TEST_BROKER")
    if broker is None:
        return None
    conf: dict[str, Any] = {"sesflow_region": "us-east-1", "sesflow_max_attempts": 2}
    endpoint = os.environ.get("SESFLOW_TEST_ENDPOINT")
    if endpoint:
        conf["sesflow_endpoint_url"] = endpoint
    return make_app(broker, os.environ["SESFLOW_TEST_PREFIX"], **conf)


app = _worker_app()

if app is not None and os.environ.get("SESFLOW_TEST_WARM_PARENT"):
    marker = Path(os.environ["SESFLOW_TEST_WARM_PARENT"])

    @worker_init.connect
    def _warm_in_parent(**_: Any) -> None:
        # What an eager user might do: use the Mailer in the worker's main process before the pool forks,
        # so it has sending threads and open connections there.
        assert app is not None
        result = process_mailer(worker_settings(app)).send(
            Message(from_="shop@example.com", to="warm-up@example.com", subject="warm-up", text="x")
        )
        marker.write_text(f"{os.getpid()} {result.status}")
