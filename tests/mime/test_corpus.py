"""Point 10: a corpus of 49 messages read back by two independent parsers, field by field.

Python's email parser (policy.default) and Node's mailparser must both decode exactly what the Message
asked for: addresses and names, subject, text, html, every part's bytes, file name and content type, cid
links, the calendar method. The mailparser test installs mailparser into tests/.cache/node on first use and
is skipped (with the reason) only when node is not on PATH.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sesflow import Message, compose
from tests.mime.corpus import build_corpus
from tests.mime.readback import expected_view, for_mailparser, mailparser_views, node_available, stdlib_view

Entry = tuple[str, Message, bytes]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    """Every corpus message with its composed bytes."""
    return [(name, m, compose(m).raw) for name, m in build_corpus(tmp_path_factory.mktemp("corpus"))]


def _differences(name: str, expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    return [
        f"{name}: {key}\n  expected {json.dumps(expected[key], ensure_ascii=False)[:300]}"
        f"\n  parsed   {json.dumps(got[key], ensure_ascii=False)[:300]}"
        for key in expected
        if expected[key] != got[key]
    ]


def test_the_corpus_covers_at_least_40_messages_with_unique_names(corpus: list[Entry]) -> None:
    assert len(corpus) >= 40
    assert len({name for name, _, _ in corpus}) == len(corpus)


def test_the_corpus_has_a_zero_byte_and_a_five_megabyte_attachment(corpus: list[Entry]) -> None:
    sizes = {len(a.content) for _, m, _ in corpus for a in m.attachments if isinstance(a.content, bytes)}
    assert 0 in sizes
    assert 5 * 1024 * 1024 in sizes


def test_python_email_parser_reads_back_every_field(corpus: list[Entry]) -> None:
    problems: list[str] = []
    for name, message, raw in corpus:
        problems += _differences(name, expected_view(message), stdlib_view(raw))
    assert not problems, "\n".join(problems)


def test_mailparser_reads_back_every_field(corpus: list[Entry]) -> None:
    if not node_available():
        pytest.skip("node (Node.js) and npm are not on PATH, so mailparser cannot run")
    views = mailparser_views([raw for _, _, raw in corpus])
    assert len(views) == len(corpus)
    problems: list[str] = []
    for (name, message, _), view in zip(corpus, views, strict=True):
        problems += _differences(name, for_mailparser(expected_view(message)), view)
    assert not problems, "\n".join(problems)


def test_every_corpus_message_is_crlf_only_with_lines_under_998(corpus: list[Entry]) -> None:
    for name, _, raw in corpus:
        body = raw.replace(b"\r\n", b"")
        assert b"\r" not in body and b"\n" not in body, name
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998, name
