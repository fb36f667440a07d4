"""``sesflow emulator``: run the local SES in the foreground (DESIGN.md flags plus the issue's extras)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``emulator`` command to the root app."""
    app.command("emulator")(emulator)


def emulator(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8005, "--port", help="Port to listen on (0 picks a free one)."),
    region: str = typer.Option("us-east-1", "--region", help="Region the emulator reports."),
    max_send_rate: float = typer.Option(
        14.0, "--max-send-rate", help="Recipients per second (any 1 s window)."
    ),
    max_24h_send: int = typer.Option(50000, "--max-24h-send", help="Recipients per 24 hours."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", help="Latency added to every API call."),
    export_delay: float = typer.Option(2.0, "--export-delay", help="Seconds until an export job completes."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep state in DIR (SQLite); default memory."
    ),
    auth: str = typer.Option(
        "any", "--auth", help="'strict' checks SigV4 against --credentials; 'any' doesn't."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Make the simulator deterministic."),
    max_export_jobs: int = typer.Option(5, "--max-export-jobs", help="Concurrent export jobs allowed."),
    url_ttl: int = typer.Option(3600, "--url-ttl", help="Lifetime of export download URLs, seconds."),
    credentials: list[str] = typer.Option([], "--credentials", help="KEY:SECRET accepted (repeatable)."),
    verify_identities: bool = typer.Option(
        False, "--verify-identities", help="Reject senders that are not verified identities."
    ),
    open_probability: float = typer.Option(
        0.3, "--open-probability", help="Chance a delivered mail is opened."
    ),
    click_probability: float = typer.Option(
        0.1, "--click-probability", help="Chance a delivered mail is clicked."
    ),
    event_delay_scale: float = typer.Option(
        1.0, "--event-delay-scale", help="Scale of simulated event delays (0 = events at once)."
    ),
    verification_delay: float = typer.Option(
        0.0, "--verification-delay", help="Seconds a new identity stays PENDING (0 = verified at once)."
    ),
) -> None:
    """Run a local Amazon SES: every operation of the v1 and v2 APIs, per region, with the mailbox
    simulator, templates, list management and Message Insights / VDM exports."""
    from sesflow.emulator.config import EmulatorConfig, parse_credentials
    from sesflow.emulator.server import serve

    config = EmulatorConfig(
        host=host,
        port=port,
        region=region,
        max_send_rate=max_send_rate,
        max_24h_send=max_24h_send,
        latency_ms=latency_ms,
        export_delay=export_delay,
        data_dir=data_dir,
        auth=auth,
        seed=seed,
        max_export_jobs=max_export_jobs,
        url_ttl=url_ttl,
        credentials=parse_credentials(credentials),
        verify_identities=verify_identities,
        open_probability=open_probability,
        click_probability=click_probability,
        event_delay_scale=event_delay_scale,
        verification_delay=verification_delay,
    )

    def ready(url: str) -> None:
        key = config.credentials[0] if config.credentials else ("test", "test")
        typer.echo(f"sesflow emulator listening on {url}  (region {config.region}, auth {config.auth})")
        typer.echo(f"  inspect:  {url}/")
        typer.echo(f"  boto3:    boto3.client('sesv2', endpoint_url='{url}', region_name='{config.region}')")
        typer.echo(f"  AWS CLI:  aws sesv2 get-account --endpoint-url {url} --region {config.region}")
        typer.echo(
            f"  env:      export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID={key[0]} AWS_SECRET_ACCESS_KEY=..."
        )
        typer.echo("Press Ctrl+C to stop.", err=False)

    serve(config, ready)
