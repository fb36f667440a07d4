"""``sesflow conns set|list|test|discover``: Sling-compatible connections (logic: ``sesflow.connections``)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from sesflow.errors import ConfigError

conns = typer.Typer(
    name="conns",
    help="Manage connections (Sling's env.yaml, .env.sling and environment variables are read).",
    no_args_is_help=True,
)
_out = Console(highlight=False, soft_wrap=True)


@conns.command("set")
def set_(
    name: str = typer.Argument(..., help="Connection name, e.g. AWS_SES or MY_DUCK."),
    pairs: list[str] = typer.Argument(
        ..., help="key=value pairs: type=duckdb instance=./ses.duckdb, or type=api spec=aws_ses region=..."
    ),
) -> None:
    """Save a connection in ~/.sesflow/env.yaml."""
    from sesflow.connections import set_connection

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(
                f"{pair!r} is not key=value", hint="Example: sesflow conns set DB type=duckdb instance=x.db"
            )
        values[key.strip()] = value
    path = set_connection(name, values)
    _out.print(f"saved connection {name} in {path}")


@conns.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List every connection found, secrets redacted."""
    from sesflow.connections import all_connections, redact

    found = all_connections()
    if as_json:
        rows = [{"name": c.name, "origin": c.origin, "settings": redact(c.settings)} for c in found]
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table("name", "type", "origin", "settings")
    for connection in found:
        settings = redact(connection.settings)
        kind = settings.get("type", "?") if not isinstance(settings, str) else "url"
        shown = settings if isinstance(settings, str) else {k: v for k, v in settings.items() if k != "type"}
        table.add_row(connection.name, str(kind), connection.origin, json.dumps(shown, default=str))
    _out.print(table)


@conns.command("test")
def test(name: str = typer.Argument(..., help="Connection name.")) -> None:
    """Make one real call through the connection and say whether it works."""
    from sesflow.connections import check_connection, get_connection

    seen = check_connection(get_connection(name))
    _out.print(f"{name}: OK ({seen})")


@conns.command("discover")
def discover(name: str = typer.Argument(..., help="Source connection name.")) -> None:
    """List the streams of a source connection, with primary key and incremental support."""
    from sesflow.connections import discover as find_streams
    from sesflow.connections import get_connection

    table = Table("stream", "primary key", "incremental", "notes")
    for stream in find_streams(get_connection(name)):
        table.add_row(
            stream.name,
            ", ".join(stream.primary_key),
            "yes" if stream.incremental else "no",
            stream.description,
        )
    _out.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``conns`` group to the root command."""
    app.add_typer(conns, name="conns")
