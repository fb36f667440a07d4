"""``sesflow campaign``: send a campaign file, and resume, inspect, reconcile, retry or cancel it.

Thin: each command builds a ``sesflow.campaign.Campaign`` (from a file, or by name from the ledger), calls
it, and prints the result — a Rich progress bar on a terminal, log lines otherwise. Exit codes: 0 when every
row has its final answer (sent, or skipped by choice), 1 when rows failed, are unknown or are left (and for
a run that could not go on), 2 for bad input (nothing sent), 130 when stopped with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from sesflow.campaign import Campaign, Progress, RunSummary, Validation

group = typer.Typer(
    name="campaign",
    help="Send a campaign through a durable ledger: every recipient exactly once, or honestly reported.",
    no_args_is_help=True,
)

_TARGET = typer.Argument(..., help="A campaign file, or the name of a campaign in the ledger.")
_LEDGER = typer.Option(
    None, "--ledger", help="Ledger: SQLite path, postgresql:// URL or postgres connection."
)
_SCHEMA = typer.Option(None, "--ledger-schema", help="PostgreSQL schema of the ledger (default sesflow).")
_ENDPOINT = typer.Option(None, "--endpoint-url", help="SES endpoint (e.g. http://127.0.0.1:8005).")
_REGION = typer.Option(None, "--region", help="AWS region for SES.")
_RATE = typer.Option(
    None, "--rate", help="Recipients per second, auto (the account's maximum), or none (no limit)."
)
_REDIS_KEY = typer.Option(None, "--redis-key", help="The account's key in Redis (default: one per region).")
_REDIS = typer.Option(
    None,
    "--redis-url",
    help="Share the rate through this Redis (default: SESFLOW_REDIS_URL).",
    show_default=False,
)
_CONNECTIONS = typer.Option(None, "--connections", help="Parallel requests.")
_JSON = typer.Option(False, "--json", help="Print the result as one JSON object.")


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _rate(value: str | None) -> float | str | None:
    if value is None:
        return None
    if value.strip().lower() in ("auto", "none"):
        return value.strip().lower()
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise ConfigError(f"--rate must be a positive number, auto or none, not {value!r}")
    return rate


def _options(**given: Any) -> dict[str, Any]:
    """The options given on the command line (``--rate none`` is a given None: no limit)."""
    options = {key: value for key, value in given.items() if value is not None}
    if options.get("rate") == "none":
        options["rate"] = None
    return options


def _campaign(target: str, ledger: str | None, ledger_schema: str | None, **given: Any) -> Campaign:
    from sesflow.campaign import Campaign

    options = _options(ledger_schema=ledger_schema, **given)
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return Campaign.from_file(path, ledger=ledger, **options)
    return Campaign.open(target, ledger=ledger, base_dir=Path.cwd(), **options)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM ask the run to stop (requests in flight finish and are recorded); a second one
    exits at once (the ledger keeps the claims, so resume is still safe)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        _console(stderr=True).print("stopping: finishing the requests in flight (again to quit now)")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class _Reporter:
    """Shows progress: a Rich bar with rate and ETA on a terminal, a log line every few seconds otherwise."""

    def __init__(self, name: str, quiet: bool) -> None:
        self._name = name
        self._console = _console(stderr=True)
        self._quiet = quiet
        self._bar: Any = None
        self._task: Any = None
        self._last_line = 0.0

    def __enter__(self) -> Callable[[Progress], None]:
        if not self._quiet and self._console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>8.1f}/s"),
                TextColumn("{task.fields[detail]}"),
                TimeRemainingColumn(),
                console=self._console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._name, total=None, rate=0.0, detail="")
        return self.update

    def update(self, progress: Progress) -> None:
        if self._quiet:
            return
        detail = f"failed {progress.failed:,} · unknown {progress.unknown:,}"
        if self._bar is not None:
            self._bar.update(
                self._task, total=progress.total, completed=progress.done, rate=progress.rate, detail=detail
            )
            return
        now = time.monotonic()
        if now - self._last_line < 5.0 and progress.pending:
            return
        self._last_line = now
        share = progress.done / progress.total if progress.total else 1.0
        self._console.print(
            f"campaign {self._name}: {progress.done:,}/{progress.total:,} ({share:.0%})"
            f" · sent {progress.sent:,} · {detail} · {progress.rate:,.1f}/s · ETA {_duration(progress.eta)}",
            markup=False,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_validation(validation: Validation) -> None:
    console = _console(stderr=True)
    console.print(f"validated {validation.summary()}", markup=False)
    for problem in validation.problems[:20]:
        console.print(f"  skipped {validation.source} {problem}", markup=False)
    if validation.problem_count > 20:
        console.print(f"  ... and {validation.problem_count - 20:,} more (see status --json)", markup=False)


def _finish(summary: RunSummary, campaign: Campaign, as_json: bool) -> None:
    counts = summary.counts
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "campaign": summary.campaign,
                    "campaign_id": summary.campaign_id,
                    "ended": summary.ended,
                    "this_run": {"sent": summary.sent, "failed": summary.failed, "unknown": summary.unknown},
                    "counts": counts.to_dict(),
                    "retryable_failed": counts.retryable_failed,
                    "elapsed_seconds": round(summary.elapsed, 3),
                }
            )
        )
    else:
        parts = " · ".join(f"{state} {counts[state]:,}" for state in counts.to_dict() if counts[state])
        _console().print(
            f"campaign {summary.campaign} {summary.ended} in {_duration(summary.elapsed)}: "
            f"{parts or 'no rows'}",
            markup=False,
        )
        if counts["unknown"]:
            _console().print(
                f"{counts['unknown']:,} unknown (the request went out, no answer was recorded): never resent "
                f"blindly; `sesflow campaign reconcile {summary.campaign}` settles them from SES's records.",
                markup=False,
            )
        if counts["failed"]:
            _console().print(
                f"{counts['failed']:,} failed ({counts.retryable_failed:,} retryable: "
                f"`sesflow campaign retry-failed {summary.campaign}`).",
                markup=False,
            )
    if summary.published and not as_json:
        _console().print(f"outcomes: {summary.published}", markup=False)
    if summary.publish_error:
        _console(stderr=True).print(f"warning: outcomes not published: {summary.publish_error}", markup=False)
    if summary.ended == "stopped":
        raise typer.Exit(130)
    if not summary.complete:
        raise typer.Exit(1)


@group.command("send")
def send(
    file: Path = typer.Argument(..., help="The campaign file (YAML)."),
    new: bool = typer.Option(False, "--new", help="Start the campaign over under the same name."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Send the valid rows; record the others."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and write previews; send nothing."),
    previews: int = typer.Option(3, "--previews", help="Messages to write with --dry-run."),
    previews_dir: Path | None = typer.Option(None, "--previews-dir", help="Where --dry-run writes them."),
    no_suppression_list: bool = typer.Option(
        False, "--no-suppression-list", help="Do not read the account suppression list."
    ),
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
    endpoint_url: str | None = _ENDPOINT,
    region: str | None = _REGION,
    rate: str | None = _RATE,
    connections: int | None = _CONNECTIONS,
    redis_url: str | None = _REDIS,
    redis_key: str | None = _REDIS_KEY,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = _JSON,
) -> None:
    """Validate every row, then send the campaign (a rerun of the same file continues where it stopped)."""
    from sesflow.campaign import Campaign

    if connections is not None and connections < 1:
        raise ConfigError(f"--connections must be at least 1, not {connections}")
    campaign = Campaign.from_file(
        file,
        ledger=ledger,
        **_options(
            ledger_schema=ledger_schema,
            endpoint_url=endpoint_url,
            region=region,
            rate=_rate(rate),
            connections=connections,
            redis_url=redis_url,
            redis_key=redis_key,
        ),
    )
    if dry_run:
        validation = campaign.validate(
            previews=previews, previews_dir=previews_dir, check_suppression=not no_suppression_list
        )
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "rows": validation.rows,
                        "valid": validation.valid,
                        "problems": [str(p) for p in validation.problems],
                        "problem_count": validation.problem_count,
                        "previews": [str(p) for p in validation.previews],
                    }
                )
            )
        else:
            _print_validation(validation)
            for path in validation.previews:
                _console().print(f"preview {path}", markup=False)
        raise typer.Exit(2 if validation.problem_count else 0)
    with _stop_on_signals() as stop, _Reporter(campaign.name, quiet or as_json) as progress:
        summary = campaign.send(
            new=new,
            skip_invalid=skip_invalid,
            check_suppression=not no_suppression_list,
            on_progress=progress,
            on_validated=None if as_json else lambda v: _print_validation(v) if v.problem_count else None,
            stop=stop,
        )
    _finish(summary, campaign, as_json)


@group.command("resume")
def resume(
    target: str = _TARGET,
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
    endpoint_url: str | None = _ENDPOINT,
    region: str | None = _REGION,
    rate: str | None = _RATE,
    connections: int | None = _CONNECTIONS,
    redis_url: str | None = _REDIS,
    redis_key: str | None = _REDIS_KEY,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = _JSON,
) -> None:
    """Go on sending a campaign; rows a killed run was sending become unknown (see reconcile)."""
    campaign = _campaign(
        target,
        ledger,
        ledger_schema,
        endpoint_url=endpoint_url,
        region=region,
        rate=_rate(rate),
        connections=connections,
        redis_url=redis_url,
        redis_key=redis_key,
    )
    with _stop_on_signals() as stop, _Reporter(campaign.name, quiet or as_json) as progress:
        summary = campaign.resume(on_progress=progress, stop=stop)
    _finish(summary, campaign, as_json)


@group.command("retry-failed")
def retry_failed(
    target: str = _TARGET,
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
    endpoint_url: str | None = _ENDPOINT,
    region: str | None = _REGION,
    rate: str | None = _RATE,
    connections: int | None = _CONNECTIONS,
    redis_url: str | None = _REDIS,
    redis_key: str | None = _REDIS_KEY,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = _JSON,
) -> None:
    """Send again the rows that failed in a retryable way (throttling, 5xx, quota, paused account)."""
    campaign = _campaign(
        target,
        ledger,
        ledger_schema,
        endpoint_url=endpoint_url,
        region=region,
        rate=_rate(rate),
        connections=connections,
        redis_url=redis_url,
        redis_key=redis_key,
    )
    with _stop_on_signals() as stop, _Reporter(campaign.name, quiet or as_json) as progress:
        count, summary = campaign.retry_failed(on_progress=progress, stop=stop)
    if not as_json:
        _console().print(f"{count:,} retryable failures put back to pending", markup=False)
    _finish(summary, campaign, as_json)


@group.command("status")
def status(
    target: str | None = typer.Argument(None, help="A campaign file or name; all campaigns when left out."),
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
    as_json: bool = _JSON,
) -> None:
    """Rows per state, rate and ETA, and the unknown rows still waiting for their settle time."""
    from sesflow.campaign import list_campaigns

    if target is None:
        records = list_campaigns(ledger, Path.cwd(), ledger_schema)
        if as_json:
            typer.echo(
                json.dumps([{"name": r.name, "id": r.id, "state": r.state, "rows": r.total} for r in records])
            )
            return
        if not records:
            _console().print("no campaigns in this ledger", markup=False)
        for record in records:
            _console().print(
                f"{record.name}  {record.state}  {record.total:,} rows  ({record.id})", markup=False
            )
        return
    found = _campaign(target, ledger, ledger_schema).status()
    if as_json:
        typer.echo(json.dumps(found.to_dict()))
        return
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("campaign", f"{found.name} (generation {found.generation}, {found.state})")
    table.add_row("ledger", found.ledger)
    for state, count in found.counts.items():
        extra = f" ({found.retryable_failed:,} retryable)" if state == "failed" and count else ""
        table.add_row(state, f"{count:,}{extra}")
    table.add_row("rate", f"{found.rate:,.1f}/s over the last minute")
    table.add_row("eta", _duration(found.eta))
    table.add_row("workers", str(found.workers))
    if found.counts.get("unknown"):
        table.add_row(
            "unknown",
            f"{found.unknown_waiting:,} wait for their settle time (first at {_when(found.settle_at)}); "
            "reconcile settles the others",
        )
    _console().print(table)


@group.command("reconcile")
def reconcile(
    target: str = _TARGET,
    settle: str | None = typer.Option(
        None, "--settle", help="Wait after an attempt before proving it unsent."
    ),
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
    endpoint_url: str | None = _ENDPOINT,
    region: str | None = _REGION,
    as_json: bool = _JSON,
) -> None:
    """Settle unknown rows from SES's Message Insights exports: found -> sent; proven absent -> pending."""
    campaign = _campaign(target, ledger, ledger_schema, endpoint_url=endpoint_url, region=region)
    result = campaign.reconcile(settle=settle)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "checked": result.checked,
                    "found_sent": result.found,
                    "back_to_pending": result.absent,
                    "waiting": result.waiting,
                    "duplicates": result.duplicates,
                    "export_jobs": result.jobs,
                    "settle_at": _when(result.settle_at) if result.settle_at else None,
                }
            )
        )
    else:
        _console().print(
            f"checked {result.checked:,} unknown rows with {result.jobs} export job(s): "
            f"{result.found:,} sent, {result.absent:,} back to pending (resume sends them), "
            f"{result.waiting:,} still unknown",
            markup=False,
        )
        if result.waiting:
            _console().print(f"the next can be settled after {_when(result.settle_at)}", markup=False)
        if result.duplicates:
            _console().print(f"warning: SES holds {result.duplicates} row(s) more than once", markup=False)
    if result.waiting:
        raise typer.Exit(1)


@group.command("cancel")
def cancel(target: str = _TARGET, ledger: str | None = _LEDGER, ledger_schema: str | None = _SCHEMA) -> None:
    """Stop a campaign: running workers stop after their requests in flight; nothing more is sent."""
    campaign = _campaign(target, ledger, ledger_schema)
    campaign.cancel()
    _console().print(f"campaign {campaign.name} cancelled", markup=False)


@group.command("outcomes")
def outcomes(
    target: str = _TARGET,
    sync_target: str | None = typer.Option(
        None, "--target", help="The sync's database (default: sync.target)."
    ),
    schema: str | None = typer.Option(None, "--schema", help="Its dataset (default: sync.schema or ses)."),
    ledger: str | None = _LEDGER,
    ledger_schema: str | None = _SCHEMA,
) -> None:
    """Publish the campaign's ledger into the sync's database: the campaign_outcomes view."""
    campaign = _campaign(target, ledger, ledger_schema)
    published = campaign.publish_outcomes(sync_target, schema)
    _console().print(f"{published.view}: {published.copied:,} ledger rows published", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``sesflow campaign`` to the root command."""
    app.add_typer(group, name="campaign")
