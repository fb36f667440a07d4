"""Point 2: addresses — input forms, encoded display names, quoting, IDN, SMTPUTF8, groups, refusals."""

from __future__ import annotations

import pytest

from sesflow import Message, MessageError, compose
from sesflow.mime import Address, Group
from tests.mime.conftest import header_block, parse


def _to(value: object) -> tuple[bytes, list[tuple[str, str]]]:
    raw = compose(Message(from_="s@example.com", to=value, text="x")).raw  # type: ignore[arg-type]
    msg = parse(raw)
    return raw, [(a.display_name, a.addr_spec) for a in msg["to"].addresses]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@example.com", [("", "a@example.com")]),
        ("Ann <a@example.com>", [("Ann", "a@example.com")]),
        ("<a@example.com>", [("", "a@example.com")]),
        (("Ann", "a@example.com"), [("Ann", "a@example.com")]),
        (Address("a@example.com", "Ann"), [("Ann", "a@example.com")]),
        (["a@example.com", ("Bo", "b@example.com")], [("", "a@example.com"), ("Bo", "b@example.com")]),
        ("a@example.com, Bo <b@example.com>", [("", "a@example.com"), ("Bo", "b@example.com")]),
        ('"Doe, John" <j@example.com>', [("Doe, John", "j@example.com")]),
        ("Ann (the boss) <a@example.com>", [("Ann", "a@example.com")]),
    ],
)
def test_every_input_form_is_accepted(value: object, expected: list[tuple[str, str]]) -> None:
    assert _to(value)[1] == expected


def test_unicode_display_name_is_an_encoded_word() -> None:
    raw, boxes = _to(("Zoë Ångström", "z@example.com"))
    assert "=?UTF-8?B?" in header_block(raw)
    assert header_block(raw).isascii()
    assert boxes == [("Zoë Ångström", "z@example.com")]


@pytest.mark.parametrize("name", ["Doe, John", 'Say "hi"', "back\\slash", "a.b", "x:y;z"])
def test_display_names_with_specials_are_quoted(name: str) -> None:
    raw, boxes = _to((name, "p@example.com"))
    assert '"' in header_block(raw).split("To:", 1)[1].split("\r\n")[0]
    assert boxes == [(name, "p@example.com")]


def test_idn_domain_becomes_punycode_when_local_part_is_ascii() -> None:
    raw = compose(Message(from_="s@example.com", to="info@bücher.example", text="x")).raw
    composed = compose(Message(from_="s@example.com", to="info@bücher.example", text="x"))
    assert "To: info@xn--bcher-kva.example" in header_block(raw)
    assert composed.envelope.to == ("info@xn--bcher-kva.example",)


def test_idn_uses_idna_2008_so_sharp_s_is_kept() -> None:
    composed = compose(Message(from_="s@example.com", to="info@straße.example", text="x"))
    assert composed.envelope.to == ("info@xn--strae-oqa.example",)  # IDNA 2003 would say strasse.example


def test_utf8_local_part_keeps_the_address_in_utf8() -> None:
    composed = compose(Message(from_="s@example.com", to="用户@例子.广告", text="x"))
    assert "To: 用户@例子.广告" in header_block(composed.raw)
    assert composed.envelope.to == ("用户@例子.广告",)


def test_groups_are_written_and_their_members_are_recipients() -> None:
    composed = compose(
        Message(
            from_="s@example.com",
            to=[Group("Team", ("a@example.org", ("Bé", "b@example.org"))), "Empty:;", "Crew: c@example.org;"],
            text="x",
        )
    )
    msg = parse(composed.raw)
    groups = [(g.display_name, [a.addr_spec for a in g.addresses]) for g in msg["to"].groups]
    assert groups == [
        ("Team", ["a@example.org", "b@example.org"]),
        ("Empty", []),
        ("Crew", ["c@example.org"]),
    ]
    assert composed.envelope.to == ("a@example.org", "b@example.org", "c@example.org")


def test_envelope_is_to_cc_bcc_deduplicated_in_order() -> None:
    composed = compose(
        Message(
            from_="s@example.com",
            to=["a@example.org", "b@example.org"],
            cc=["B@example.org", "c@example.org"],
            bcc=["a@example.org", "d@example.org"],
            text="x",
        )
    )
    assert composed.envelope.to == ("a@example.org", "b@example.org", "c@example.org", "d@example.org")
    assert composed.envelope.from_ == "s@example.com"


def test_envelope_from_is_the_sender_when_given() -> None:
    composed = compose(Message(from_="a@example.com", sender="bounce@example.com", to="r@example.org"))
    assert composed.envelope.from_ == "bounce@example.com"


def test_explicit_envelope_overrides_the_computed_one() -> None:
    composed = compose(
        Message(
            from_="a@example.com",
            to="r@example.org",
            envelope={"from": "b@example.com", "to": ["x@example.org"]},
        )
    )
    assert composed.envelope.from_ == "b@example.com"
    assert composed.envelope.to == ("x@example.org",)


@pytest.mark.parametrize(
    "bad",
    [
        "bob@",
        "@example.com",
        "bob",
        "a b@example.com",
        "a@b..com",
        "a@-b.com",
        "a..b@example.com",
        "<a@example.com",
    ],
)
def test_invalid_address_raises_message_error_naming_field_and_value(bad: str) -> None:
    with pytest.raises(MessageError) as error:
        compose(Message(from_="s@example.com", to=bad, text="x"))
    assert str(error.value).startswith("to: ")
    assert repr(bad) in str(error.value)


def test_invalid_cc_names_the_cc_field() -> None:
    with pytest.raises(MessageError, match=r"^cc: 'bob@' is not a valid address"):
        compose(Message(from_="s@example.com", to="a@example.org", cc=["bob@"]))


def test_from_must_be_a_single_address() -> None:
    with pytest.raises(MessageError, match=r"from_: .* must be exactly one address"):
        compose(Message(from_=["a@example.com", "b@example.com"], to="r@example.org"))  # type: ignore[arg-type]


def test_a_message_without_from_is_refused() -> None:
    with pytest.raises(MessageError, match="from_: a sender address is required"):
        compose(Message(to="r@example.org", text="x"))
