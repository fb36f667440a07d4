"""Point 9: identical attachment content is encoded once; the cache stays within its byte bound."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sesflow import Attachment, Message, compose
from sesflow.mime import EncodedCache
from tests.mime.conftest import parse

PDF = random.Random(1).randbytes(300_000)


def _campaign_message(i: int, attachment: Attachment) -> Message:
    return Message(from_="s@example.com", to=f"r{i}@example.org", subject=f"#{i}", attachments=[attachment])


def test_the_same_content_is_encoded_once_across_many_messages() -> None:
    cache = EncodedCache()
    attachment = Attachment(filename="terms.pdf", content=PDF)
    raws = [compose(_campaign_message(i, attachment), cache=cache).raw for i in range(300)]
    stats = cache.stats()
    assert (stats.misses, stats.hits) == (1, 299)
    assert parse(raws[-1]).get_payload()[0].get_content() == PDF


def test_equal_bytes_in_different_objects_share_one_entry() -> None:
    cache = EncodedCache()
    for i in range(20):
        compose(
            _campaign_message(i, Attachment(filename="t.pdf", content=bytes(bytearray(PDF)))), cache=cache
        )
    assert cache.stats().misses == 1


def test_a_file_is_read_and_encoded_once_until_it_changes(tmp_path: Path) -> None:
    cache = EncodedCache()
    path = tmp_path / "brochure.pdf"
    path.write_bytes(PDF)
    for i in range(10):
        compose(_campaign_message(i, Attachment(path=str(path))), cache=cache)
    assert cache.stats().misses == 1
    path.write_bytes(PDF[::-1] + b"changed")
    raw = compose(_campaign_message(99, Attachment(path=str(path))), cache=cache).raw
    assert cache.stats().misses == 2
    assert parse(raw).get_payload()[0].get_content() == PDF[::-1] + b"changed"


def test_memory_stays_within_max_bytes() -> None:
    cache = EncodedCache(max_bytes=2_000_000)
    rng = random.Random(2)
    for i in range(40):
        compose(
            _campaign_message(i, Attachment(filename="x.bin", content=rng.randbytes(100_000))), cache=cache
        )
        assert cache.stats().size <= 2_000_000
    assert 0 < cache.stats().entries < 40


def test_content_larger_than_the_cache_is_encoded_without_being_kept() -> None:
    cache = EncodedCache(max_bytes=100_000)
    compose(_campaign_message(0, Attachment(filename="big.bin", content=PDF)), cache=cache)
    assert cache.stats().entries == 0


def test_compose_without_a_cache_gives_the_same_bytes_for_the_attachment() -> None:
    message = _campaign_message(0, Attachment(filename="t.pdf", content=PDF))
    cached = parse(compose(message, cache=EncodedCache()).raw).get_payload()[0].get_payload()
    uncached = parse(compose(message, cache=None).raw).get_payload()[0].get_payload()
    assert cached == uncached


def test_compose_is_thread_safe_with_a_shared_cache() -> None:
    cache = EncodedCache()
    attachment = Attachment(filename="terms.pdf", content=PDF)
    with ThreadPoolExecutor(max_workers=8) as pool:
        raws = list(
            pool.map(lambda i: compose(_campaign_message(i, attachment), cache=cache).raw, range(200))
        )
    for i, raw in enumerate(raws):
        msg = parse(raw)
        assert msg["to"] == f"r{i}@example.org"
        assert msg.get_payload()[0].get_content() == PDF
    assert cache.stats().hits + cache.stats().misses == 200
