"""Fixtures: the emulator in its own process, real ``celery worker`` processes (prefork) on the Redis broker,
and the Celery app the tests queue with. Every Redis key of a run starts with a prefix of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery

from tests.celery.app import make_app
from tests.emulator_process import EmulatorProcess, emulator_process

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDCELERYTEST", "AWS_SECRET_ACCESS_KEY": "celery-test-secret"}


@dataclass
class Broker:
    """The Redis broker of this test module: its URL and the key prefix of this run."""

    url: str
    prefix: str

    def queue(self, name: str) -> str:
        """A queue name no other test run uses."""
        return f"{self.prefix}{name}"


@dataclass
class Worker:
    """One ``celery worker`` process."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish running tasks
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


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
def start_worker(
    broker: Broker, emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Worker]]:
    """Start ``celery worker`` processes (prefork unless told); all are stopped when the module ends."""
    started: list[Worker] = []
    logs = tmp_path_factory.mktemp("celery-logs")

    def start(queues: list[str], *, concurrency: int = 2, pool: str = "prefork", **env: str) -> Worker:
        name = f"w{len(started) + 1}-{uuid.uuid4().hex[:6]}@localhost"
        log = logs / f"{name}.log"
        environ = {
            **os.environ,
            **CREDENTIALS,
            "SESFLOW_TEST_BROKER": broker.url,
            "SESFLOW_TEST_PREFIX": broker.prefix,
            "SESFLOW_TEST_ENDPOINT": emulator.url,
            **env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "tests.celery.app", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "--queues", ",".join(queues), "--hostname", name,
            "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
            "--logfile", str(log),
        ]  # fmt: skip
        proc = subprocess.Popen(command, cwd=ROOT, env=environ, start_new_session=True)
        worker = Worker(name, proc, log)
        started.append(worker)
        deadline = time.monotonic() + 90
        while "ready." not in (log.read_text() if log.exists() else ""):
            if proc.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                told = log.read_text() if log.exists() else ""
                raise RuntimeError(f"celery worker {name} did not start:\n{told}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in started:
        worker.stop()
