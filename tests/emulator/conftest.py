"""Fixtures: a running emulator (real HTTP on a free port) and boto3 clients checked against botocore's
output shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sesflow.emulator import Emulator
from tests.emulator.shapes import checked

FAST = {"event_delay_scale": 0.0, "export_delay": 0.3, "max_send_rate": 1000.0, "seed": 7}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator with events at send time, quick export jobs and a high send rate."""
    with Emulator(port=0, **FAST) as ses:
        yield ses


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with given options; all are stopped at the end of the test."""
    started: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        ses = Emulator(port=0, **{**FAST, **options}).start()
        started.append(ses)
        return ses

    yield make
    for ses in started:
        ses.stop()


def client(
    service: str, ses: Emulator, key: str = "AKIDTEST", secret: str = "secret", region: str = "us-east-1"
) -> Any:
    """A boto3 client for the emulator, with every response checked against botocore's shapes."""
    return checked(
        boto3.client(
            service,
            endpoint_url=ses.endpoint_url,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}),
        )
    )


@pytest.fixture
def sesv2(emulator: Emulator) -> Any:
    """A checked boto3 sesv2 client on ``emulator``."""
    return client("sesv2", emulator)


@pytest.fixture
def ses(emulator: Emulator) -> Any:
    """A checked boto3 ses (v1) client on ``emulator``."""
    return client("ses", emulator)
