"""Running the demo: emulate SES, compose and send a campaign batch, sync, report.

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sesflow.demo.content import CAMPAIGNS, demo_messages

if TYPE_CHECKING:
    from sesflow.report.model import Counts

DB_NAME = "sesflow-demo.duckdb"
REPORT_NAME = "sesflow-demo-report.html"
# The emulator's mailbox simulator, like SES, reports opens up to about two hours after delivery and clicks
# up to ten minutes after an open; ``event_delay_scale`` shrinks those delays.
SIMULATED_EVENTS_WITHIN_S = 2.25 * 3600


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

    from sesflow.sync.runner import sync

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
