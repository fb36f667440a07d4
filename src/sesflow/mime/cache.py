"""The encoded-body cache: identical attachment content is base64-encoded once, then reused.

A campaign attaching the same PDF to 100,000 messages encodes it once. Entries are keyed by the content
itself (its hash and length, confirmed by identity or equality, so a hash collision can never swap
content) or, for files, by path, size, inode and modification time. The cache is an LRU bounded by the
bytes it holds (source + encoded), so memory stays bounded whatever a campaign attaches. Thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["DEFAULT_CACHE", "CacheStats", "EncodedCache"]


@dataclass(frozen=True)
class CacheStats:
    """Counters of an ``EncodedCache``: lookups answered, encodings done, entries and bytes held."""

    hits: int
    misses: int
    entries: int
    size: int


class EncodedCache:
    """LRU cache of encoded bodies bounded by ``max_bytes``; content under ``min_size`` is not cached."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, min_size: int = 2048) -> None:
        self.max_bytes = max_bytes
        self.min_size = min_size
        self._entries: OrderedDict[Hashable, tuple[bytes | None, bytes]] = OrderedDict()
        self._size = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def for_content(self, kind: str, data: bytes, encode: Callable[[bytes], bytes]) -> bytes:
        """``encode(data)``, reused when the same bytes were encoded the same way (``kind``) before."""
        if len(data) < self.min_size:
            return encode(data)
        key = (kind, hash(data), len(data))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry[0] is data or entry[0] == data):
                self._entries.move_to_end(key)
                self._hits += 1
                return entry[1]
        encoded = encode(data)
        self._store(key, data, encoded)
        return encoded

    def for_key(self, key: Hashable, load: Callable[[], bytes], encode: Callable[[bytes], bytes]) -> bytes:
        """The encoded body stored under ``key`` (e.g. a file's identity), else ``encode(load())``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry[1]
        data = load()
        if len(data) < self.min_size:
            return encode(data)
        encoded = encode(data)
        self._store(key, None, encoded)
        return encoded

    def _store(self, key: Hashable, source: bytes | None, encoded: bytes) -> None:
        cost = len(encoded) + (len(source) if source is not None else 0)
        with self._lock:
            self._misses += 1
            if cost > self.max_bytes:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[1]) + (len(old[0]) if old[0] is not None else 0)
            self._entries[key] = (source, encoded)
            self._size += cost
            while self._size > self.max_bytes:
                _, (src, enc) = self._entries.popitem(last=False)
                self._size -= len(enc) + (len(src) if src is not None else 0)

    def stats(self) -> CacheStats:
        """Current counters."""
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self._size)

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._size = self._hits = self._misses = 0


DEFAULT_CACHE = EncodedCache()
"""The process-wide cache ``compose`` uses unless given another (or ``cache=None``)."""
