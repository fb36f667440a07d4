"""``sesflow send``: compose one message from flags and send it through SES (or the emulator).

Thin: the flags become a ``Message`` and a ``Mailer`` (which builds its transport); the result is printed
as a table or, with ``--json``, as one JSON object. Exit 0 when SES accepted the message, 1 when it did not
(or the outcome is unknown), 2 for bad input (named option, or the message check that failed; nothing is
sent).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from sesflow.send import SendResult


def _rate(value: str | None) -> float | Literal["auto"] | None:
    if value is None:
        return None
    if value.strip().lower() == "auto":
        return "auto"
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise ConfigError(
            f"--rate must be a positive number of recipients per second or 'auto', not {value!r}",
            hint="For example --rate 14 or --rate auto (reads the account's maximum send rate).",
        )
    return rate


def _headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, colon, text = value.partition(":")
        if not colon or not name.strip():
            raise ConfigError(f"--header must look like 'Name: value', not {value!r}")
        headers[name.strip()] = text.strip()
    return headers


def _tags(values: list[str]) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"--tag must look like 'name=value', not {value!r}")
        tags.append({"Name": name.strip(), "Value": text.strip()})
    return tags


def _print_table(result: SendResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("status", result.status)
    if result.envelope is not None:
        table.add_row("from", result.envelope.from_)
        table.add_row("to", ", ".join(result.envelope.to))
    table.add_row("message id", result.message_id or "-")
    table.add_row("ses id", result.response or "-")
    table.add_row("attempts", str(result.attempts))
    if result.error is not None:
        table.add_row("error", result.error.message)
        if result.error.hint:
            table.add_row("", result.error.hint)
    Console(highlight=False, soft_wrap=True).print(table)


def send(
    from_: str = typer.Option(..., "--from", help="Sender address, e.g. 'Shop <shop@example.com>'."),
    to: list[str] = typer.Option([], "--to", help="Recipient (repeat for several)."),
    cc: list[str] = typer.Option([], "--cc", help="Cc recipient (repeat for several)."),
    bcc: list[str] = typer.Option(
        [], "--bcc", help="Bcc recipient: receives the mail, appears in no header."
    ),
    subject: str = typer.Option(..., "--subject", help="Subject line."),
    text: str | None = typer.Option(None, "--text", help="Plain-text body."),
    html: str | None = typer.Option(None, "--html", help="HTML body."),
    attach: list[Path] = typer.Option([], "--attach", help="File to attach (repeat for several)."),
    ical: Path | None = typer.Option(None, "--ical", help="iCalendar file to send as an invitation."),
    header: list[str] = typer.Option([], "--header", help="Extra header 'Name: value' (repeatable)."),
    tag: list[str] = typer.Option([], "--tag", help="SES message tag name=value (repeatable)."),
    configuration_set: str | None = typer.Option(None, "--configuration-set", help="SES configuration set."),
    rate: str | None = typer.Option(
        None, "--rate", help="Limit in recipients per second, or 'auto' for the account's maximum."
    ),
    connections: int = typer.Option(1, "--connections", help="Parallel connections to SES."),
    region: str | None = typer.Option(None, "--region", help="AWS region (default: the AWS configuration)."),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="SES endpoint, e.g. the emulator's."
    ),
    api: str = typer.Option("v2", "--api", help="SES API: v2 (SendEmail) or v1 (SendRawEmail)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Send one message through SES (or a local emulator with --endpoint-url)."""
    if api not in ("v2", "v1"):
        raise ConfigError(f"--api must be v2 or v1, not {api!r}")
    if connections < 1:
        raise ConfigError(f"--connections must be at least 1, not {connections}")
    limit = _rate(rate)
    ses: dict[str, Any] = {}
    if tag:
        ses["EmailTags"] = _tags(tag)
    if configuration_set:
        ses["ConfigurationSetName"] = configuration_set

    from sesflow.mime import Attachment, IcalEvent, Message
    from sesflow.send import DEFAULT_RATE, Mailer

    message = Message(
        from_=from_,
        to=list(to),
        cc=list(cc),
        bcc=list(bcc),
        subject=subject,
        text=text,
        html=html,
        attachments=[Attachment(path=str(path)) for path in attach],
        ical_event=None if ical is None else IcalEvent(path=str(ical)),
        headers=_headers(header) or None,
        ses=ses or None,
    )
    with Mailer(
        region=region,
        endpoint_url=endpoint_url,
        api=api,
        rate=DEFAULT_RATE if limit is None else limit,
        max_connections=connections,
    ) as mailer:
        result = mailer.send(message)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_table(result)
    if result.status != "sent":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``send`` command to the root app."""
    app.command("send")(send)
