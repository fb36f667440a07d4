"""A process's sign of life for ``RedisLimiter``: one heartbeat per process, not one per waiter.

Waiters queue in Redis under their process's id. Other processes take a waiter for dead once its process has
not shown itself alive for ``WAITER_TTL_S`` (``kill -9``: its waiters then lose their place). A process shows
it is alive with any limiter call at most every ``HEARTBEAT_S`` (the call carries the flag ``beat``), and
while it has waiters and makes no calls, a daemon thread makes one call every ``HEARTBEAT_S``. So waiting
costs one call per process per ``HEARTBEAT_S``, whatever the number of waiting threads, and the waiters
themselves block on their wake lists.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable

HEARTBEAT_S = 0.5
"""A process with waiters shows it is alive this often."""

WAITER_TTL_S = 3.0
"""A process silent this long is taken for dead: its waiters lose their place, and a permit pushed to one of
them and not read by then is taken back."""


class Liveness:
    """The id under which this process's waiters queue, when it must show itself alive, and the heartbeat
    thread that does so while it has waiters. ``beat()`` makes one call to Redis (the limiter's ``beat``)."""

    def __init__(self, beat: Callable[[], None]) -> None:
        self._beat = beat
        self._lock = threading.Lock()
        self._pid = -1
        self._id = ""
        self._last = -1e9  # monotonic time of the last call that carried the heartbeat
        self._waiting = 0
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    @property
    def process(self) -> str:
        """This process's id in the queue (a new one after a fork: the child is another process)."""
        pid = os.getpid()
        if pid != self._pid:
            with self._lock:
                if pid != self._pid:
                    self._id, self._pid = f"{pid}-{uuid.uuid4().hex[:12]}", pid
                    self._last, self._thread = -1e9, None
        return self._id

    def due(self, force: bool = False) -> str:
        """Whether the next call must carry the heartbeat: "1" when due (or ``force``; it then counts as
        carried), else "0"."""
        now = time.monotonic()
        if now - self._last < HEARTBEAT_S and not force:
            return "0"
        self._last = now
        return "1"

    def missed(self) -> None:
        """The call that carried the heartbeat failed: the next call carries it again."""
        self._last = -1e9

    def waiting(self) -> None:
        """A waiter of this process starts to wait: keep the process alive until it stops."""
        self.process  # noqa: B018 -- a fork starts anew
        with self._lock:
            self._waiting += 1
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._run, name="sesflow-redis-heartbeat", daemon=True)
                self._thread.start()

    def done(self) -> None:
        """A waiter of this process stops waiting."""
        with self._lock:
            self._waiting -= 1

    def close(self) -> None:
        """Stop the heartbeat thread."""
        self._closed.set()

    def _run(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                if self._waiting <= 0:
                    self._thread = None
                    return
            wait = HEARTBEAT_S - (time.monotonic() - self._last)
            if wait > 0:
                self._closed.wait(wait)
                continue
            try:
                self._beat()
            except Exception:  # Redis away: the waiters' own calls report it
                self._closed.wait(HEARTBEAT_S)
        with self._lock:
            self._thread = None


__all__ = ["HEARTBEAT_S", "WAITER_TTL_S", "Liveness"]
