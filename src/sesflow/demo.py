"""The whole loop on embedded defaults: emulate SES, compose and send a campaign batch, sync, report.

``run_demo()`` is what ``sesflow demo`` and ``make demo`` run. In one process and with no AWS account it

1. starts the emulator (``sesflow.emulator.Emulator``) on a free port, with simulated events scaled down
   from hours to seconds, and seeds a month of synthetic history so the report's charts have a shape;
2. composes a realistic batch (text + HTML with an inline logo by ``cid:``, a PDF attachment, list-unsubscribe
   headers, a calendar invitation in the webinar campaign, tags per campaign) to a mix of ordinary recipients
   and the SES mailbox simulator, and sends it through the ``Mailer`` under a rate limit;
3. waits until every simulated event (delivery, bounce, complaint, open, click) has happened;
4. syncs Message Insights into ``sesflow-demo.duckdb`` with the code ``sesflow run`` uses;
5. prints a summary of this run's batch and writes ``sesflow-demo-report.html``.

Every run starts afresh: the database and the report of an earlier run in the same folder are replaced.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sesflow.mime import Message
    from sesflow.report.model import Counts

DB_NAME = "sesflow-demo.duckdb"
REPORT_NAME = "sesflow-demo-report.html"
SITE = "shop.example"
# The emulator's mailbox simulator, like SES, reports opens up to about two hours after delivery and clicks
# up to ten minutes after an open; ``event_delay_scale`` shrinks those delays.
SIMULATED_EVENTS_WITHIN_S = 2.25 * 3600


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


# --- the run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoResult:
    """What a demo run did: the batch's outcomes as synced, and where the files are."""

    accepted: int
    failed: int
    throttled: int
    totals: Counts
    bounces_by_type: tuple[tuple[str, int], ...]
    history: int
    synced: int
    database: Path
    report: Path
    seconds: float


def run_demo(
    folder: str | Path = ".",
    *,
    messages: int = 600,
    rate: float = 100.0,
    connections: int = 8,
    history_days: int = 30,
    event_delay_scale: float = 0.0002,
    seed: int = 2026,
    console: Any = None,
) -> DemoResult:
    """Run the whole loop in ``folder`` and return what happened (see the module docstring).

    ``rate`` is the account's maximum send rate in recipients per second: the emulator enforces it and the
    Mailer keeps to it. ``history_days`` of synthetic history (about 150 messages a day) are seeded so the
    report has a shape over time; the summary counts only this run's batch.
    """
    from rich.console import Console

    from sesflow.emulator import Emulator
    from sesflow.report import load_report, write_report

    out = console if console is not None else Console()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    database, report = folder / DB_NAME, folder / REPORT_NAME
    for stale in (database, database.with_name(database.name + ".wal"), report):
        stale.unlink(missing_ok=True)

    started = time.monotonic()
    options = {
        "max_send_rate": rate,
        "event_delay_scale": event_delay_scale,
        "export_delay": 0.3,
        "seed": seed,
    }
    with Emulator(port=0, **options) as ses:
        out.print(f"[bold]1/4[/] SES emulator on {ses.endpoint_url} (max send rate {rate:g} recipients/s)")
        batch_start = dt.datetime.now(dt.UTC).replace(microsecond=0)
        history = 0
        if history_days > 0:
            history = _seed_history(ses, batch_start, history_days, seed)
            out.print(f"    seeded {history:,} messages of history over {history_days} days")
        accepted, failed = _send_batch(ses.endpoint_url, messages, rate, connections, seed, out)
        throttled = _throttled_attempts(ses.endpoint_url, batch_start)
        _wait_for_events(event_delay_scale, out)
        synced = _sync(ses.endpoint_url, database, batch_start - dt.timedelta(days=history_days + 1), out)
    batch = load_report(str(database), since=batch_start)
    write_report(str(database), report)
    result = DemoResult(
        accepted=accepted,
        failed=failed,
        throttled=throttled,
        totals=batch.totals,
        bounces_by_type=batch.bounces_by_type,
        history=history,
        synced=synced,
        database=database,
        report=report,
        seconds=round(time.monotonic() - started, 1),
    )
    out.print(summary_table(result))
    out.print(f"Database: {database}   Report: {report}   ({result.seconds:.1f} s)")
    return result


def _seed_history(ses: Any, before: dt.datetime, days: int, seed: int) -> int:
    """About 150 messages a day over ``days``, split over the campaigns with their senders and tags."""
    from email.utils import parseaddr

    made = 0
    for number, campaign in enumerate(CAMPAIGNS):
        made += ses.seed(
            count=150 * days // len(CAMPAIGNS),
            start=before - dt.timedelta(days=days),
            end=before - dt.timedelta(minutes=5),
            seed=seed + number,
            from_=parseaddr(campaign.sender)[1],
            tags={"campaign": campaign.tag, "source": "history"},
        )
    return int(made)


def _send_batch(
    endpoint: str, count: int, rate: float, connections: int, seed: int, out: Any
) -> tuple[int, int]:
    import boto3
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from sesflow.send import Mailer, SESTransport

    # Any well-formed credentials do for the emulator; never the user's real ones.
    session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
    transport = SESTransport(region="us-east-1", endpoint_url=endpoint, session=session)
    accepted = failed = recipients = 0
    started = time.monotonic()
    columns = (TextColumn("[bold]2/4[/] sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with (
        Progress(*columns, console=out, transient=False) as progress,
        Mailer(transport, rate=rate, max_connections=connections) as mailer,
    ):
        task = progress.add_task("send", total=count)
        for result in mailer.send_many(demo_messages(count, seed=seed)):
            if result.status == "sent":
                accepted += 1
                recipients += len(result.envelope.to) if result.envelope else 0
            else:
                failed += 1
            progress.advance(task)
    seconds = time.monotonic() - started
    out.print(
        f"    {accepted:,} messages to {recipients:,} recipients in {seconds:.1f} s: "
        f"{recipients / seconds:.1f} recipients/s against a limit of {rate:g}"
    )
    return accepted, failed


def _get_json(url: str) -> Any:
    import httpx

    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    return response.json()


def _throttled_attempts(endpoint: str, since: dt.datetime) -> int:
    sends = _get_json(f"{endpoint}/_sesflow/sends?since={since.timestamp()}")["sends"]
    return sum(1 for send in sends if send["status"] in (400, 429))


def _wait_for_events(scale: float, out: Any) -> None:
    """Wait until the batch's last simulated event is in the past: exports only include events up to then."""
    wait = SIMULATED_EVENTS_WITHIN_S * scale + 0.5
    with out.status(
        f"[bold]3/4[/] waiting {wait:.1f} s for deliveries, bounces, complaints, opens and clicks"
    ):
        time.sleep(wait)
    out.print(f"[bold]3/4[/] simulated events settled (waited {wait:.1f} s)")


def _sync(endpoint: str, database: Path, anchor: dt.datetime, out: Any) -> int:
    import os
    import tempfile

    from sesflow.insights import sync

    source = {
        "type": "api",
        "spec": "aws_ses",
        "inputs": {
            "region": "us-east-1",
            "endpoint_url": endpoint,
            "anchor_date": anchor.date().isoformat(),
            "range_interval": "7d",
            "poll_interval": 0.2,
            "max_concurrent_jobs": 3,
        },
        "secrets": {"access_key_id": "demo", "secret_access_key": "demo"},
    }
    target = {"type": "duckdb", "instance": str(database.resolve())}
    replication = {
        "source": "SESFLOW_DEMO_SES",
        "target": "SESFLOW_DEMO_DUCKDB",
        "defaults": {"mode": "full-refresh", "object": "ses.{stream_name}"},
        "streams": {"ses_emails": None},
    }
    # dlt's schema-hint warnings mean nothing to a demo watcher; dlt reads its log level from the environment.
    saved_level = os.environ.get("RUNTIME__LOG_LEVEL")
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"
    try:
        with (
            out.status("[bold]4/4[/] syncing Message Insights into DuckDB"),
            tempfile.TemporaryDirectory() as tmp,
        ):
            summary = sync(
                replication,
                pipelines_dir=tmp,
                connections={"SESFLOW_DEMO_SES": source, "SESFLOW_DEMO_DUCKDB": target},
            )
    finally:
        if saved_level is None:
            os.environ.pop("RUNTIME__LOG_LEVEL", None)
        else:
            os.environ["RUNTIME__LOG_LEVEL"] = saved_level
    out.print(f"[bold]4/4[/] synced {summary.emails:,} messages in {summary.seconds:.1f} s into {database}")
    return summary.emails


def summary_table(result: DemoResult) -> Any:
    """A Rich table of the batch's outcomes with their rates."""
    from rich.table import Table

    t = result.totals
    table = Table(title=f"This run's batch ({result.accepted:,} accepted by SES)", title_justify="left")
    table.add_column("outcome")
    table.add_column("messages", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("of", style="dim")
    table.add_row("sent", f"{t.sent:,}", "", "")
    table.add_row("delivered", f"{t.delivered:,}", f"{t.delivery_rate:.1%}", "sent")
    table.add_row("bounced", f"{t.bounced:,}", f"{t.bounce_rate:.1%}", "sent")
    for kind, number in result.bounces_by_type:
        table.add_row(f"  {kind.lower()}", f"{number:,}", f"{number / t.sent if t.sent else 0:.1%}", "sent")
    table.add_row("complained", f"{t.complained:,}", f"{t.complaint_rate:.1%}", "delivered")
    table.add_row("opened", f"{t.opened:,}", f"{t.open_rate:.1%}", "delivered")
    table.add_row("clicked", f"{t.clicked:,}", f"{t.click_rate:.1%}", "delivered")
    table.add_row("send failures", f"{result.failed:,}", "", "")
    table.add_row("throttled attempts", f"{result.throttled:,}", "", "")
    return table
