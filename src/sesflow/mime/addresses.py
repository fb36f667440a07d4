"""Addresses: parse what users write (strings, tuples, lists, groups), validate, and format for headers.

Display names are sent as atoms, quoted strings or RFC 2047 encoded words (Unicode). Domains become
punycode (IDNA) when the local part is ASCII; a non-ASCII local part keeps the whole address in UTF-8
(RFC 6532, needs SMTPUTF8). Every refusal is a MessageError naming the field and the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import idna

from sesflow.errors import MessageError
from sesflow.mime.headers import check_no_newline, encoded_word, encoded_words
from sesflow.mime.model import Address, Addresses, Group
from sesflow.mime.refusal import show

__all__ = ["bare_addresses", "format_tokens", "parse_addresses", "parse_one", "to_ascii_domain"]

_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~"
_PHRASE = re.compile(rf"[{_ATEXT}]+(?: [{_ATEXT}]+)*")
# a dot-atom local part; non-ASCII letters allowed (RFC 6531/6532)
_LOCAL = re.compile(rf"[{_ATEXT}\u0080-\U0010ffff]+(?:\.[{_ATEXT}\u0080-\U0010ffff]+)*")
_QUOTED_LOCAL = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\U0010ffff]|\\[\x20-\x7e])*"')
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")
_ULABEL = re.compile(r"[^\x00-\x2c\x2e\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\s]+")
_BLANKS = re.compile(r"[ \t]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_LITERAL = re.compile(r"\[[\x21-\x5a\x5e-\x7e]+\]")


def _refuse(field: str, value: object, why: str = "is not a valid address") -> MessageError:
    return MessageError(
        f"{field}: {show(value)} {why}",
        hint='Write "user@example.com", "Name <user@example.com>" or ("Name", "user@example.com").',
    )


def to_ascii_domain(domain: str) -> str:
    """An internationalised domain in its ASCII (punycode) form: IDNA 2008 with UTS 46 mapping.

    Python's built-in "idna" codec is IDNA 2003, which maps "ß" to "ss" and so names another domain.
    Raises UnicodeError (idna.IDNAError is one) for a name that is not valid.
    """
    return idna.encode(domain, uts46=True).decode("ascii")


def _normalise_address(field: str, address: str, shown: object) -> str:
    """Validate ``local@domain`` and return it with an IDN domain in punycode when the local part is ASCII."""
    if "@" not in address:
        raise _refuse(field, shown)
    local, _, domain = address.rpartition("@")
    if not local or not domain or len(address) > 320:
        raise _refuse(field, shown)
    if not (_LOCAL.fullmatch(local) or _QUOTED_LOCAL.fullmatch(local)):
        raise _refuse(field, shown)
    if _LITERAL.fullmatch(domain):
        return address
    labels = domain.split(".")
    if domain.isascii():
        if not all(_LABEL.fullmatch(label) for label in labels) or len(domain) > 253:
            raise _refuse(field, shown)
        return address
    if not all(_ULABEL.fullmatch(label) for label in labels):
        raise _refuse(field, shown)
    try:
        ascii_domain = to_ascii_domain(domain)
    except UnicodeError:
        raise _refuse(field, shown, "has a domain that is not a valid internationalised name") from None
    if not local.isascii():
        return address  # SMTPUTF8: keep the UTF-8 domain as written
    return f"{local}@{ascii_domain}"


def parse_one(field: str, name: str, address: str, shown: object) -> Address:
    """One validated mailbox from a display name and an address."""
    if not isinstance(name, str) or not isinstance(address, str):
        raise _refuse(field, shown)
    check_no_newline(field, name)
    check_no_newline(field, address)
    if _CONTROL.search(name):
        raise _refuse(field, shown, "has a control character in its display name")
    # a display name is a phrase: runs of spaces and tabs are one space to every parser
    name = _BLANKS.sub(" ", name).strip()
    return Address(address=_normalise_address(field, address.strip(), shown), name=name)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _mailbox_from_text(field: str, text: str) -> Address | None:
    text = text.strip()
    if not text:
        return None
    if "<" in text:
        head, _, rest = text.partition("<")
        address, closed, tail = rest.partition(">")
        if not closed or tail.strip():
            raise _refuse(field, text)
        return parse_one(field, _unquote(head), address, text)
    if any(ch.isspace() for ch in text):
        raise _refuse(field, text)
    return parse_one(field, "", text, text)


def _parse_string(field: str, text: str) -> list[Address | Group]:
    """Split an address list string at top-level commas; handles quotes, <...>, (comments) and groups."""
    check_no_newline(field, text)
    items: list[Address | Group] = []
    members: list[Address] = []
    group: str | None = None
    buf: list[str] = []
    quoted = angle = False
    depth = 0
    escaped = False

    def flush() -> None:
        box = _mailbox_from_text(field, "".join(buf))
        buf.clear()
        if box is not None:
            (members if group is not None else items).append(box)

    for ch in text:
        if escaped:
            buf.append(ch)
            escaped = False
        elif quoted:
            buf.append(ch)
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        elif ch == '"':
            quoted = True
            buf.append(ch)
        elif ch == "(" and not angle:
            depth = 1
        elif ch == "<":
            angle = True
            buf.append(ch)
        elif ch == ">":
            angle = False
            buf.append(ch)
        elif angle:
            buf.append(ch)
        elif ch == ",":
            flush()
        elif ch == ":" and group is None:
            group = _unquote("".join(buf))
            buf.clear()
        elif ch == ";" and group is not None:
            flush()
            items.append(Group(name=group, members=tuple(members)))
            members = []
            group = None
        else:
            buf.append(ch)
    if quoted or angle or depth:
        raise _refuse(field, text, "has an unclosed quote, '<' or '('")
    flush()
    if group is not None:
        items.append(Group(name=group, members=tuple(members)))
    return items


def parse_addresses(field: str, value: Addresses) -> list[Address | Group]:
    """Every mailbox and group of ``value``, validated; group members are validated ``Address`` values."""
    if value is None:
        return []
    if isinstance(value, (str, tuple, Address, Group)):
        value = [value]
    if not isinstance(value, Sequence):
        raise _refuse(field, value, "is not an address or a list of addresses")
    out: list[Address | Group] = []
    for item in value:
        if isinstance(item, str):
            out.extend(_parse_string(field, item))
        elif isinstance(item, tuple):
            if len(item) != 2:
                raise _refuse(field, item, 'is not a ("Name", "address") pair')
            out.append(parse_one(field, item[0], item[1], item))
        elif isinstance(item, Address):
            out.append(parse_one(field, item.name, item.address, item))
        elif isinstance(item, Group):
            check_no_newline(field, item.name)
            flat: list[Address] = []
            for member in parse_addresses(field, list(item.members)):
                if isinstance(member, Group):
                    raise _refuse(field, item, "nests a group in a group")
                flat.append(member)
            out.append(Group(name=item.name.strip(), members=tuple(flat)))
        else:
            raise _refuse(field, item)
    return out


def bare_addresses(items: Iterable[Address | Group]) -> list[str]:
    """The bare addresses of mailboxes and group members, in order."""
    out: list[str] = []
    for item in items:
        if isinstance(item, Group):
            out.extend(member.address for member in item.members if isinstance(member, Address))
        else:
            out.append(item.address)
    return out


def _phrase_tokens(name: str) -> list[str]:
    if _PHRASE.fullmatch(name) and "=?" not in name:
        return name.split(" ")
    if name.isascii() and name.isprintable() and "=?" not in name:
        return ['"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"']
    # One encoded word even past RFC 2047's 75 characters: Python's email parser puts a space between
    # adjacent encoded words of a display name, so a split name would not read back as written.
    single = encoded_word(name)
    return [single] if len(single) <= 600 else encoded_words(name)


def _mailbox_tokens(box: Address) -> list[str]:
    if not box.name:
        return [box.address]
    return [*_phrase_tokens(box.name), f"<{box.address}>"]


def format_tokens(items: Sequence[Address | Group]) -> list[str]:
    """Header tokens for an address list: ``Name <a@b>, c@d, Team: e@f;``."""
    tokens: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, Group):
            part = _phrase_tokens(item.name) if item.name else ['""']
            part[-1] += ":"
            members = [m for m in item.members if isinstance(m, Address)]
            for position, member in enumerate(members):
                member_tokens = _mailbox_tokens(member)
                if position < len(members) - 1:
                    member_tokens[-1] += ","
                part.extend(member_tokens)
            part[-1] += ";"
        else:
            part = _mailbox_tokens(item)
        if index < len(items) - 1:
            part[-1] += ","
        tokens.extend(part)
    return tokens
