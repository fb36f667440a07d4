"""``sesflow report``: write the HTML delivery report for a database a sync loaded into."""

from __future__ import annotations

import datetime as dt

import typer

from sesflow.errors import ConfigError


def parse_since(value: str | None) -> dt.datetime | None:
    """``--since`` as a UTC moment: a date (``2026-11-01``) or an ISO 8601 date-time."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {value!r} is not a date",
            hint="Use YYYY-MM-DD (a UTC day) or an ISO 8601 date-time such as 2026-11-01T12:00:00Z.",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def report(
    target: str = typer.Option(
        ..., "--target", "-t", help="Connection name, path to a .duckdb file, or postgresql:// URL."
    ),
    since: str | None = typer.Option(None, "--since", help="Only messages sent on or after this UTC date."),
    out: str = typer.Option(
        "report.html",
        "--out",
        "-o",
        help="The HTML file to write, or a folder (ending in /) to write report.html in.",
        metavar="PATH",
    ),
    schema: str = typer.Option("ses", "--schema", help="Dataset (schema) the sync loaded into."),
    campaign: str | None = typer.Option(
        None, "--campaign", help="Report on this campaign: funnel, outcomes and recipients."
    ),
) -> None:
    """Write a self-contained HTML delivery report (charts, breakdowns, problem recipients)."""
    from sesflow.cli.output import console, number
    from sesflow.report import report_path, write_campaign_report, write_report

    path = report_path(out)
    if campaign is not None:
        found = write_campaign_report(target, path, campaign, schema=schema).funnels[0]
        console().print(
            f"wrote {path} · campaign {found.campaign}: {number(found.rows)} recipients · "
            f"sent {number(found.sent)} · delivered {number(found.delivered)} · "
            f"bounced {number(found.bounced)} · complained {number(found.complained)} · "
            f"opened {number(found.opened)} · clicked {number(found.clicked)} · "
            f"failed {number(found.failed)} · unknown {number(found.unknown)}",
            markup=False,
        )
        return

    data = write_report(target, path, since=parse_since(since), schema=schema)
    t = data.totals
    period = f"{data.first_day} to {data.last_day}" if data.first_day else "no messages"
    console().print(
        f"wrote {path} · {number(t.sent)} messages ({period}) · delivered {t.delivery_rate:.1%} · "
        f"bounced {t.bounce_rate:.1%} · complained {t.complaint_rate:.2%} · opened {t.open_rate:.1%}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``sesflow report`` to the root command."""
    app.command("report")(report)
