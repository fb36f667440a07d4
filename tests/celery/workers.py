"""Start and stop real ``celery worker`` processes for the tests (tests/celery and tests/django)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    """One ``celery worker`` process and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Warm shutdown (running tasks finish); killed if it does not stop within 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_worker(
    app: str,
    queues: list[str],
    logs: Path,
    env: dict[str, str],
    *,
    concurrency: int = 2,
    pool: str = "prefork",
) -> Worker:
    """``celery -A APP worker`` on ``queues``, ``env`` added to the environment; returns when it is ready."""
    name = f"w-{uuid.uuid4().hex[:8]}@localhost"
    log = logs / f"{name}.log"
    command = [
        sys.executable, "-m", "celery", "-A", app, "worker", "--pool", pool,
        "--concurrency", str(concurrency), "--queues", ",".join(queues), "--hostname", name,
        "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
        "--logfile", str(log),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    worker = Worker(name, proc, log)
    deadline = time.monotonic() + 90
    while "ready." not in (log.read_text() if log.exists() else ""):
        if proc.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            told = log.read_text() if log.exists() else ""
            raise RuntimeError(f"celery worker {name} did not start:\n{told}")
        time.sleep(0.2)
    return worker
