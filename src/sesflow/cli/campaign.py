"""``sesflow campaign``: send a campaign file, and resume, inspect, reconcile, retry or cancel it.

Thin: each command builds a ``sesflow.campaign.Campaign`` (from a file, or by name from the ledger), calls
it, and prints the result — a Rich progress bar on a terminal, log lines otherwise. Exit codes: 0 when every
row has its final answer (sent, or skipped by choice), 1 when rows failed, are unknown or are left (and for
a run that could not go on), 2 for bad input (nothing sent), 130 when stopped with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sesflow.cli.campaign_output import (
    Reporter,
    console,
    duration,
    finish,
    print_validation,
    stop_on_signals,
    when,
)
from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from sesflow.campaign import Campaign

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
            print_validation(validation)
            for path in validation.previews:
                console().print(f"preview {path}", markup=False)
        raise typer.Exit(2 if validation.problem_count else 0)
    with stop_on_signals() as stop, Reporter(campaign.name, quiet or as_json) as progress:
        summary = campaign.send(
            new=new,
            skip_invalid=skip_invalid,
            check_suppression=not no_suppression_list,
            on_progress=progress,
            on_validated=None if as_json else lambda v: print_validation(v) if v.problem_count else None,
            stop=stop,
        )
    finish(summary, campaign, as_json)


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
    with stop_on_signals() as stop, Reporter(campaign.name, quiet or as_json) as progress:
        summary = campaign.resume(on_progress=progress, stop=stop)
    finish(summary, campaign, as_json)


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
    with stop_on_signals() as stop, Reporter(campaign.name, quiet or as_json) as progress:
        count, summary = campaign.retry_failed(on_progress=progress, stop=stop)
    if not as_json:
        console().print(f"{count:,} retryable failures put back to pending", markup=False)
    finish(summary, campaign, as_json)


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
            console().print("no campaigns in this ledger", markup=False)
        for record in records:
            console().print(
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
    table.add_row("eta", duration(found.eta))
    table.add_row("workers", str(found.workers))
    if found.counts.get("unknown"):
        table.add_row(
            "unknown",
            f"{found.unknown_waiting:,} wait for their settle time (first at {when(found.settle_at)}); "
            "reconcile settles the others",
        )
    console().print(table)


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
                    "settle_at": when(result.settle_at) if result.settle_at else None,
                }
            )
        )
    else:
        console().print(
            f"checked {result.checked:,} unknown rows with {result.jobs} export job(s): "
            f"{result.found:,} sent, {result.absent:,} back to pending (resume sends them), "
            f"{result.waiting:,} still unknown",
            markup=False,
        )
        if result.waiting:
            console().print(f"the next can be settled after {when(result.settle_at)}", markup=False)
        if result.duplicates:
            console().print(f"warning: SES holds {result.duplicates} row(s) more than once", markup=False)
    if result.waiting:
        raise typer.Exit(1)


@group.command("cancel")
def cancel(target: str = _TARGET, ledger: str | None = _LEDGER, ledger_schema: str | None = _SCHEMA) -> None:
    """Stop a campaign: running workers stop after their requests in flight; nothing more is sent."""
    campaign = _campaign(target, ledger, ledger_schema)
    campaign.cancel()
    console().print(f"campaign {campaign.name} cancelled", markup=False)


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
    console().print(f"{published.view}: {published.copied:,} ledger rows published", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``sesflow campaign`` to the root command."""
    app.add_typer(group, name="campaign")
