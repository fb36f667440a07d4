"""What the streams of one run share of their target while two of them load at once.

The runner loads the message streams, which mostly wait for export jobs, while the other streams run beside
them (``sync.runner``). Both need the target's run lock (``sync.lock``), which belongs to the run, not to a
stream: the first stream that asks for it takes it, the others of the run share it, and the last one to let
it go releases it (for a DuckDB file: the connection of the first, from which the others take cursors; its
closing, DuckDB's last checkpoint, is loading time of the stream that closes it).

dlt's load step creates and alters tables (its own ``_dlt_*`` tables are shared by every pipeline of a
dataset) and drops staging datasets; two of those at once conflict in DuckDB's catalog and race in
PostgreSQL's. ``writing`` lets one stream of the run at a time do them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Held:
    stack: contextlib.ExitStack
    value: Any
    users: int = 0


@dataclass
class Use:
    """A stream's use of a held lock: what taking it gave, whether this stream took it, and the seconds
    this stream spent releasing it (0 unless it was the last to let it go)."""

    value: Any
    first: bool
    release_seconds: float = 0.0


@dataclass
class SharedTarget:
    """The run's hold on its target: ``hold`` the run lock, ``writing`` around dlt's writes."""

    writing: threading.Lock = field(default_factory=threading.Lock)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _held: dict[str, _Held] = field(default_factory=dict)

    @contextlib.contextmanager
    def hold(self, key: str, take: Callable[[], AbstractContextManager[Any]]) -> Iterator[Use]:
        """Hold the lock ``key`` for the block: entered by ``take()`` for the first stream that asks, left
        when the last one lets it go."""
        with self._guard:
            held = self._held.get(key)
            first = held is None
            if held is None:
                stack = contextlib.ExitStack()
                value = stack.enter_context(take())
                held = self._held[key] = _Held(stack, value)
            held.users += 1
        use = Use(held.value, first)
        try:
            yield use
        finally:
            with self._guard:
                held.users -= 1
                if held.users == 0:
                    del self._held[key]
                    started = time.monotonic()
                    held.stack.close()
                    use.release_seconds = time.monotonic() - started


__all__ = ["SharedTarget", "Use"]
