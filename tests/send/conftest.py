"""Fixtures for the sending tests: a local SES emulator over HTTP, and transports pointed at it.

A send goes one of two ways (``PATHS``): ``"direct"``, through SESTransport (signed by sesflow, kept-alive
connections), or ``"botocore"``, through BotocoreTransport on a boto3 client. Tests about what SES answers
run on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from sesflow import BotocoreTransport, Message, SESTransport
from sesflow.emulator import Emulator

SENDER = "shop@example.com"
PATHS = ["direct", "botocore"]


def session(region: str = "us-east-1") -> boto3.Session:
    """A boto3 session with throwaway credentials (the emulator runs with auth=any)."""
    return boto3.Session(
        aws_access_key_id="AKIDSESFLOWTEST", aws_secret_access_key="test", region_name=region
    )


def build_transport(
    endpoint_url: str,
    api: str = "v2",
    region: str = "us-east-1",
    path: str = "direct",
    boto_session: boto3.Session | None = None,
    **options: Any,
) -> SESTransport | BotocoreTransport:
    """A transport to ``endpoint_url`` that sends the ``path`` way (see ``PATHS``)."""
    boto_session = boto_session or session(region)
    if path == "direct":
        return SESTransport(session=boto_session, endpoint_url=endpoint_url, api=api, **options)
    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=options.pop("connect_timeout", 5.0),
        read_timeout=options.pop("read_timeout", 30.0),
    )
    client = boto_session.client("sesv2" if api == "v2" else "ses", endpoint_url=endpoint_url, config=config)
    return BotocoreTransport(client, owns_client=True, **options)


class Private:
    """The emulator's private JSON API (``/_sesflow/...``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(method, f"{self.url}{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json() if "json" in answer.headers.get("content-type", "") else answer.content

    def sends(self) -> list[dict[str, Any]]:
        """Every SendEmail/SendRawEmail attempt the emulator logged, in arrival order."""
        found = self("GET", "/_sesflow/sends?since=0")["sends"]
        return [s for s in found if s["operation"] in ("SendEmail", "SendRawEmail")]

    def messages(self, recipient: str = "") -> list[dict[str, Any]]:
        """Stored messages, newest first."""
        return list(self("GET", f"/_sesflow/messages?recipient={recipient}&limit=1000")["messages"])

    def raw(self, message_id: str) -> bytes:
        """The stored bytes of one message."""
        data: bytes = self("GET", f"/_sesflow/messages/{message_id}/raw")
        return data

    def fault(self, **body: Any) -> None:
        """Inject a fault (``POST /_sesflow/faults``)."""
        self("POST", "/_sesflow/faults", body)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator per test module, with limits far above what the tests send."""
    with Emulator(port=0, max_send_rate=100_000, max_24h_send=10**9, event_delay_scale=0.0) as ses:
        yield ses


@pytest.fixture
def ses(emulator: Emulator) -> Private:
    """The shared emulator, emptied of messages, sends and faults before the test."""
    private = Private(emulator.endpoint_url)
    private("DELETE", "/_sesflow/faults")
    private("DELETE", "/_sesflow/messages")
    return private


@pytest.fixture
def transport(ses: Private) -> Iterator[Callable[..., SESTransport | BotocoreTransport]]:
    """Builds transports pointed at the emulator; closes them after the test."""
    built: list[SESTransport | BotocoreTransport] = []

    def make(
        api: str = "v2", region: str = "us-east-1", path: str = "direct", **options: Any
    ) -> SESTransport | BotocoreTransport:
        made = build_transport(options.pop("endpoint_url", ses.url), api, region, path, **options)
        built.append(made)
        return made

    yield make
    for made in built:
        made.close()


def message(*to: str, **fields: Any) -> Message:
    """A small text message from SENDER to ``to``."""
    fields.setdefault("subject", "Your order")
    fields.setdefault("text", "It ships today.")
    return Message(from_=SENDER, to=list(to), **fields)
