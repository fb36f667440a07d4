"""Fixtures: the emulator in its own process, real ``celery worker`` processes (prefork) on the Redis broker,
and the Celery app the tests queue with. Every Redis key of a run starts with a prefix of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from celery import Celery

from tests.celery.app import make_app
from tests.celery.workers import Worker, start_worker
from tests.emulator_process import EmulatorProcess, emulator_process

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDCELERYTEST", "AWS_SECRET_ACCESS_KEY": "celery-test-secret"}


@dataclass
class Broker:
    """The Redis broker of this test module: its URL and the key prefix of this run."""

    url: str
    prefix: str

    def queue(self, name: str) -> str:
        """A queue name no other test run uses."""
        return f"{self.prefix}{name}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with emulator_process("--max-send-rate", "1000", "--max-24h-send", "1000000") as ses:
        yield ses


@pytest.fixture
def ses(emulator: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator with no messages, sends or faults left from another test."""
    emulator.reset()
    return emulator


@pytest.fixture(scope="module")
def broker(redis_url: str, redis_prefix: str) -> Broker:
    return Broker(redis_url, f"{redis_prefix}celery:{uuid.uuid4().hex[:8]}:")


@pytest.fixture(scope="module")
def app(broker: Broker) -> Celery:
    """The app the tests queue tasks with (the workers build the same one from the environment)."""
    made = make_app(broker.url, broker.prefix)
    made.set_current()  # sesflow's task is a shared task: it queues through the current app
    return made


@pytest.fixture(scope="module")
def worker_starter(
    broker: Broker, emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Worker]]:
    """Start ``celery worker`` processes (prefork unless told); all are stopped when the module ends."""
    started: list[Worker] = []
    logs = tmp_path_factory.mktemp("celery-logs")

    def start(queues: list[str], *, concurrency: int = 2, pool: str = "prefork", **env: str) -> Worker:
        environ = {
            **CREDENTIALS,
            "SESFLOW_TEST_BROKER": broker.url,
            "SESFLOW_TEST_PREFIX": broker.prefix,
            "SESFLOW_TEST_ENDPOINT": emulator.url,
            **env,
        }
        worker = start_worker("tests.celery.app", queues, logs, environ, concurrency=concurrency, pool=pool)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
