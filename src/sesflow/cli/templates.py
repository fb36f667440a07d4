"""``sesflow templates push DIR | list | render NAME | delete NAME``: the account's SES email templates.

Thin: the logic lives in ``sesflow.send.templates`` (``Templates``) and ``sesflow.send.template_files`` (the
folder layout). Exit 0 when the work was done, 1 when SES refused some of it (a template that does not parse,
data that does not render: the message names the template and the missing variable), 2 for bad input (a
template file, ``--data`` that is not a JSON object, no credentials), with nothing sent to SES.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sesflow.cli.output import console, number, table
from sesflow.errors import ConfigError

if TYPE_CHECKING:
    from sesflow.send import Templates

templates = typer.Typer(
    name="templates",
    help="Push, list, render and delete SES email templates (SES v2).",
    no_args_is_help=True,
)

_REGION = typer.Option(None, "--region", help="AWS region (default: the AWS configuration).")
_ENDPOINT = typer.Option(None, "--endpoint-url", help="SES endpoint, e.g. the emulator's.")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _open(region: str | None, endpoint_url: str | None) -> Templates:
    import boto3

    from sesflow.send import Templates

    if boto3.Session(region_name=region).get_credentials() is None:
        raise ConfigError(
            "no AWS credentials found",
            hint="Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (any will do for an emulator).",
        )
    return Templates(region=region, endpoint_url=endpoint_url)


def _data(value: str | None) -> dict[str, Any]:
    """``--data``: a JSON object, or ``@FILE`` holding one."""
    if value is None:
        return {}
    text, source = value, "--data"
    if value.startswith("@"):
        path = Path(value[1:])
        source = f"--data {value}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{source}: cannot read the file: {exc}", hint="Give @PATH of a JSON file."
            ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid JSON: {exc}",
            hint='For example --data \'{"name": "Ann"}\' or --data @data.json.',
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source} must be a JSON object of variable names to values, not {type(data).__name__}",
            hint='For example --data \'{"name": "Ann"}\'.',
        )
    return data


@templates.command("push")
def push(
    directory: Path = typer.Argument(..., help="Folder of template files: NAME.yaml, NAME.yml or NAME.json."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
    region: str | None = _REGION,
    endpoint_url: str | None = _ENDPOINT,
    as_json: bool = _JSON,
) -> None:
    """Create or update every template of DIR in SES (unchanged ones are left alone)."""
    from sesflow.send import read_templates

    found = read_templates(directory)  # every file checked before SES is asked anything
    with _open(region, endpoint_url) as store:
        results = store.push(found, dry_run=dry_run)
    failed = [r for r in results if r.action == "failed"]
    if as_json:
        rows = [
            {
                "name": r.name,
                "action": r.action,
                "file": None if r.path is None else str(r.path),
                "error": None if r.error is None else r.error.message,
            }
            for r in results
        ]
        typer.echo(json.dumps({"dry_run": dry_run, "templates": rows}, indent=2))
    else:
        listing = table("template", "would be" if dry_run else "action", "file")
        for r in results:
            listing.add_row(r.name, r.action, "" if r.path is None else str(r.path))
        out = console()
        out.print(listing)
        actions = ["created", "updated", "unchanged"] + (["failed"] if failed else [])
        summary = ", ".join(f"{number(sum(r.action == a for r in results))} {a}" for a in actions)
        if dry_run:
            summary += " (dry run: nothing was changed)"
        out.print(summary, markup=False)
        err = console(stderr=True)
        for r in failed:
            assert r.error is not None
            err.print(f"error: {r.error.message}", markup=False)
    if failed:
        raise typer.Exit(1)


@templates.command("list")
def list_(region: str | None = _REGION, endpoint_url: str | None = _ENDPOINT, as_json: bool = _JSON) -> None:
    """List the templates SES holds in the region."""
    with _open(region, endpoint_url) as store:
        found = store.list()
    if as_json:
        rows = [
            {"name": t.name, "created": None if t.created is None else t.created.isoformat()} for t in found
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    listing = table("template", "created")
    for info in found:
        listing.add_row(info.name, "" if info.created is None else info.created.isoformat(timespec="seconds"))
    console().print(listing)


@templates.command("render")
def render(
    name: str = typer.Argument(..., help="The template's name.", metavar="NAME"),
    data: str | None = typer.Option(
        None, "--data", help='Its data: a JSON object (\'{"name": "Ann"}\') or @FILE holding one.'
    ),
    raw: bool = typer.Option(False, "--raw", help="Print the MIME message SES rendered, as it is."),
    region: str | None = _REGION,
    endpoint_url: str | None = _ENDPOINT,
    as_json: bool = _JSON,
) -> None:
    """Render a stored template with data, as SES renders it (TestRenderEmailTemplate)."""
    values = _data(data)
    with _open(region, endpoint_url) as store:
        rendered = store.render(name, values)
    if as_json:
        shown = {"template": name, "subject": rendered.subject, "text": rendered.text, "html": rendered.html}
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    elif raw:
        typer.echo(rendered.mime)
    else:
        typer.echo(f"Subject: {rendered.subject}")
        for kind, body in (("text/plain", rendered.text), ("text/html", rendered.html)):
            if body is not None:
                typer.echo(f"\n--- {kind} ---\n{body.rstrip()}")


@templates.command("delete")
def delete(
    name: str = typer.Argument(..., help="The template's name.", metavar="NAME"),
    region: str | None = _REGION,
    endpoint_url: str | None = _ENDPOINT,
) -> None:
    """Delete a template from SES."""
    with _open(region, endpoint_url) as store:
        store.delete(name)
    console().print(f"deleted template {name}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``templates`` command group to the root app."""
    app.add_typer(templates, name="templates")
