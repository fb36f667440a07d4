"""The SES emulator in a process of its own (``sesflow emulator``), and its test hooks over HTTP.

Tests that run other processes against the emulator (Celery workers, a core-only interpreter) use this
rather than the in-thread ``Emulator``, so the emulator shares nothing with the code under test.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.services import free_port


class EmulatorProcess:
    """A running ``sesflow emulator`` process: its URL and the ``/_sesflow/*`` hooks."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.proc = proc

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One request to a ``/_sesflow`` hook; the JSON answer."""
        answer = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json() if "json" in answer.headers.get("content-type", "") else answer.content

    def sends(self) -> list[dict[str, Any]]:
        """Every SendEmail / SendRawEmail attempt the emulator logged (accepted or refused), oldest first."""
        found = self.call("GET", "/_sesflow/sends?since=0")["sends"]
        return [s for s in found if s["operation"] in ("SendEmail", "SendRawEmail")]

    def messages(self, recipient: str = "") -> list[dict[str, Any]]:
        """The messages the emulator accepted, newest first."""
        return list(self.call("GET", f"/_sesflow/messages?recipient={recipient}&limit=1000")["messages"])

    def raw(self, message_id: str) -> bytes:
        """The bytes of one accepted message."""
        data: bytes = self.call("GET", f"/_sesflow/messages/{message_id}/raw")
        return data

    def parsed(self, message_id: str) -> email.message.EmailMessage:
        """One accepted message, parsed by the standard library."""
        parsed = email.message_from_bytes(self.raw(message_id), policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    def fault(self, **body: Any) -> None:
        """Inject a fault (``POST /_sesflow/faults``)."""
        self.call("POST", "/_sesflow/faults", body)

    def reset(self) -> None:
        """Forget messages, sends and faults."""
        self.call("DELETE", "/_sesflow/faults")
        self.call("DELETE", "/_sesflow/messages")


@contextlib.contextmanager
def emulator_process(*flags: str) -> Iterator[EmulatorProcess]:
    """Start ``sesflow emulator`` on a free port with ``flags``; stop it at the end."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sesflow",
            "emulator",
            "--port",
            str(port),
            "--event-delay-scale",
            "0",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/_sesflow/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                    raise RuntimeError(f"sesflow emulator did not start on port {port}: {err}") from None
                time.sleep(0.1)
        yield EmulatorProcess(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
