"""Keeping a long sync's memory flat: where the Arrow buffers come from, and giving freed memory back.

A sync parses export files into Arrow in worker threads while dlt writes, normalises and loads the previous
batch in the main thread. pyarrow's default pool (mimalloc) keeps the pages freed by another thread in that
thread's heap, and glibc keeps freed blocks in per-thread arenas; both look like growth to the operating
system although nothing is in use. During a sync the Arrow buffers come from the system allocator, and
after each batch the unused memory is handed back (measured on a 5-day sync at 3 concurrent jobs: peak RSS
576 MB -> 512 MB).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - glibc only (musl has none)
    except (OSError, AttributeError):
        return None
    return libc


@contextlib.contextmanager
def system_arrow_pool() -> Iterator[None]:
    """Within the block, new Arrow buffers come from the system allocator (buffers keep their own pool)."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def release_memory() -> None:
    """Hand memory freed since the last call back to the operating system, where the platform allows."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
