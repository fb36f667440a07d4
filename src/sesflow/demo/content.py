"""What the demo sends: a logo, a PDF and a calendar invitation drawn in code, and a realistic campaign batch
to ordinary recipients and the SES mailbox simulator."""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sesflow.mime import Message

SITE = "shop.example"


# --- assets, drawn in code so the demo needs no files -------------------------------------------------


def logo_png(width: int = 120, height: int = 40) -> bytes:
    """A small valid PNG: a blue badge with a lighter stripe, for the inline ``cid:`` logo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            stripe = 12 <= y < 28 and 10 <= x < 10 + (y - 12) * 6
            rows += bytes((110, 170, 250)) if stripe else bytes((37, 99, 235))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def simple_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page valid PDF (Helvetica text) with a correct cross-reference table."""

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = [f"BT /F1 20 Tf 72 770 Td ({text(title)}) Tj ET"]
    ops += [f"BT /F1 12 Tf 72 {740 - 18 * i} Td ({text(line)}) Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def invitation_ics(uid: str, attendee: str, start: dt.datetime) -> str:
    """An iCalendar METHOD:REQUEST for a one-hour webinar."""
    stamp = "%Y%m%dT%H%M%SZ"
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//sesflow//demo//EN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{dt.datetime.now(dt.UTC).strftime(stamp)}",
            f"DTSTART:{start.strftime(stamp)}",
            f"DTEND:{(start + dt.timedelta(hours=1)).strftime(stamp)}",
            "SUMMARY:Shipping faster with Shop Example (webinar)",
            f"ORGANIZER;CN=Shop Example Events:mailto:events@{SITE}",
            f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{attendee}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


# --- the batch ----------------------------------------------------------------------------------------

FIRST = ["ada", "grace", "alan", "edsger", "barbara", "donald", "margaret", "ken", "radia", "linus", "sofia",
         "yuki", "amara", "mateo", "chen", "priya", "olga", "kwame", "lea", "ivan"]  # fmt: skip
LAST = ["lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "hamilton", "thompson", "perlman",
        "torvalds", "garcia", "tanaka", "okafor", "rossi", "wang", "sharma", "petrova", "mensah"]  # fmt: skip
DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
           "aol.com", "comcast.net", "example.com"]  # fmt: skip
# Mailbox simulator share of the batch, by mailbox (the rest are ordinary addresses).
SIMULATOR = (
    ("bounce", 0.05),
    ("complaint", 0.02),
    ("ooto", 0.02),
    ("suppressionlist", 0.02),
    ("success", 0.04),
)


@dataclass(frozen=True)
class Campaign:
    """One campaign of the batch: who sends it, what it says, and its tag."""

    tag: str
    sender: str
    subject: str
    attachment: str
    invitation: bool = False


CAMPAIGNS = (
    Campaign(
        "welcome", f"Shop Example <hello@{SITE}>", "Welcome to Shop Example, {name}!", "getting-started.pdf"
    ),
    Campaign(
        "newsletter-2026-11",
        f"Shop Example News <news@{SITE}>",
        "November news: 5 things we shipped",
        "november-catalog.pdf",
    ),
    Campaign("receipt", f"Shop Example Billing <billing@{SITE}>", "Your receipt #{number}", "receipt.pdf"),
    Campaign(
        "webinar",
        f"Shop Example Events <events@{SITE}>",
        "Invitation: Shipping faster (webinar)",
        "agenda.pdf",
        invitation=True,
    ),
)


def recipient(rng: random.Random) -> str:
    """An ordinary address, or (about 15% of the time) a mailbox simulator address with a +label."""
    roll = rng.random()
    for box, share in SIMULATOR:
        if roll < share:
            # A few labels per mailbox: the same bad addresses come back, as they do in real lists.
            return f"{box}+customer{rng.randrange(12)}@simulator.amazonses.com"
        roll -= share
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randrange(100)}@{rng.choice(DOMAINS)}"


def _html(campaign: Campaign, name: str, link: str) -> str:
    return f"""<!DOCTYPE html><html><body style="font-family:Arial,sans-serif;color:#111">
<p><img src="cid:logo@{SITE}" alt="Shop Example" width="120" height="40"></p>
<h1 style="font-size:20px">Hello {name},</h1>
<p>This is the <b>{campaign.tag}</b> mail of the sesflow demo. The attached PDF has the details.</p>
<p><a href="{link}">Open your account</a></p>
<p style="color:#666;font-size:12px">You get this because you signed up at {SITE}.
<a href="https://{SITE}/unsubscribe">Unsubscribe</a></p></body></html>"""


def demo_messages(count: int, *, seed: int = 2026) -> Iterator[Message]:
    """``count`` messages spread over the campaigns, built lazily (the Mailer keeps only a few in hand)."""
    from sesflow.mime import Attachment, IcalEvent, Message

    rng = random.Random(seed)
    logo = logo_png()
    pdfs = {c.tag: simple_pdf(f"Shop Example: {c.tag}", ["Thank you for reading.", SITE]) for c in CAMPAIGNS}
    webinar_at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    for number in range(count):
        campaign = CAMPAIGNS[number % len(CAMPAIGNS)]
        to = recipient(rng)
        name = to.split("@")[0].split(".")[0].split("+")[0].title()
        link = f"https://{SITE}/account?u={number}&utm_campaign={campaign.tag}"
        pdf = pdfs[campaign.tag]
        if campaign.tag == "receipt":  # receipts differ per customer; the other PDFs are shared
            pdf = simple_pdf(f"Receipt #{10_000 + number}", [f"Customer: {to}", "Total: 42.00 EUR"])
        cc = [f"accounts@{SITE}"] if campaign.tag == "receipt" and rng.random() < 0.1 else []
        invitation = None
        if campaign.invitation:
            ics = invitation_ics(f"webinar-{number}@{SITE}", to, webinar_at)
            invitation = IcalEvent(method="REQUEST", content=ics, filename="invite.ics")
        yield Message(
            from_=campaign.sender,
            to=[to],
            cc=cc,
            subject=campaign.subject.format(name=name, number=10_000 + number),
            text=f"Hello {name},\n\nThis is the {campaign.tag} mail of the sesflow demo.\n"
            f"Open your account: {link}\n\nUnsubscribe: https://{SITE}/unsubscribe\n",
            html=_html(campaign, name, link),
            attachments=[
                Attachment(filename="logo.png", content=logo, cid=f"logo@{SITE}", content_type="image/png"),
                Attachment(filename=campaign.attachment, content=pdf, content_type="application/pdf"),
            ],
            ical_event=invitation,
            list={
                "unsubscribe": [f"https://{SITE}/unsubscribe?u={number}", f"mailto:unsubscribe@{SITE}"],
                "id": f"{campaign.tag}.{SITE}",
                "one_click": True,
            },
            ses={
                "EmailTags": [
                    {"Name": "campaign", "Value": campaign.tag},
                    {"Name": "source", "Value": "demo"},
                ]
            },
        )
