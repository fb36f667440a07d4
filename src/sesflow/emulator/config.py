"""The emulator's options: one frozen value, checked once, shared by the CLI and the ``Emulator`` class."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sesflow.errors import ConfigError


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Every option of the emulator (names match the CLI flags, with underscores).

    ``event_delay_scale`` multiplies the simulated delays between a send and its events: 1.0 is realistic
    (delivery within seconds, complaints and engagement minutes to hours later), 0.0 makes every event
    happen at send time (tests, demo). ``verification_delay`` is how long a new identity (and its DKIM and
    MAIL FROM records) stays PENDING before it is verified.
    """

    host: str = "127.0.0.1"
    port: int = 8005
    region: str = "us-east-1"
    max_send_rate: float = 14.0
    max_24h_send: int = 50000
    latency_ms: float = 0.0
    export_delay: float = 2.0
    data_dir: Path | None = None
    auth: str = "any"
    seed: int | None = None
    max_export_jobs: int = 5
    url_ttl: int = 3600
    credentials: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    verify_identities: bool = False
    open_probability: float = 0.3
    click_probability: float = 0.1
    event_delay_scale: float = 1.0
    verification_delay: float = 0.0

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (0 <= self.port <= 65535, "port", "a port number 0..65535 (0 picks a free port)"),
            (self.max_send_rate > 0, "max-send-rate", "a positive number of recipients per second"),
            (self.max_24h_send > 0, "max-24h-send", "a positive number of recipients per 24 hours"),
            (self.latency_ms >= 0, "latency-ms", "zero or more milliseconds"),
            (self.export_delay >= 0, "export-delay", "zero or more seconds"),
            (self.auth in ("any", "strict"), "auth", "'any' or 'strict'"),
            (self.max_export_jobs >= 1, "max-export-jobs", "at least 1"),
            (self.url_ttl >= 1, "url-ttl", "at least 1 second"),
            (0.0 <= self.open_probability <= 1.0, "open-probability", "a probability 0..1"),
            (0.0 <= self.click_probability <= 1.0, "click-probability", "a probability 0..1"),
            (self.event_delay_scale >= 0, "event-delay-scale", "zero or more"),
            (self.verification_delay >= 0, "verification-delay", "zero or more seconds"),
            (bool(self.region), "region", "a region name such as us-east-1"),
        ]
        for ok, flag, expected in checks:
            if not ok:
                raise ConfigError(f"--{flag}: invalid value; expected {expected}.")
        if self.auth == "strict" and not self.credentials:
            raise ConfigError(
                "--auth strict needs at least one key pair.",
                hint="Pass --credentials KEY:SECRET (repeatable).",
            )

    @property
    def signing_key(self) -> tuple[str, str]:
        """The key pair that signs export download URLs (the first configured one, else a built-in one)."""
        if self.credentials:
            return self.credentials[0]
        return ("SESFLOWEMULATORKEY", "sesflow-emulator-url-signing-secret")


def parse_credentials(values: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Parse ``KEY:SECRET`` strings from ``--credentials``."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        key, sep, secret = value.partition(":")
        if not sep or not key or not secret:
            raise ConfigError(
                f"--credentials: {value!r} is not KEY:SECRET.", hint="Example: AKIDEXAMPLE:secret"
            )
        pairs.append((key, secret))
    return tuple(pairs)
