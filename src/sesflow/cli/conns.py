"""``sesflow conns set|unset|list|test|discover|exec``: Sling's connection commands.

The logic lives in ``sesflow.connections``.

Everything shown of a connection goes through ``sesflow.connections.redact``: no secret is ever printed.
"""

from __future__ import annotations

import contextlib
import json

import typer

from sesflow.cli.output import console, table
from sesflow.errors import ConfigError

conns = typer.Typer(
    name="conns",
    help="Manage connections (Sling's env.yaml, .env.sling and environment variables are read).",
    no_args_is_help=True,
)


@conns.command("set")
def set_(
    name: str = typer.Argument(..., help="Connection name, e.g. AWS_SES or MY_DUCK.", metavar="NAME"),
    pairs: list[str] = typer.Argument(
        ...,
        help="key=value pairs, as for sling conns set: type=duckdb instance=./sesflow.duckdb, or "
        "type=api spec=aws_ses inputs='{ region: us-east-1 }' secrets='{ profile: dev }'.",
        metavar="KEY=VALUE",
    ),
) -> None:
    """Save a connection in env.yaml (the one defining it already, else ~/.sesflow/env.yaml)."""
    from sesflow.connections import check_name, set_connection

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"{pair.partition('=')[0]!r} is not key=value",
                hint="Example: sesflow conns set DB type=duckdb instance=x.duckdb",
            )
        values[key.strip()] = value
    path = set_connection(name, values)
    console().print(f"saved connection {check_name(name)} in {path}", markup=False)


@conns.command("unset")
def unset(name: str = typer.Argument(..., help="Connection name.", metavar="NAME")) -> None:
    """Remove a connection from the env.yaml files that define it."""
    from sesflow.connections import unset_connection

    for path in unset_connection(name):
        console().print(f"removed connection {name.upper()} from {path}", markup=False)


@conns.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List every connection found, secrets redacted."""
    from sesflow.connections import all_connections, redact
    from sesflow.connections.parsing import sling_values

    rows = []
    for found in all_connections():
        settings = found.settings
        if not isinstance(settings, str):
            # A value that does not decode is shown as written (redacted); `conns test` says what is wrong.
            with contextlib.suppress(ConfigError):
                settings = sling_values(found.name, settings, found.origin)
        rows.append({"name": found.name, "origin": found.origin, "settings": redact(settings)})
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    listing = table("name", "type", "origin", "settings")
    for row in rows:
        settings = row["settings"]
        kind = settings.get("type") if isinstance(settings, dict) else "url"
        if kind is None and isinstance(settings, dict) and isinstance(settings.get("url"), str):
            kind = settings["url"].split("://", 1)[0]  # Sling names the type by the URL's scheme
        kind = kind or "?"
        shown = settings if isinstance(settings, str) else {k: v for k, v in settings.items() if k != "type"}
        listing.add_row(row["name"], str(kind), row["origin"], json.dumps(shown, default=str))
    console().print(listing)


@conns.command("test")
def test(name: str = typer.Argument(..., help="Connection name.", metavar="NAME")) -> None:
    """Make one real call through the connection and say whether it works."""
    from sesflow.connections import check_connection, get_connection

    seen = check_connection(get_connection(name))
    console().print(f"{name}: OK ({seen})", markup=False)


@conns.command("discover")
def discover(
    name: str = typer.Argument(..., help="Source connection name.", metavar="NAME"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the streams of a source connection, with primary key and incremental support."""
    from sesflow.connections import discover as find_streams
    from sesflow.connections import get_connection

    found = find_streams(get_connection(name))
    if as_json:
        rows = [
            {
                "stream": stream.name,
                "primary_key": list(stream.primary_key),
                "incremental": stream.incremental,
                "cursor": stream.cursor,
                "description": stream.description,
            }
            for stream in found
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    listing = table("stream", "primary key", "incremental", "loaded", "notes")
    for stream in found:
        listing.add_row(
            stream.name,
            ", ".join(stream.primary_key),
            f"yes ({stream.cursor})" if stream.incremental else "no",
            "merge" if stream.incremental else "replace (snapshot)",
            stream.description,
        )
    console().print(listing)


@conns.command("exec")
def exec_(
    name: str = typer.Argument(..., help="Database connection name.", metavar="NAME"),
    sql: str = typer.Argument(..., help="One SQL statement.", metavar="SQL"),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Run one SQL statement on a database connection (DuckDB, PostgreSQL, SQLite) and print its rows."""
    from sesflow.connections import execute, get_connection

    result = execute(get_connection(name), sql)
    if as_json:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not result.columns:
        console().print(
            f"OK ({result.rowcount} rows affected)" if result.rowcount >= 0 else "OK", markup=False
        )
        return
    listing = table(*result.columns)
    for row in result.rows:
        listing.add_row(*("" if value is None else str(value) for value in row))
    console().print(listing)


def register(app: typer.Typer) -> None:
    """Add the ``conns`` group to the root command."""
    app.add_typer(conns, name="conns")
