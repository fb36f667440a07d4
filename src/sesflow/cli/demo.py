"""``sesflow demo``: the whole loop on embedded defaults (emulator, compose, send, sync, report)."""

from __future__ import annotations

from pathlib import Path

import typer

from sesflow.errors import ConfigError


def demo(
    messages: int = typer.Option(600, "--messages", help="How many messages the batch sends."),
    rate: float = typer.Option(100.0, "--rate", help="Maximum send rate, recipients per second."),
    connections: int = typer.Option(8, "--connections", help="Parallel send requests."),
    history_days: int = typer.Option(
        30, "--history-days", help="Days of synthetic history to seed (0: none)."
    ),
    folder: Path = typer.Option(Path("."), "--dir", help="Where sesflow-demo.duckdb and the report go."),
) -> None:
    """Send a realistic batch through a local SES, sync the outcomes into DuckDB and write a report.

    Each run starts afresh: sesflow-demo.duckdb and sesflow-demo-report.html in --dir are replaced.
    """
    from sesflow.cli.output import console
    from sesflow.demo import run_demo

    if messages < 1:
        raise ConfigError(f"--messages must be at least 1, not {messages}")
    if rate <= 0:
        raise ConfigError(f"--rate must be above 0, not {rate:g}")
    if history_days < 0:
        raise ConfigError(f"--history-days must be 0 or more, not {history_days}")
    result = run_demo(
        folder,
        messages=messages,
        rate=rate,
        connections=connections,
        history_days=history_days,
        console=console(),  # no wrapping when the output is a log
    )
    if result.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``sesflow demo`` to the root command."""
    app.command("demo")(demo)
