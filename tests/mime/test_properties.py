"""Point 11: property tests — random Unicode round-trips through compose and Python's parser."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sesflow import Attachment, Message, compose
from tests.mime.conftest import parse

# no surrogates (not encodable) and no CR/LF (refused in headers by design)
HEADER_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=120)
# control characters other than tab are refused in display names (tested in test_bad_input)
NAME_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t"), max_size=120)
PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=120)
BODY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=3000)
LOCALS = st.sampled_from(["ann", "Ann", "bob", "carol", "dave", "ANN"])
DOMAINS = st.sampled_from(["example.com", "Example.com", "bücher.example", "mail.example.org"])
ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", LOCALS, DOMAINS)
BARE_NEWLINE = re.compile(rb"\r(?!\n)|(?<!\r)\n")
SETTINGS = settings(max_examples=60, deadline=None)


def _python_can_read_filename(name: str) -> bool:
    """Python's get_param unquotes a decoded parameter once more, so it can never return a file name
    wrapped in double quotes or angle brackets (whatever the encoding); such names are left out."""
    name = name.strip()
    return name != "" and not (name[0] + name[-1] in ('""', "<>") and len(name) > 1)


def _phrase(name: str) -> str:
    """A display name as a phrase: runs of spaces and tabs are one space."""
    return re.sub(r"[ \t]+", " ", name).strip()


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@SETTINGS
@given(subject=HEADER_TEXT)
def test_any_subject_round_trips(subject: str) -> None:
    msg = parse(compose(Message(from_="a@example.com", to="b@example.org", subject=subject)).raw)
    assert str(msg["subject"]) == subject


@SETTINGS
@given(name=NAME_TEXT, cc_name=NAME_TEXT)
def test_any_display_name_round_trips(name: str, cc_name: str) -> None:
    msg = parse(
        compose(Message(from_=(name, "a@example.com"), to="b@example.org", cc=[(cc_name, "c@x.org")])).raw
    )
    assert msg["from"].addresses[0].display_name == _phrase(name)
    assert msg["cc"].addresses[0].display_name == _phrase(cc_name)


@SETTINGS
@given(filename=PRINTABLE.filter(_python_can_read_filename), content=st.binary(max_size=2000))
def test_any_filename_and_content_round_trip(filename: str, content: bytes) -> None:
    raw = compose(
        Message(
            from_="a@example.com", to="b@example.org", text="x", attachments=[Attachment(filename, content)]
        )
    ).raw
    (part,) = parse(raw).iter_attachments()
    assert part.get_filename() == filename.strip()
    assert part.get_payload(decode=True) == content


@SETTINGS
@given(text=BODY_TEXT, html=BODY_TEXT, encoding=st.sampled_from(["auto", "quoted-printable", "base64"]))
def test_any_body_round_trips_with_crlf_only_and_lines_under_998(text: str, html: str, encoding: str) -> None:
    raw = compose(
        Message(
            from_="a@example.com",
            to="b@example.org",
            subject=text[:50].replace("\r", "").replace("\n", ""),
            text=text,
            html=html,
            text_encoding=encoding,
        )  # type: ignore[arg-type]
    ).raw
    assert not BARE_NEWLINE.search(raw)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = parse(raw)
    assert _lf(msg.get_body(("plain",)).get_content()) == _lf(text)
    assert _lf(msg.get_body(("html",)).get_content()) == _lf(html)


@SETTINGS
@given(to=st.lists(ADDRESS, max_size=6), cc=st.lists(ADDRESS, max_size=6), bcc=st.lists(ADDRESS, max_size=6))
def test_the_envelope_never_holds_a_duplicate(to: list[str], cc: list[str], bcc: list[str]) -> None:
    envelope = compose(Message(from_="a@example.com", to=to, cc=cc, bcc=bcc, text="x")).envelope
    lowered = [address.lower() for address in envelope.to]
    assert len(lowered) == len(set(lowered))
    wanted = {a.lower().replace("bücher", "xn--bcher-kva") for a in to + cc + bcc}
    assert set(lowered) == wanted
