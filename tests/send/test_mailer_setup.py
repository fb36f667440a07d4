"""The Mailer's keyword form: it builds, owns and closes a transport when given none, leaves alone one it was
handed, has an async context, and the one-call ``sesflow.send``; ``SendResult.raise_for_error``."""

from __future__ import annotations

import asyncio

import boto3
import psutil
import pytest
from botocore.config import Config

import sesflow
from sesflow import BotocoreTransport, Mailer, MemoryTransport, SESTransport
from sesflow.errors import ConfigError, ConfigurationSetDoesNotExistError, NotFoundError, OutcomeUnknownError
from sesflow.send import RawEmail
from tests.send.conftest import Private, message, session


def connections_to(url: str) -> int:
    """Established TCP connections from this process to the emulator at ``url``."""
    port = int(url.rsplit(":", 1)[1])
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


def test_a_mailer_given_settings_builds_its_transport_and_closes_it(ses: Private) -> None:
    with Mailer(endpoint_url=ses.url, session=session(), max_connections=3) as mailer:
        assert isinstance(mailer.transport, SESTransport)
        results = list(mailer.send_many(message(f"r{i}@example.org") for i in range(6)))
        assert connections_to(ses.url) >= 1
    assert [r.status for r in results] == ["sent"] * 6
    assert connections_to(ses.url) == 0


def test_a_transport_handed_to_the_mailer_stays_open_after_it(ses: Private) -> None:
    transport = SESTransport(session=session(), endpoint_url=ses.url)
    with Mailer(transport) as mailer:
        assert mailer.send(message("ann@example.org")).ok
    assert connections_to(ses.url) >= 1  # the Mailer did not close what it did not build
    raw = RawEmail(raw=b"From: shop@example.com\r\n\r\nhi\r\n", from_="shop@example.com", to=("bob@x.org",))
    assert transport.send_raw(raw)  # and the transport still sends
    transport.close()
    assert connections_to(ses.url) == 0


def test_a_botocore_client_handed_in_is_left_open_unless_the_transport_owns_it(ses: Private) -> None:
    config = Config(retries={"total_max_attempts": 1})
    client = session().client("sesv2", endpoint_url=ses.url, config=config)
    with Mailer(BotocoreTransport(client), rate=None) as mailer:
        assert mailer.send(message("ann@example.org")).ok
    assert client.get_account()["SendQuota"]["MaxSendRate"] > 0  # still usable
    owned = BotocoreTransport(client, owns_client=True)
    owned.close()
    assert connections_to(ses.url) == 0


@pytest.mark.parametrize("setting", ["region", "endpoint_url", "api"])
def test_a_transport_and_transport_settings_together_are_refused(setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        Mailer(MemoryTransport(), **{setting: "v1" if setting == "api" else "http://127.0.0.1:1"})


def test_async_with_sends_and_closes_what_it_built(ses: Private) -> None:
    async def main() -> list[str]:
        async with Mailer(endpoint_url=ses.url, session=session(), max_connections=2) as mailer:
            first = await mailer.asend(message("first@example.org"))
            rest = [r.status async for r in mailer.asend_many([message("a@example.org"), message("b@x.org")])]
        return [first.status, *rest]

    assert asyncio.run(main()) == ["sent"] * 3
    assert connections_to(ses.url) == 0


def test_aclose_finishes_queued_sends(ses: Private) -> None:
    async def main() -> list[str]:
        mailer = Mailer(endpoint_url=ses.url, session=session(), max_connections=2)
        futures = [mailer.submit(message(f"r{i}@example.org")) for i in range(4)]
        await mailer.aclose()
        return [f.result().status for f in futures]

    assert asyncio.run(main()) == ["sent"] * 4


def test_raise_for_error_returns_a_sent_result_and_raises_a_failed_ones_error(ses: Private) -> None:
    with Mailer(endpoint_url=ses.url, session=session(), api="v1") as mailer:
        sent = mailer.send(message("ann@example.org"))
        failed = mailer.send(message("ann@example.org"), ses={"ConfigurationSetName": "missing"})
    assert sent.raise_for_error() is sent
    with pytest.raises(ConfigurationSetDoesNotExistError):
        failed.raise_for_error()


def test_raise_for_error_on_an_unknown_outcome_raises_outcome_unknown(ses: Private) -> None:
    ses.fault(latency_ms=1000, operation="SendEmail")
    with Mailer(endpoint_url=ses.url, session=session(), read_timeout=0.3, rate=None) as mailer:
        result = mailer.send(message("ann@example.org"))
    with pytest.raises(OutcomeUnknownError):
        result.raise_for_error()


def test_sesflow_send_sends_one_message_and_leaves_nothing_open(ses: Private) -> None:
    result = sesflow.send(message("ann@example.org"), endpoint_url=ses.url, session=session())
    assert result.raise_for_error().response == ses.messages()[0]["MessageId"]
    assert connections_to(ses.url) == 0


def test_sesflow_send_reports_ses_errors_in_the_result(ses: Private) -> None:
    result = sesflow.send(
        message("ann@example.org"),
        endpoint_url=ses.url,
        session=session(),
        ses={"ConfigurationSetName": "no"},
    )
    assert result.status == "failed"
    assert isinstance(result.error, NotFoundError)


def test_sesflow_send_takes_a_transport_too() -> None:
    memory = MemoryTransport()
    sesflow.send(message("ann@example.org"), transport=memory).raise_for_error()
    assert [m.recipients for m in memory.messages] == [("ann@example.org",)]


def test_the_default_region_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, ses: Private) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with Mailer(
        endpoint_url=ses.url, session=boto3.Session(aws_access_key_id="a", aws_secret_access_key="b")
    ) as m:
        assert m.send(message("ann@example.org")).message_id.endswith("@eu-west-1.amazonses.com>")  # type: ignore[union-attr]
