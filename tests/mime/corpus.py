"""The corpus of messages that independent parsers read back (issue 3, point 10).

Each entry is (name, Message). Together they cover every composition rule: tree shapes and nesting,
Unicode in every field, long lines, empty bodies, 0-byte and 5 MB attachments, RFC 2231 file names,
calendar invitations, list headers, priorities, every content source.
"""

from __future__ import annotations

import base64
import random
from pathlib import Path

from sesflow import Attachment, IcalEvent, Message
from sesflow.mime import Address, Group

FROM = ("Sender", "sender@example.com")
TO = [("Rcpt", "rcpt@example.org")]

ICS = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//sesflow//test//EN\nMETHOD:{method}\nBEGIN:VEVENT\n"
    "UID:abc@example.com\nDTSTAMP:20261121T100000Z\nDTSTART:20261201T100000Z\nSUMMARY:Réunion ☕\n"
    "END:VEVENT\nEND:VCALENDAR\n"
)


def _m(**fields: object) -> Message:
    fields.setdefault("from_", FROM)
    fields.setdefault("to", TO)
    return Message(**fields)  # type: ignore[arg-type]


def build_corpus(tmp: Path) -> list[tuple[str, Message]]:
    """The corpus; files it attaches by path are written under ``tmp``."""
    rng = random.Random(7)
    png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(3000)
    gif = b"GIF89a" + rng.randbytes(500)
    pdf = b"%PDF-1.4\n" + rng.randbytes(30_000)
    on_disk = tmp / "report 2026.csv"
    on_disk.write_bytes(b"id,name\r\n1,Zo\xc3\xab\r\n2,Bob\r\n")
    inner = (
        b"From: inner@example.com\r\nTo: x@example.com\r\nSubject: inner message\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"H\xc3\xa9llo inside\r\n"
    )
    long_ascii_line = "x" * 2000
    return [
        ("plain text", _m(subject="Hello", text="Hello there.\n")),
        ("html only", _m(subject="HTML", html="<p>Only <b>html</b></p>")),
        ("text and html", _m(subject="Both", text="Text body", html="<p>Html body</p>")),
        (
            "four alternatives",
            _m(
                subject="All views",
                text="plain",
                watch_html="<b>watch</b>",
                amp="<!doctype html><html ⚡4email><body>amp</body></html>",
                html="<p>html</p>",
            ),
        ),
        (
            "related inline image",
            _m(
                subject="Logo",
                text="see logo",
                html='<p><img src="cid:logo@x"></p>',
                attachments=[Attachment(filename="logo.png", content=png, cid="logo@x")],
            ),
        ),
        (
            "mixed related and attachment",
            _m(
                subject="Invoice",
                html='<img src="cid:a@x"><img src="cid:b@x">',
                attachments=[
                    Attachment(filename="a.png", content=png, cid="a@x"),
                    Attachment(filename="b.gif", content=gif, cid="b@x"),
                    Attachment(filename="invoice.pdf", content=pdf),
                ],
            ),
        ),
        (
            "mixed alternative related",
            _m(
                subject="Nested",
                text="t",
                amp="<html ⚡4email>a</html>",
                html='<img src="cid:logo@x">',
                attachments=[
                    Attachment(filename="logo.png", content=png, cid="logo@x"),
                    Attachment(filename="invoice.pdf", content=pdf),
                ],
            ),
        ),
        (
            "text with attachment",
            _m(subject="Att", text="attached", attachments=[Attachment(filename="a.pdf", content=pdf)]),
        ),
        (
            "attachments only",
            _m(subject="No body", attachments=[Attachment(filename="x.bin", content=b"\x00\x01")]),
        ),
        ("empty text", _m(subject="Empty", text="")),
        ("empty html and subject", _m(subject="", html="")),
        ("no subject", _m(text="no subject at all")),
        ("cjk subject", _m(subject="日本語の件名はとても長いです。" * 6, text="x")),
        ("emoji subject", _m(subject="Launch 🚀🎉 today — 50% off ✨", text="x")),
        ("long ascii subject", _m(subject=" ".join(["word"] * 120), text="x")),
        ("one huge subject word", _m(subject="A" * 1200, text="x")),
        ("encoded-word lookalike subject", _m(subject="=?utf-8?q?not_encoded?= really", text="x")),
        ("tabs and double spaces subject", _m(subject="a\tb  c   d", text="x")),
        (
            "unicode names everywhere",
            _m(
                from_=("Zoë Ångström", "zoe@example.com"),
                to=[("Jürgen Müller", "j@example.org"), ("李小龍", "lee@example.org")],
                cc=[("Ελένη", "eleni@example.gr")],
                reply_to=[("Ольга", "olga@example.ru")],
                subject="Ünïcödé",
                text="x",
            ),
        ),
        (
            "names with specials",
            _m(
                to=[
                    ("Doe, John", "john@example.org"),
                    ('Quote "Q" Person', "q@example.org"),
                    ("a\\b", "ab@x.org"),
                ],
                text="x",
            ),
        ),
        ("idn domain", _m(to=[("Bücher", "info@bücher.example")], text="x")),
        ("utf8 local part", _m(to=[("", "用户@例子.广告")], text="x")),
        (
            "groups",
            _m(
                to=[Group("Team", (("A", "a@example.org"), "b@example.org")), Group("Nobody", ())],
                cc=[Address("c@example.org", "Cé")],
                text="x",
            ),
        ),
        ("fifty recipients", _m(to=[(f"Person {i}", f"p{i}@example.org") for i in range(50)], text="x")),
        ("long ascii line", _m(text=long_ascii_line + "\nshort\n")),
        ("mostly cyrillic text", _m(text="Привет, как дела? " * 200)),
        ("mixed newlines", _m(text="a\r\nb\rc\nd\r\n\r\n")),
        ("trailing spaces and no final newline", _m(text="line with trailing   \n\ttabbed\t\nend  ")),
        ("dots equals and From", _m(text=".\n..\nFrom me\n=3D and =\n" + "é" * 100)),
        ("forced base64", _m(text="ascii body\n", html="<p>x</p>", text_encoding="base64")),
        ("forced quoted-printable", _m(text="ascii body\n" + "y" * 200, text_encoding="quoted-printable")),
        (
            "exact multiple of 57 bytes",
            _m(text="x", attachments=[Attachment(filename="b.bin", content=rng.randbytes(57 * 40))]),
        ),
        ("zero byte attachment", _m(text="x", attachments=[Attachment(filename="empty.txt", content=b"")])),
        (
            "five megabyte attachment",
            _m(
                text="big",
                attachments=[Attachment(filename="big.bin", content=rng.randbytes(5 * 1024 * 1024))],
            ),
        ),
        (
            "long unicode filename",
            _m(text="x", attachments=[Attachment(filename="報告書" * 50 + ".pdf", content=pdf)]),
        ),
        (
            "filename with specials",
            _m(
                text="x",
                attachments=[Attachment(filename='my "quoted"; file, v2 (final).txt', content=b"hi")],
            ),
        ),
        (
            "str content base64 and hex",
            _m(
                text="x",
                attachments=[
                    Attachment(filename="b64.bin", content=base64.b64encode(gif).decode(), encoding="base64"),
                    Attachment(filename="hex.bin", content=gif.hex(), encoding="hex"),
                ],
            ),
        ),
        (
            "data url content",
            _m(
                text="x",
                attachments=[
                    Attachment(
                        filename="dot.png", content="data:image/png;base64," + base64.b64encode(png).decode()
                    )
                ],
            ),
        ),
        ("file path", _m(text="x", attachments=[Attachment(path=str(on_disk))])),
        (
            "message rfc822",
            _m(
                text="forwarded",
                attachments=[
                    Attachment(
                        filename="fwd.eml",
                        content=inner,
                        content_type="message/rfc822",
                        content_disposition="attachment",  # inline (the default) is shown as body text
                    )
                ],
            ),
        ),
        (
            "calendar request",
            _m(
                subject="Invitation",
                text="You are invited",
                html="<p>You are invited</p>",
                ical_event=IcalEvent(method="REQUEST", content=ICS.format(method="REQUEST")),
            ),
        ),
        (
            "calendar cancel with attachment",
            _m(
                subject="Cancelled",
                text="Cancelled",
                ical_event=IcalEvent(
                    method="CANCEL", content=ICS.format(method="CANCEL"), filename="cancel.ics"
                ),
                attachments=[Attachment(filename="agenda.pdf", content=pdf)],
            ),
        ),
        (
            "list headers",
            _m(
                text="news",
                list={
                    "unsubscribe": ["https://example.com/u?id=1", "unsub@example.com"],
                    "one_click": True,
                    "id": {"url": "news.example.com", "comment": "Nouvelles"},
                    "help": "help@example.com",
                },
            ),
        ),
        (
            "priority and custom headers",
            _m(text="x", priority="high", headers={"X-Campaign": "Été 2026", "X-Multi": ["a", "b"]}),
        ),
        (
            "threading",
            _m(
                text="re",
                subject="Re: hi",
                in_reply_to="<a@example.com>",
                references=["<a@example.com>", "b@x.org"],
            ),
        ),
        (
            "markdown alternative",
            _m(
                text="plain",
                html="<p>html</p>",
                alternatives=[Attachment(content="# Title\n\n*md*\n", content_type="text/x-web-markdown")],
            ),
        ),
        (
            "guessed content types",
            _m(
                text="x",
                attachments=[
                    Attachment(filename="table.csv", content=b"a,b\r\n1,2\r\n"),
                    Attachment(filename="notes.txt", content="héllo"),
                ],
            ),
        ),
        (
            "cid image without html",
            _m(text="x", attachments=[Attachment(filename="p.png", content=png, cid="p@x")]),
        ),
        (
            "kitchen sink unicode",
            _m(
                from_=("Ünï Sender", "sender@exämple.com"),
                to=[("Ærøskøbing", "a@example.dk"), Group("Ĝroup", (("Ŝ", "s@example.org"),))],
                cc=[("Çedilla", "c@example.fr")],
                bcc=[("Hidden", "hidden@example.org")],
                reply_to=[("Répondre", "reply@example.fr")],
                subject="Ça va? 😀 " * 10,
                text="Texte accentué\n" * 50 + "x" * 300,
                html="<p>HTML accentué ☃</p>" * 30 + '<img src="cid:snow@x">',
                attachments=[
                    Attachment(filename="bonhomme de neige ☃.png", content=png, cid="snow@x"),
                    Attachment(filename="données.pdf", content=pdf),
                ],
                ical_event=IcalEvent(method="request", content=ICS.format(method="REQUEST")),
                headers={"X-Tëst": "valeur"} if False else {"X-Test": "valeur ünicode"},
                priority="low",
            ),
        ),
    ]
