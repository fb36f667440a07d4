"""Point 10: a corpus of 49 messages read back by two independent parsers, field by field.

Python's email parser (policy.default) and Node's mailparser must both decode exactly what the Message
asked for: addresses and names, subject, text, html, every part's bytes, file name and content type, cid
links, the calendar method. The mailparser test installs mailparser into tests/.cache/node on first use and
is skipped (with the reason) only when node is not on PATH.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from sesflow import Attachment, Message, compose
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


def _random_text(rng: random.Random, size: int, newlines: bool) -> str:
    """Random text drawn from ASCII, Latin, Greek, CJK, emoji and (optionally) every newline style."""
    pools = ["abc xyz 123 =.?_-", "éüßøÅÇ", "αβγΩ", "日本語中文", "🚀😀✨", "\t "]
    if newlines:
        pools.append("\r\n\r\n")
    return "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, size)))


def test_random_messages_read_back_the_same_in_both_parsers() -> None:
    rng = random.Random(20261121)
    messages = [
        Message(
            from_=(_random_text(rng, 40, False), "a@example.com"),
            to=[(_random_text(rng, 40, False), "b@example.org")],
            subject=_random_text(rng, 120, False),
            text=_random_text(rng, 2000, True) or "x",
            html=_random_text(rng, 2000, True) or "x",
            attachments=[
                Attachment(_random_text(rng, 60, False).strip() + ".bin", rng.randbytes(rng.randint(0, 500)))
            ],
            text_encoding=rng.choice(["auto", "quoted-printable", "base64"]),
        )
        for _ in range(60)
    ]
    raws = [compose(m).raw for m in messages]
    expected = [expected_view(m) for m in messages]
    for view in expected:  # display names are phrases; file names lose surrounding blanks
        for key in ("from", "to"):
            view[key] = [[re.sub(r"[ \t]+", " ", name).strip(), address] for name, address in view[key]]
        for part in view["parts"]:
            part["filename"] = part["filename"].strip()
    problems: list[str] = []
    for index, (raw, view) in enumerate(zip(raws, expected, strict=True)):
        problems += _differences(f"random #{index} (stdlib)", view, stdlib_view(raw))
    if node_available():
        for index, got in enumerate(mailparser_views(raws)):
            problems += _differences(f"random #{index} (mailparser)", for_mailparser(expected[index]), got)
    assert not problems, "\n".join(problems)
